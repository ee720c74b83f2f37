package plan

import (
	"cmp"
	"fmt"
	"slices"
)

// The milestone-at-risk rule: an unaccepted milestone is at risk when it is
// past due, when one of its open tasks is overdue or due after it, or when
// it is due within RiskWindow days and its progress is below RiskProgress.
const (
	RiskWindow   = 7
	RiskProgress = 0.8
)

// MilestoneRisk is a milestone at risk and why.
type MilestoneRisk struct {
	ID, Title string
	Due       Date
	Progress  float64
	Reasons   []string
}

// MilestoneRisks lists the milestones at risk as of today, in creation
// order, under the rule stated at RiskWindow.
func (p *Plan) MilestoneRisks(today Date) []MilestoneRisk {
	if len(p.msOrder) == 0 {
		return nil
	}
	return p.milestoneRisks(today, p.Rollup())
}

func (p *Plan) milestoneRisks(today Date, r Rollup) []MilestoneRisk {
	var out []MilestoneRisk
	for _, id := range p.msOrder {
		m := p.milestones[id]
		if m.Accepted() {
			continue
		}
		reasons := p.riskReasons(m, r.Milestones[id], today)
		if len(reasons) > 0 {
			out = append(out, MilestoneRisk{ID: id, Title: m.Title, Due: m.Due,
				Progress: r.Milestones[id], Reasons: reasons})
		}
	}
	return out
}

func (p *Plan) riskReasons(m *Milestone, progress float64, today Date) []string {
	var why []string
	if m.Due < today {
		why = append(why, fmt.Sprintf("past due %s", m.Due))
	}
	for _, id := range p.openIn(m.ID) {
		t := p.tasks[id]
		switch {
		case overdue(t, today):
			why = append(why, fmt.Sprintf("task %q overdue since %s", id, t.Due))
		case t.Due > m.Due:
			why = append(why, fmt.Sprintf("task %q due %s, after the milestone", id, t.Due))
		}
	}
	if m.Due >= today && int(m.Due-today) <= RiskWindow && progress < RiskProgress {
		why = append(why, fmt.Sprintf("%.0f%% done with %d days left", progress*100,
			m.Due-today))
	}
	return why
}

// Overdue returns the open tasks due before today, earliest due first.
func (p *Plan) Overdue(today Date) []Task {
	var out []Task
	for _, t := range p.list {
		if overdue(t, today) {
			out = append(out, t.clone())
		}
	}
	slices.SortStableFunc(out, func(a, b Task) int { return cmp.Compare(a.Due, b.Due) })
	return out
}

// DepartmentRow is one project in a department manager's view.
type DepartmentRow struct {
	Summary
	OverdueTasks []Task
	Risks        []MilestoneRisk
}

// DepartmentView shows the plans owned by any of depts: progress, overdue
// tasks and milestones at risk, ordered by department, then name.
func DepartmentView(plans []*Plan, depts []string, today Date) []DepartmentRow {
	var out []DepartmentRow
	for _, p := range plans {
		if !slices.Contains(depts, p.project.Department) {
			continue
		}
		r := p.Rollup()
		risks := p.milestoneRisks(today, r)
		out = append(out, DepartmentRow{Summary: p.summary(today, r, len(risks)),
			OverdueTasks: p.Overdue(today), Risks: risks})
	}
	slices.SortFunc(out, func(a, b DepartmentRow) int {
		return cmp.Or(cmp.Compare(a.Department, b.Department), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Project, b.Project))
	})
	return out
}

// GanttRow is one bar of the lead's Gantt chart: a task (in outline order,
// Depth 0 at the top level) or, after the tasks, a milestone.
type GanttRow struct {
	Kind      string // "task" or "milestone"
	ID, Title string
	Parent    string
	Depth     int
	Milestone string // effective milestone of a task
	Start     Date   // planned; zero for milestones
	Due       Date
	Status    Status // tasks only
	Progress  float64
	Assignees []string
	After     []string
	Slot      Slot // from the critical path; zero for milestones
}

// Gantt returns the chart rows; s is the plan's CriticalPath and r its
// Rollup (computed by the caller, who usually needs them too).
func (p *Plan) Gantt(s Schedule, r Rollup) []GanttRow {
	depth := map[string]int{"": -1}
	var rows []GanttRow
	for _, id := range p.preorder() {
		t := p.tasks[id]
		depth[id] = depth[t.Parent] + 1
		rows = append(rows, GanttRow{Kind: "task", ID: id, Title: t.Title, Parent: t.Parent,
			Depth: depth[id], Milestone: p.milestoneOf(t), Start: t.Start, Due: t.Due,
			Status: t.Status, Progress: r.Tasks[id], Assignees: slices.Clone(t.Assignees),
			After: slices.Clone(t.After), Slot: s.Slots[id]})
	}
	for _, id := range p.msOrder {
		m := p.milestones[id]
		rows = append(rows, GanttRow{Kind: "milestone", ID: id, Title: m.Title, Due: m.Due,
			Progress: r.Milestones[id]})
	}
	return rows
}

// LeadView is everything a project lead's screen shows.
type LeadView struct {
	Project    Project
	Members    []Member
	Milestones []Milestone
	Progress   Rollup
	Critical   Schedule
	Gantt      []GanttRow
	Risks      []MilestoneRisk
	Variance   []Variance // against the baseline asked for, if any
	Workload   []Load
}

// LeadView assembles the lead's view as of today; baseline names the
// baseline to compare with, "" for none.
func (p *Plan) LeadView(today Date, baseline string) (LeadView, error) {
	v := LeadView{Project: p.Project(), Members: p.Members(), Milestones: p.Milestones(),
		Progress: p.Rollup(), Critical: p.CriticalPath(), Workload: p.Workload(today)}
	v.Risks = p.milestoneRisks(today, v.Progress)
	v.Gantt = p.Gantt(v.Critical, v.Progress)
	if baseline != "" {
		var err error
		if v.Variance, err = p.Variance(baseline); err != nil {
			return LeadView{}, err
		}
	}
	return v, nil
}
