package plan

import (
	"fmt"
	"slices"
	"strconv"
)

// checkMember validates m against the project: a known role, an
// organization that takes part, and leads only from the owning organization.
func (p *Plan) checkMember(o op, m Member) error {
	if err := checkID(o, "user", m.User); err != nil {
		return err
	}
	if err := checkText(o, "name", m.Name, MaxTitle, false); err != nil {
		return err
	}
	if !m.Role.valid() {
		return o.invalid("role", fmt.Sprintf("%q, want one of %v", m.Role, Roles))
	}
	if !p.takesPart(m.Corp) {
		return o.invalid("corp", fmt.Sprintf("%q is neither the owner nor a partner of %q",
			m.Corp, p.project.ID))
	}
	if m.Role == RoleLead && m.Corp != p.project.Org.Corp {
		return o.invalid("role", "a lead must belong to the owning organization")
	}
	return nil
}

func (p *Plan) takesPart(corp string) bool {
	if corp == p.project.Org.Corp {
		return true
	}
	return slices.ContainsFunc(p.project.Partners, func(o Organization) bool {
		return o.Corp == corp
	})
}

func (p *Plan) memberIndex(user string) int {
	return slices.IndexFunc(p.members, func(m Member) bool { return m.User == user })
}

// AddPartner lets org's users become members. Only the lead may add one.
func (p *Plan) AddPartner(a Actor, org Organization) ([]Activity, error) {
	o := op{"add partner", org.Corp}
	if _, err := p.may(o, a, EditProject, false); err != nil {
		return nil, err
	}
	if err := checkID(o, "corp", org.Corp); err != nil {
		return nil, err
	}
	if err := checkText(o, "name", org.Name, MaxTitle, false); err != nil {
		return nil, err
	}
	if p.takesPart(org.Corp) {
		return nil, o.fail(ErrExists, "organization already takes part")
	}
	p.project.Partners = append(p.project.Partners, org)
	return []Activity{p.activity(a, PartnerAdded, "organization", org.Corp, "",
		fields("name", org.Name))}, nil
}

// AddMember adds m to the project. Only the lead may add members.
func (p *Plan) AddMember(a Actor, m Member) ([]Activity, error) {
	o := op{"add member", m.User}
	if _, err := p.may(o, a, ManageMembers, false); err != nil {
		return nil, err
	}
	if err := p.checkMember(o, m); err != nil {
		return nil, err
	}
	if p.memberIndex(m.User) >= 0 {
		return nil, o.fail(ErrExists, "already a member")
	}
	p.members = append(p.members, m)
	after := fields("role", string(m.Role), "corp", m.Corp)
	return []Activity{p.activity(a, MemberAdded, "member", m.User, "", after)}, nil
}

// SetRole changes a member's role. The last lead cannot step down.
func (p *Plan) SetRole(a Actor, user string, r Role) ([]Activity, error) {
	o := op{"set role", user}
	if _, err := p.may(o, a, ManageMembers, false); err != nil {
		return nil, err
	}
	i := p.memberIndex(user)
	if i < 0 {
		return nil, o.notFound("member", user)
	}
	m := p.members[i]
	before := m.Role
	m.Role = r
	if err := p.checkMember(o, m); err != nil {
		return nil, err
	}
	if before == RoleLead && r != RoleLead && p.leads() == 1 {
		return nil, o.invalid("role", "the project's only lead cannot step down")
	}
	p.members[i] = m
	return []Activity{p.activity(a, MemberRoleChanged, "member", user,
		fields("role", string(before)), fields("role", string(r)))}, nil
}

func (p *Plan) leads() int {
	n := 0
	for _, m := range p.members {
		if m.Role == RoleLead {
			n++
		}
	}
	return n
}

// RemoveMember removes a member who has no open assigned tasks; closed
// tasks keep the removed member among their assignees, as history. The
// last lead cannot be removed.
func (p *Plan) RemoveMember(a Actor, user string) ([]Activity, error) {
	// TODO(#6): reopening such a closed task leaves a non-member assigned;
	// SetStatus should ask for a new assignee first.
	o := op{"remove member", user}
	if _, err := p.may(o, a, ManageMembers, false); err != nil {
		return nil, err
	}
	i := p.memberIndex(user)
	if i < 0 {
		return nil, o.notFound("member", user)
	}
	if p.members[i].Role == RoleLead && p.leads() == 1 {
		return nil, o.invalid("user", "the project's only lead cannot be removed")
	}
	if open := p.openAssigned(user); len(open) > 0 {
		return nil, o.invalid("user", fmt.Sprintf("still assigned to %d open tasks (%s)",
			len(open), strconv.Quote(open[0])))
	}
	before := fields("role", string(p.members[i].Role))
	p.members = slices.Delete(p.members, i, i+1)
	return []Activity{p.activity(a, MemberRemoved, "member", user, before, "")}, nil
}

func (p *Plan) openAssigned(user string) []string {
	var ids []string
	for _, t := range p.list {
		if !t.Status.Closed() && t.assigned(user) {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// ProjectEdit lists the project fields to change; nil fields stay.
type ProjectEdit struct {
	Name       *string
	Department *string
	Owner      *string
	Year       *int
	Budget     *int64
	Risk       *Risk
	Status     *ProjectStatus
	Start, End *Date
}

// UpdateProject changes project fields. Only the lead may.
func (p *Plan) UpdateProject(a Actor, e ProjectEdit) ([]Activity, error) {
	o := op{"update project", p.project.ID}
	if _, err := p.may(o, a, EditProject, false); err != nil {
		return nil, err
	}
	pr, before, after := p.project, []string{}, []string{}
	set(&pr.Name, e.Name, "name", &before, &after)
	set(&pr.Department, e.Department, "department", &before, &after)
	set(&pr.Owner, e.Owner, "owner", &before, &after)
	set(&pr.Year, e.Year, "year", &before, &after)
	set(&pr.Budget, e.Budget, "budget", &before, &after)
	set(&pr.Risk, e.Risk, "risk", &before, &after)
	set(&pr.Status, e.Status, "status", &before, &after)
	set(&pr.Start, e.Start, "start", &before, &after)
	set(&pr.End, e.End, "end", &before, &after)
	if err := checkProject(o, pr); err != nil {
		return nil, err
	}
	if len(after) == 0 {
		return nil, nil
	}
	p.project = pr
	return []Activity{p.activity(a, ProjectUpdated, "project", pr.ID,
		fields(before...), fields(after...))}, nil
}

// set applies an optional edit and records a changed field's old and new
// values as name/value pairs.
func set[T comparable](dst *T, v *T, name string, before, after *[]string) {
	if v == nil || *v == *dst {
		return
	}
	*before = append(*before, name, fmt.Sprint(*dst))
	*after = append(*after, name, fmt.Sprint(*v))
	*dst = *v
}
