package plan

import (
	"fmt"
	"strconv"
)

// NewMilestone is the input to AddMilestone.
type NewMilestone struct {
	Title string
	Due   Date
}

// AddMilestone creates a milestone. Only the lead may.
func (p *Plan) AddMilestone(a Actor, in NewMilestone) (Milestone, []Activity, error) {
	o := op{"create milestone", "M-" + strconv.Itoa(p.seq.Milestone+1)}
	if _, err := p.may(o, a, ManageMilestone, false); err != nil {
		return Milestone{}, nil, err
	}
	if err := checkMilestone(o, in.Title, in.Due); err != nil {
		return Milestone{}, nil, err
	}
	m := &Milestone{ID: nextID("M-", &p.seq.Milestone), Title: in.Title, Due: in.Due, Ver: 1}
	p.milestones[m.ID] = m
	p.msOrder = append(p.msOrder, m.ID)
	return *m, []Activity{p.activity(a, MilestoneCreated, "milestone", m.ID, "",
		fields("title", strconv.Quote(m.Title), "due", m.Due.String()))}, nil
}

func checkMilestone(o op, title string, due Date) error {
	if err := checkText(o, "title", title, MaxTitle, true); err != nil {
		return err
	}
	if due == 0 {
		return o.invalid("due", "required")
	}
	return checkDate(o, "due", due)
}

// MilestoneEdit lists the milestone fields to change; nil fields stay.
type MilestoneEdit struct {
	Title *string
	Due   *Date
}

// EditMilestone changes a milestone that is not yet accepted. Only the lead
// may.
func (p *Plan) EditMilestone(a Actor, id string, e MilestoneEdit) (Milestone, []Activity, error) {
	o := op{"update milestone", id}
	if _, err := p.may(o, a, ManageMilestone, false); err != nil {
		return Milestone{}, nil, err
	}
	m, err := p.milestone(o, id)
	if err != nil {
		return Milestone{}, nil, err
	}
	if m.Accepted() {
		return Milestone{}, nil, o.invalid("", "accepted milestones cannot change")
	}
	n := *m
	var before, after []string
	set(&n.Title, e.Title, "title", &before, &after)
	set(&n.Due, e.Due, "due", &before, &after)
	if err := checkMilestone(o, n.Title, n.Due); err != nil {
		return Milestone{}, nil, err
	}
	if len(after) == 0 {
		return *m, nil, nil
	}
	n.Ver++
	*m = n
	return *m, []Activity{p.activity(a, MilestoneUpdated, "milestone", id,
		fields(before...), fields(after...))}, nil
}

// AcceptMilestone records the lead's acceptance of a milestone. It is
// refused with ErrIncomplete while any of the milestone's tasks is open,
// unless override gives the reason for accepting anyway.
func (p *Plan) AcceptMilestone(a Actor, id, override string) (Milestone, []Activity, error) {
	o := op{"accept milestone", id}
	if _, err := p.may(o, a, AcceptMilestone, false); err != nil {
		return Milestone{}, nil, err
	}
	m, err := p.milestone(o, id)
	if err != nil {
		return Milestone{}, nil, err
	}
	if m.Accepted() {
		return Milestone{}, nil, o.fail(ErrTransition, "already accepted by "+
			strconv.Quote(m.AcceptedBy))
	}
	if err := checkText(o, "override", override, MaxText, false); err != nil {
		return Milestone{}, nil, err
	}
	open := p.openIn(id)
	if len(open) > 0 && trimSpace(override) == "" {
		return Milestone{}, nil, o.fail(ErrIncomplete, fmt.Sprintf(
			"%d open tasks (first %q); give an override reason to accept anyway",
			len(open), open[0]))
	}
	m.AcceptedBy, m.AcceptedAt, m.Override = a.User, a.At, override
	m.Ver++
	after := fields("accepted_by", a.User, "override", strconv.Quote(override))
	if override == "" {
		after = fields("accepted_by", a.User)
	}
	return *m, []Activity{p.activity(a, MilestoneAccepted, "milestone", id, "", after)}, nil
}

// openIn returns the open tasks whose effective milestone is ms.
func (p *Plan) openIn(ms string) []string {
	var ids []string
	for _, t := range p.list {
		if !t.Status.Closed() && p.milestoneOf(t) == ms {
			ids = append(ids, t.ID)
		}
	}
	return ids
}
