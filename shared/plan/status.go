package plan

import (
	"fmt"
	"slices"
	"time"
)

// SetStatus moves a task through the workflow. The actor's role must allow
// the change (see CanTransition), and the task must be ready for it: no open
// subtasks to become done, and no open predecessor (of the task or an
// ancestor) to leave todo or blocked for doing or review. The first move to
// doing records StartedAt; a move to done records FinishedAt, and a move out
// of done clears it.
func (p *Plan) SetStatus(a Actor, id string, to Status) (Task, []Activity, error) {
	o := op{"update status", id}
	m, err := p.member(o, a)
	if err != nil {
		return Task{}, nil, err
	}
	if err := p.open(o, ""); err != nil {
		return Task{}, nil, err
	}
	t, err := p.task(o, id)
	if err != nil {
		return Task{}, nil, err
	}
	if err := checkOneOf(o, "status", to, Statuses); err != nil {
		return Task{}, nil, err
	}
	from := t.Status
	if from == to {
		return t.clone(), nil, nil
	}
	own := t.assigned(a.User)
	if !CanTransition(m.Role, from, to, own) {
		return Task{}, nil, p.refusal(o, m.Role, from, to, own)
	}
	if err := p.ready(o, t, to); err != nil {
		return Task{}, nil, err
	}
	t.Status = to
	if to == Doing && t.StartedAt.IsZero() {
		t.StartedAt = a.At
	}
	if to == Done {
		t.FinishedAt = a.At
	} else {
		t.FinishedAt = time.Time{}
	}
	t.Ver++
	return t.clone(), []Activity{p.activity(a, TaskStatusChanged, "task", id,
		string(from), string(to))}, nil
}

func (p *Plan) refusal(o op, r Role, from, to Status, own bool) error {
	detail := fmt.Sprintf("%s may not move %s → %s", r, from, to)
	if !own && CanTransition(r, from, to, true) {
		detail += " on a task not assigned to them"
	}
	return o.fail(ErrTransition, detail)
}

// ready checks the readiness rules of SetStatus.
func (p *Plan) ready(o op, t *Task, to Status) error {
	if to == Done {
		for _, k := range p.kids[t.ID] {
			if s := p.tasks[k].Status; !s.Closed() {
				return o.fail(ErrTransition, fmt.Sprintf("subtask %q is %s", k, s))
			}
		}
	}
	starting := (to == Doing || to == Review) && (t.Status == Todo || t.Status == Blocked)
	if !starting {
		return nil
	}
	for _, id := range append([]string{t.ID}, p.ancestors(t.ID)...) {
		for _, pred := range p.tasks[id].After {
			if s := p.tasks[pred].Status; !s.Closed() {
				return o.fail(ErrTransition, fmt.Sprintf("predecessor %q is %s", pred, s))
			}
		}
	}
	return nil
}

// SetProgress records the reported percent done of a task without open
// subtasks (a summary task's progress is rolled up instead).
func (p *Plan) SetProgress(a Actor, id string, percent int) (Task, []Activity, error) {
	o := op{"update progress", id}
	t, err := p.taskFor(o, a, EditTask, id)
	if err != nil {
		return Task{}, nil, err
	}
	if percent < 0 || percent > 100 {
		return Task{}, nil, o.invalid("progress", fmt.Sprintf("%d, want 0..100", percent))
	}
	if slices.ContainsFunc(p.kids[id], func(k string) bool {
		return p.tasks[k].Status != Cancelled
	}) {
		return Task{}, nil, o.invalid("progress", "rolled up from subtasks")
	}
	if percent == t.Progress {
		return t.clone(), nil, nil
	}
	before := fmt.Sprint(t.Progress)
	t.Progress = percent
	t.Ver++
	return t.clone(), []Activity{p.activity(a, TaskProgressSet, "task", id, before,
		fmt.Sprint(percent))}, nil
}
