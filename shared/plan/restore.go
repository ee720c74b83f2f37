package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Restore rebuilds a plan from a snapshot, checking it as thoroughly as the
// mutations would: project fields, members, unique ids, references between
// objects, decomposition and dependencies without cycles. The snapshot is
// copied; the caller may reuse it.
func Restore(s Snapshot) (*Plan, error) {
	o := op{"restore", s.Project.ID}
	s.Project.Partners = slices.Clone(s.Project.Partners)
	if err := checkProject(o, s.Project); err != nil {
		return nil, err
	}
	p := empty(s.Project)
	p.seq = s.Seq
	if err := p.restoreMembers(o, s.Members); err != nil {
		return nil, err
	}
	for i, m := range s.Milestones {
		if _, dup := p.milestones[m.ID]; m.ID == "" || dup {
			return nil, o.invalid(fmt.Sprintf("milestones[%d].id", i), "empty or repeated")
		}
		m := m
		p.milestones[m.ID] = &m
		p.msOrder = append(p.msOrder, m.ID)
	}
	if err := p.restoreTasks(o, s.Tasks); err != nil {
		return nil, err
	}
	if err := p.restoreRecords(o, s); err != nil {
		return nil, err
	}
	if err := checkSeq(o, s); err != nil {
		return nil, err
	}
	return p, nil
}

// checkSeq makes sure the counters are past every id of the form
// "<prefix><n>", so that new objects never reuse an id.
func checkSeq(o op, s Snapshot) error {
	check := func(field, prefix string, seq int, ids func(yield func(string) bool)) error {
		for id := range ids {
			rest, ok := strings.CutPrefix(id, prefix)
			if n, err := strconv.Atoi(rest); ok && err == nil && n > seq {
				return o.invalid("seq."+field, fmt.Sprintf("%d is below id %q", seq, id))
			}
		}
		return nil
	}
	checks := []error{
		check("task", "T-", s.Seq.Task, each(s.Tasks, func(t Task) string { return t.ID })),
		check("milestone", "M-", s.Seq.Milestone,
			each(s.Milestones, func(m Milestone) string { return m.ID })),
		check("worklog", "W-", s.Seq.WorkLog,
			each(s.WorkLogs, func(w WorkLog) string { return w.ID })),
		check("comment", "C-", s.Seq.Comment,
			each(s.Comments, func(c Comment) string { return c.ID })),
		check("baseline", "B-", s.Seq.Baseline,
			each(s.Baselines, func(b Baseline) string { return b.ID })),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}

func each[T any](list []T, id func(T) string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, x := range list {
			if !yield(id(x)) {
				return
			}
		}
	}
}

func (p *Plan) restoreMembers(o op, ms []Member) error {
	for _, m := range ms {
		if err := p.checkMember(o, m); err != nil {
			return err
		}
		if p.memberIndex(m.User) >= 0 {
			return o.invalid("members", fmt.Sprintf("%q listed twice", m.User))
		}
		p.members = append(p.members, m)
	}
	if p.leads() == 0 {
		return o.invalid("members", "no lead")
	}
	return nil
}

func (p *Plan) restoreTasks(o op, ts []Task) error {
	for i, t := range ts {
		if _, dup := p.tasks[t.ID]; t.ID == "" || dup {
			return o.invalid(fmt.Sprintf("tasks[%d].id", i),
				fmt.Sprintf("%q empty or repeated", t.ID))
		}
		t := t.clone()
		p.insert(&t)
	}
	for _, t := range p.list {
		if err := p.checkRestored(t); err != nil {
			return err
		}
	}
	for _, t := range p.list {
		if slices.Contains(p.ancestors(t.ID), t.ID) {
			return op{"restore task", t.ID}.cycle(append([]string{t.ID}, p.ancestors(t.ID)...))
		}
	}
	if c := p.cycle(""); c != nil {
		return o.cycle(c)
	}
	return nil
}

func (p *Plan) checkRestored(t *Task) error {
	o := op{"restore task", t.ID}
	if t.Parent != "" {
		if _, err := p.ref(o, "parent", t.Parent); err != nil {
			return err
		}
	}
	if t.Milestone != "" {
		if err := p.refMilestone(o, "milestone", t.Milestone); err != nil {
			return err
		}
	}
	if err := checkOneOf(o, "status", t.Status, Statuses); err != nil {
		return err
	}
	if t.Progress < 0 || t.Progress > 100 {
		return o.invalid("progress", fmt.Sprintf("%d, want 0..100", t.Progress))
	}
	if err := checkFields(o, t.Title, t.Description, t.Priority, t.Estimate,
		t.Start, t.Due); err != nil {
		return err
	}
	for i, u := range t.Assignees {
		// Closed tasks keep the assignees of members who have since left.
		if p.memberIndex(u) < 0 && !t.Status.Closed() {
			return o.invalid(fmt.Sprintf("assignees[%d]", i), fmt.Sprintf("%q is not a member", u))
		}
	}
	return p.checkPreds(o, t.After)
}

func (p *Plan) restoreRecords(o op, s Snapshot) error {
	for i, w := range s.WorkLogs {
		if _, ok := p.tasks[w.Task]; !ok {
			return o.invalid(fmt.Sprintf("worklogs[%d].task", i),
				fmt.Sprintf("%q not found", w.Task))
		}
	}
	for i, c := range s.Comments {
		_, task := p.tasks[c.Target]
		_, ms := p.milestones[c.Target]
		if !task && !ms {
			return o.invalid(fmt.Sprintf("comments[%d].target", i),
				fmt.Sprintf("%q not found", c.Target))
		}
	}
	p.logs = slices.Clone(s.WorkLogs)
	p.comments = slices.Clone(s.Comments)
	for _, b := range s.Baselines {
		p.baselines = append(p.baselines, b.clone())
	}
	return nil
}
