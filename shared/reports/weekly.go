package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xietong/xietong/shared/plan"
)

// Windows of the weekly report, in days.
const (
	velocityDays = 28 // recent velocity: estimated work finished in these days
	hoursDays    = 7  // hours logged per member: the days before the report
	supplierDays = 14 // supplier deliverables due within
)

// risk is a milestone at risk with its projected finish (zero when there
// has been no recent progress to project from).
type risk struct {
	plan.MilestoneRisk
	Projected plan.Date
}

// projectWeek is the weekly figures of one project.
type projectWeek struct {
	p        *plan.Plan
	actual   float64 // rolled-up progress
	planned  float64 // share of the planned work due by today
	baseline string  // id of the baseline compared with, "" for none
	late     int     // milestones finishing later than the baseline
	maxLate  int     // days, the latest of them
	velocity float64 // minutes of estimated work finished per day recently
	risks    []risk
	overdue  []plan.Task
	hours    map[string]int64 // uid → minutes in the hours window
	supplier []string         // lines: deliverables due
}

// week returns the weekly figures of p, computed once per run.
func (c *composer) week(p *plan.Plan) projectWeek {
	id := p.Project().ID
	c.mu.Lock()
	w, ok := c.weeks[id]
	c.mu.Unlock()
	if ok {
		return w
	}
	w = c.computeWeek(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.weeks == nil {
		c.weeks = map[string]projectWeek{}
	}
	c.weeks[id] = w
	return w
}

func (c *composer) computeWeek(p *plan.Plan) projectWeek {
	today := c.org.Today
	r := p.Rollup()
	w := projectWeek{p: p, actual: r.Project, overdue: p.Overdue(today),
		hours: map[string]int64{}}
	w.planned = plannedShare(p, today)
	if bs := p.Baselines(); len(bs) > 0 {
		w.baseline = bs[len(bs)-1].ID
		vs, _ := p.Variance(w.baseline)
		for _, v := range vs {
			if v.Kind == "milestone" && !v.Added && v.FinishDays > 0 {
				w.late++
				w.maxLate = max(w.maxLate, v.FinishDays)
			}
		}
	}
	w.velocity = velocity(p, today)
	sched := p.CriticalPath()
	rows := p.Gantt(sched, r)
	for _, m := range p.MilestoneRisks(today) {
		w.risks = append(w.risks, risk{m, projectMilestone(p, rows, m.ID, today, w.velocity)})
	}
	for _, l := range p.WorkLogs() {
		if l.Date >= today-hoursDays && l.Date < today {
			w.hours[l.User] += l.Minutes
		}
	}
	w.supplier = c.supplierDue(p)
	return w
}

// leaves returns the active tasks without subtasks.
func leaves(p *plan.Plan) []plan.Task {
	var out []plan.Task
	for _, t := range p.Tasks() {
		if t.Status != plan.Cancelled && len(p.Children(t.ID)) == 0 {
			out = append(out, t)
		}
	}
	return out
}

// plannedShare is the share of the planned work (weighted by duration, see
// plan.Duration) due by today: under the latest baseline when there is one,
// else under the current plan. Unweighted when nothing is estimated.
func plannedShare(p *plan.Plan, today plan.Date) float64 {
	type item struct {
		due    plan.Date
		weight int64
	}
	var items []item
	if bs := p.Baselines(); len(bs) > 0 {
		b := bs[len(bs)-1]
		parent := map[string]bool{}
		for _, t := range b.Tasks {
			parent[t.Parent] = true
		}
		for _, t := range b.Tasks {
			if !parent[t.ID] && t.Status != plan.Cancelled {
				items = append(items, item{t.Due, t.Estimate})
			}
		}
	} else {
		for _, t := range leaves(p) {
			items = append(items, item{t.Due, plan.Duration(t)})
		}
	}
	var due, total, n, nDue int64
	for _, it := range items {
		total += it.weight
		n++
		if it.due != 0 && it.due <= today {
			due += it.weight
			nDue++
		}
	}
	switch {
	case total > 0:
		return float64(due) / float64(total)
	case n > 0:
		return float64(nDue) / float64(n)
	}
	return 0
}

// velocity is the estimated work finished per day over the last
// velocityDays, in minutes.
func velocity(p *plan.Plan, today plan.Date) float64 {
	var done int64
	for _, t := range leaves(p) {
		if f := plan.DateOf(t.FinishedAt); t.Status == plan.Done && f > today-velocityDays &&
			f <= today {
			done += plan.Duration(t)
		}
	}
	return float64(done) / velocityDays
}

// projectMilestone projects when milestone ms finishes: today plus the
// longer of the remaining work at the recent velocity and the remaining
// span of its open tasks on the critical-path schedule (workdays turned
// into calendar days). Zero when work remains and velocity is zero.
func projectMilestone(p *plan.Plan, rows []plan.GanttRow, ms string, today plan.Date,
	vel float64) plan.Date {
	var remaining, es, ef int64 = 0, math.MaxInt64, 0
	for _, g := range rows {
		if g.Kind != "task" || g.Milestone != ms || g.Status.Closed() ||
			len(p.Children(g.ID)) > 0 {
			continue
		}
		t, _ := p.Task(g.ID)
		remaining += plan.Duration(t) * int64(100-t.Progress) / 100
		es, ef = min(es, g.Slot.ES), max(ef, g.Slot.EF)
	}
	if remaining == 0 {
		return today
	}
	if vel == 0 {
		return 0
	}
	days := int64(math.Ceil(float64(remaining) / vel))
	if ef > es {
		workdays := (ef - es + plan.WorkdayMinutes - 1) / plan.WorkdayMinutes
		days = max(days, (workdays*7+4)/5)
	}
	return today + plan.Date(days)
}

// supplierDue lists the supplier deliverables of p due soon: unaccepted
// milestones named by a contract with another organization as a party,
// and open tasks of supplier members.
func (c *composer) supplierDue(p *plan.Plan) []string {
	today, owner := c.org.Today, p.Project().Org.Corp
	var out []string
	for _, k := range c.org.Contracts[p.Project().ID] {
		if !slices.ContainsFunc(k.Parties, func(s string) bool { return s != owner }) {
			continue
		}
		for _, id := range k.Milestones {
			m, ok := p.Milestone(id)
			if ok && !m.Accepted() && m.Due != 0 && m.Due <= today+supplierDays {
				out = append(out, fmt.Sprintf("%s %s 截止 %s（合同 %s）", m.ID, m.Title,
					short(m.Due), k.Title))
			}
		}
	}
	for _, t := range leaves(p) {
		if t.Status.Closed() || t.Due == 0 || t.Due > today+supplierDays {
			continue
		}
		if slices.ContainsFunc(t.Assignees, func(u string) bool {
			return p.RoleOf(u) == plan.RoleSupplier
		}) {
			out = append(out, fmt.Sprintf("%s %s 截止 %s", t.ID, t.Title, short(t.Due)))
		}
	}
	return out
}

// leadReport writes the weekly report of a lead over the projects they lead.
func (c *composer) leadReport(uid string, ps []*plan.Plan) (*draft, error) {
	d := c.newDraft(Weekly, AudienceLead, uid, "项目周报 "+c.period, c.appURL+"/projects")
	if len(ps) == 1 {
		d.Link = c.appURL + "/projects/" + ps[0].Project().ID
	}
	d.line("### %s · %s", d.Title, c.name(uid))
	hours := map[string]int64{}
	var overdue, risks, supplier int
	for i, p := range ps {
		w := c.week(p)
		overdue, risks, supplier = overdue+len(w.overdue), risks+len(w.risks),
			supplier+len(w.supplier)
		for u, m := range w.hours {
			hours[u] += m
		}
		c.projectLines(d, w)
		if i < 2 {
			png, err := BurnUp(p, c.org.Today)
			if err != nil {
				return nil, err
			}
			d.charts = append(d.charts, chart{Name: "burnup-" + p.Project().ID + ".png",
				Caption: "燃起图 " + p.Project().Name, PNG: png})
		}
	}
	d.figure("projects", int64(len(ps)))
	d.figure("overdue", int64(overdue))
	d.figure("at_risk", int64(risks))
	d.figure("supplier_due", int64(supplier))
	png, total, err := c.hoursChart(d, hours)
	if err != nil {
		return nil, err
	}
	d.figure("logged_minutes", total)
	d.charts = append(d.charts, chart{Name: "hours.png", Caption: "成员工时", PNG: png})
	return d, nil
}

// projectLines writes one project's part of a weekly report.
func (c *composer) projectLines(d *draft, w projectWeek) {
	pr := w.p.Project()
	d.line("")
	d.line("**%s**（%s）", pr.Name, pr.ID)
	base := ""
	if w.baseline != "" {
		base = fmt.Sprintf("；基线 %s：%d 个里程碑推迟", w.baseline, w.late)
		if w.late > 0 {
			base += fmt.Sprintf("，最多 %d 天", w.maxLate)
		}
	}
	d.line("- 进度 %s，计划 %s%s", pct(w.actual), pct(w.planned), base)
	for _, r := range w.risks {
		proj := "无近期进度，无法预计"
		if r.Projected != 0 {
			proj = "预计 " + r.Projected.String()
		}
		d.line("- 风险里程碑 %s %s：截止 %s，%s", r.ID, r.Title, short(r.Due), proj)
	}
	if len(w.overdue) > 0 {
		ids := make([]string, 0, 3)
		for _, t := range w.overdue[:min(3, len(w.overdue))] {
			ids = append(ids, t.ID+" "+t.Title)
		}
		d.line("- 逾期任务 %d：%s", len(w.overdue), strings.Join(ids, "、"))
	}
	for _, s := range w.supplier {
		d.line("- 供应商交付 %s", s)
	}
}

// hoursChart lists hours per member in d and draws them. Bars are labelled
// with the member's number in the list (names stay in the text).
func (c *composer) hoursChart(d *draft, hours map[string]int64) ([]byte, int64, error) {
	users := make([]string, 0, len(hours))
	var total int64
	for u, m := range hours {
		users = append(users, u)
		total += m
	}
	slices.SortFunc(users, func(a, b string) int {
		return cmp.Or(cmp.Compare(hours[b], hours[a]), cmp.Compare(a, b))
	})
	labels, values, parts := []string{}, []float64{}, []string{}
	for i, u := range users {
		labels = append(labels, fmt.Sprintf("#%d", i+1))
		values = append(values, float64(hours[u])/60)
		parts = append(parts, fmt.Sprintf("#%d %s %s", i+1, c.name(u), hoursOf(hours[u])))
	}
	d.line("")
	if len(users) == 0 {
		d.line("**近 %d 天工时**：无记录", hoursDays)
		return nil, 0, nil
	}
	d.line("**近 %d 天工时** %s：%s", hoursDays, hoursOf(total), strings.Join(parts, "，"))
	png, err := Bars(fmt.Sprintf("Hours logged, last %d days", hoursDays), labels, values)
	return png, total, err
}
