package plan

import (
	"slices"
	"strconv"
)

// Baseline is a saved copy of the plan's schedule and estimates, against
// which actual progress is compared.
type Baseline struct {
	ID         string // "B-<n>", assigned by the plan
	Name       string
	SavedBy    string
	SavedAt    Date
	Tasks      []BaselineTask
	Milestones []BaselineMilestone
}

// BaselineTask is a task as saved in a baseline. Estimate is the task's
// effective estimate (see Rollup) when saved.
type BaselineTask struct {
	ID, Parent, Milestone, Title string
	Start, Due                   Date
	Estimate                     int64
	Status                       Status
}

// BaselineMilestone is a milestone as saved in a baseline.
type BaselineMilestone struct {
	ID, Title string
	Due       Date
}

func (b Baseline) clone() Baseline {
	b.Tasks = slices.Clone(b.Tasks)
	b.Milestones = slices.Clone(b.Milestones)
	return b
}

// SaveBaseline saves the current plan as a baseline. Only the lead may.
func (p *Plan) SaveBaseline(a Actor, name string) (Baseline, []Activity, error) {
	o := op{"save baseline", "B-" + strconv.Itoa(p.seq.Baseline+1)}
	if _, err := p.may(o, a, SaveBaseline, false); err != nil {
		return Baseline{}, nil, err
	}
	if err := checkText(o, "name", name, MaxTitle, true); err != nil {
		return Baseline{}, nil, err
	}
	r := p.Rollup()
	b := Baseline{ID: nextID("B-", &p.seq.Baseline), Name: name, SavedBy: a.User,
		SavedAt: DateOf(a.At)}
	for _, t := range p.list {
		b.Tasks = append(b.Tasks, BaselineTask{ID: t.ID, Parent: t.Parent,
			Milestone: p.milestoneOf(t), Title: t.Title, Start: t.Start, Due: t.Due,
			Estimate: r.Estimates[t.ID], Status: t.Status})
	}
	for _, id := range p.msOrder {
		m := p.milestones[id]
		b.Milestones = append(b.Milestones, BaselineMilestone{ID: id, Title: m.Title, Due: m.Due})
	}
	p.baselines = append(p.baselines, b)
	return b.clone(), []Activity{p.activity(a, BaselineSaved, "baseline", b.ID, "",
		fields("name", strconv.Quote(name), "tasks", strconv.Itoa(len(b.Tasks))))}, nil
}

// Baselines returns the saved baselines, oldest first.
func (p *Plan) Baselines() []Baseline {
	out := make([]Baseline, len(p.baselines))
	for i, b := range p.baselines {
		out[i] = b.clone()
	}
	return out
}

// Variance compares one task or milestone with a baseline. Day variances
// are actual (or forecast) minus planned, positive when late, and zero when
// either date is missing. An unfinished task's finish is forecast as its
// current due date, an unaccepted milestone's as its current due date.
// Effort is minutes logged minus minutes planned.
type Variance struct {
	Kind          string // "task" or "milestone"
	ID, Title     string
	Added         bool // not in the baseline
	PlannedStart  Date
	ActualStart   Date
	StartDays     int
	PlannedFinish Date
	ActualFinish  Date // or the forecast
	Forecast      bool // ActualFinish is a forecast
	FinishDays    int
	PlannedEffort int64
	ActualEffort  int64
	EffortDelta   int64
}

func (v *Variance) compute() {
	v.StartDays = dayDiff(v.PlannedStart, v.ActualStart)
	v.FinishDays = dayDiff(v.PlannedFinish, v.ActualFinish)
	v.EffortDelta = v.ActualEffort - v.PlannedEffort
}

func dayDiff(planned, actual Date) int {
	if planned == 0 || actual == 0 {
		return 0
	}
	return int(actual - planned)
}

// Variance compares the plan with baseline id: one row per task (in
// creation order; a task's effort includes its subtasks') and then one per
// milestone (its tasks' earliest start, and effort over its top tasks).
func (p *Plan) Variance(id string) ([]Variance, error) {
	o := op{"variance", id}
	i := slices.IndexFunc(p.baselines, func(b Baseline) bool { return b.ID == id })
	if i < 0 {
		return nil, o.notFound("baseline", id)
	}
	b := p.baselines[i]
	logged := p.subtreeMinutes()
	base := make(map[string]BaselineTask, len(b.Tasks))
	for _, bt := range b.Tasks {
		base[bt.ID] = bt
	}
	var out []Variance
	for _, t := range p.list {
		out = append(out, p.taskVariance(t, base, logged))
	}
	for _, mid := range p.msOrder {
		out = append(out, p.milestoneVariance(p.milestones[mid], b, logged))
	}
	return out, nil
}

// subtreeMinutes sums logged minutes per task including its subtasks.
func (p *Plan) subtreeMinutes() map[string]int64 {
	own := map[string]int64{}
	for _, w := range p.logs {
		own[w.Task] += w.Minutes
	}
	pre := p.preorder()
	for i := len(pre) - 1; i >= 0; i-- {
		if t := p.tasks[pre[i]]; t.Parent != "" {
			own[t.Parent] += own[t.ID]
		}
	}
	return own
}

func (p *Plan) taskVariance(t *Task, base map[string]BaselineTask,
	logged map[string]int64) Variance {
	v := Variance{Kind: "task", ID: t.ID, Title: t.Title, ActualStart: DateOf(t.StartedAt),
		ActualEffort: logged[t.ID]}
	bt, ok := base[t.ID]
	v.Added = !ok
	v.PlannedStart, v.PlannedFinish, v.PlannedEffort = bt.Start, bt.Due, bt.Estimate
	v.ActualFinish = DateOf(t.FinishedAt)
	if t.Status != Done {
		v.ActualFinish, v.Forecast = t.Due, true
	}
	v.compute()
	return v
}

func (p *Plan) milestoneVariance(m *Milestone, b Baseline, logged map[string]int64) Variance {
	v := Variance{Kind: "milestone", ID: m.ID, Title: m.Title, Added: true}
	if i := slices.IndexFunc(b.Milestones, func(x BaselineMilestone) bool {
		return x.ID == m.ID
	}); i >= 0 {
		v.Added, v.PlannedFinish = false, b.Milestones[i].Due
	}
	saved := make(map[string]string, len(b.Tasks)) // task id → milestone
	for _, bt := range b.Tasks {
		saved[bt.ID] = bt.Milestone
	}
	for _, bt := range b.Tasks {
		if bt.Milestone != m.ID {
			continue
		}
		if saved[bt.Parent] != m.ID {
			v.PlannedEffort += bt.Estimate
		}
		if bt.Start != 0 && (v.PlannedStart == 0 || bt.Start < v.PlannedStart) {
			v.PlannedStart = bt.Start
		}
	}
	for _, t := range p.list {
		if p.milestoneOf(t) != m.ID {
			continue
		}
		if s := DateOf(t.StartedAt); s != 0 && (v.ActualStart == 0 || s < v.ActualStart) {
			v.ActualStart = s
		}
		if parent := p.tasks[t.Parent]; parent == nil || p.milestoneOf(parent) != m.ID {
			v.ActualEffort += logged[t.ID]
		}
	}
	v.ActualFinish = DateOf(m.AcceptedAt)
	if !m.Accepted() {
		v.ActualFinish, v.Forecast = m.Due, true
	}
	v.compute()
	return v
}
