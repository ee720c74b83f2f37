package reports

import (
	"slices"

	"github.com/xietong/xietong/shared/plan"
)

// dayItem is one task in a daily report.
type dayItem struct {
	project string // name
	task    plan.Task
}

// dayLists are the four lists of a person's daily report.
type dayLists struct {
	dueToday, overdue, blocked, review []dayItem
}

func (l dayLists) empty() bool {
	return len(l.dueToday)+len(l.overdue)+len(l.blocked)+len(l.review) == 0
}

// dailyLists gathers, for every member of o's projects, the open tasks
// assigned to them that are due today, overdue or blocked, and the tasks
// in review in the projects they lead (waiting on them to pass or return).
func dailyLists(o *orgData) map[string]*dayLists {
	out := map[string]*dayLists{}
	get := func(u string) *dayLists {
		if out[u] == nil {
			out[u] = &dayLists{}
		}
		return out[u]
	}
	for _, p := range o.Plans {
		if closedProject(p) {
			continue
		}
		name := p.Project().Name
		var leads []string
		for _, m := range p.Members() {
			get(m.User)
			if m.Role == plan.RoleLead {
				leads = append(leads, m.User)
			}
		}
		for _, t := range p.Tasks() {
			if t.Status.Closed() || len(p.Children(t.ID)) > 0 {
				continue
			}
			it := dayItem{project: name, task: t}
			for _, u := range t.Assignees {
				l := get(u)
				switch {
				case t.Status == plan.Blocked:
					l.blocked = append(l.blocked, it)
				case t.Due != 0 && t.Due < o.Today:
					l.overdue = append(l.overdue, it)
				case t.Due == o.Today:
					l.dueToday = append(l.dueToday, it)
				}
			}
			if t.Status == plan.Review {
				for _, u := range leads {
					if !slices.Contains(t.Assignees, u) {
						get(u).review = append(get(u).review, it)
					}
				}
			}
		}
	}
	return out
}

func closedProject(p *plan.Plan) bool {
	s := p.Project().Status
	return s == plan.ProjectClosed || s == plan.ProjectArchived
}

// dailyReport writes the daily report of uid.
func (c *composer) dailyReport(uid string, l *dayLists) *draft {
	d := c.newDraft(Daily, AudiencePerson, uid, "今日任务 "+c.period, c.appURL+"/me/tasks")
	d.figure("due_today", int64(len(l.dueToday)))
	d.figure("overdue", int64(len(l.overdue)))
	d.figure("blocked", int64(len(l.blocked)))
	d.figure("review", int64(len(l.review)))
	d.line("### %s · %s", d.Title, c.name(uid))
	d.line("今日到期 %d · 已逾期 %d · 受阻 %d · 待我审核 %d", len(l.dueToday),
		len(l.overdue), len(l.blocked), len(l.review))
	sections := []struct {
		head  string
		items []dayItem
	}{{"今日到期", l.dueToday}, {"已逾期", l.overdue}, {"受阻", l.blocked},
		{"待我审核", l.review}}
	for _, s := range sections {
		if len(s.items) == 0 {
			continue
		}
		d.line("")
		d.line("**%s**", s.head)
		for _, it := range s.items {
			d.line("- %s %s %s（截止 %s）", it.project, it.task.ID, it.task.Title,
				short(it.task.Due))
		}
	}
	return d
}
