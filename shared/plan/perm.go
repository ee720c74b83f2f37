package plan

import (
	"fmt"
	"strconv"
)

// Scope says on which objects a role may perform an action.
type Scope uint8

// Scopes.
const (
	None Scope = iota // never
	Own               // only on tasks the actor is assigned to (or, for work logs, for self)
	Any               // on any object of the project
)

// String returns "none", "own" or "any".
func (s Scope) String() string {
	if s > Any {
		return "scope(" + strconv.Itoa(int(s)) + ")"
	}
	return [...]string{"none", "own", "any"}[s]
}

// Action is a kind of change that members may be allowed to make. Status
// changes are governed by Transitions instead.
type Action string

// Actions.
const (
	EditProject     Action = "edit project"     // project fields and partners
	ManageMembers   Action = "manage members"   // add, remove, change roles
	ManageMilestone Action = "manage milestone" // create and edit milestones
	AcceptMilestone Action = "accept milestone"
	SaveBaseline    Action = "save baseline"
	CreateTask      Action = "create task" // Own: subtasks of own tasks only
	EditTask        Action = "edit task"   // fields and reported progress
	AssignTask      Action = "assign task"
	MoveTask        Action = "move task"
	EditDependency  Action = "edit dependency" // scope of the dependent task
	LogWork         Action = "log work"        // Own: for self; Any: on behalf too
	AddComment      Action = "comment"
)

// Actions lists every action in table order.
var Actions = []Action{EditProject, ManageMembers, ManageMilestone, AcceptMilestone,
	SaveBaseline, CreateTask, EditTask, AssignTask, MoveTask, EditDependency, LogWork,
	AddComment}

// permissions is the one table of who may do what, by role in Roles order:
// lead, member, supplier, viewer.
var permissions = map[Action][4]Scope{
	EditProject:     {Any, None, None, None},
	ManageMembers:   {Any, None, None, None},
	ManageMilestone: {Any, None, None, None},
	AcceptMilestone: {Any, None, None, None},
	SaveBaseline:    {Any, None, None, None},
	CreateTask:      {Any, Any, Own, None},
	EditTask:        {Any, Own, Own, None},
	AssignTask:      {Any, Any, None, None},
	MoveTask:        {Any, Own, None, None},
	EditDependency:  {Any, Own, None, None},
	LogWork:         {Any, Own, Own, None},
	AddComment:      {Any, Any, Any, None},
}

func roleColumn(r Role) int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return -1
}

// Allowed returns the scope in which role r may perform action a; None for
// unknown roles or actions.
func Allowed(r Role, a Action) Scope {
	i := roleColumn(r)
	row, ok := permissions[a]
	if i < 0 || !ok {
		return None
	}
	return row[i]
}

// member returns the actor's membership or ErrForbidden.
func (p *Plan) member(o op, a Actor) (Member, error) {
	if a.User == "" || a.At.IsZero() {
		return Member{}, o.invalid("actor", "needs a user and a time")
	}
	for _, m := range p.members {
		if m.User == a.User {
			return m, nil
		}
	}
	return Member{}, o.forbidden(fmt.Sprintf("%q is not a member of project %q",
		a.User, p.project.ID))
}

// may checks that the actor may perform action act; own says whether the
// object is the actor's own (see Scope). An archived project only lets the
// lead edit the project itself (to restore it).
func (p *Plan) may(o op, a Actor, act Action, own bool) (Member, error) {
	m, err := p.member(o, a)
	if err != nil {
		return m, err
	}
	if err := p.open(o, act); err != nil {
		return m, err
	}
	switch Allowed(m.Role, act) {
	case Any:
		return m, nil
	case Own:
		if own {
			return m, nil
		}
		return m, o.forbidden(fmt.Sprintf("%s may %s only on own tasks", m.Role, act))
	}
	return m, o.forbidden(fmt.Sprintf("%s may not %s", m.Role, act))
}

// mayTask checks act on task t (nil for a top-level create).
func (p *Plan) mayTask(o op, a Actor, act Action, t *Task) (Member, error) {
	return p.may(o, a, act, t != nil && t.assigned(a.User))
}

func (p *Plan) open(o op, act Action) error {
	if p.project.Status == ProjectArchived && act != EditProject {
		return o.forbidden(fmt.Sprintf("project %q is archived", p.project.ID))
	}
	return nil
}

// taskFor checks that the actor is a member, that task id exists and that
// the actor may perform act on it, in that order.
func (p *Plan) taskFor(o op, a Actor, act Action, id string) (*Task, error) {
	if _, err := p.member(o, a); err != nil {
		return nil, err
	}
	t, err := p.task(o, id)
	if err != nil {
		return nil, err
	}
	if _, err := p.mayTask(o, a, act, t); err != nil {
		return nil, err
	}
	return t, nil
}
