package plan

import (
	"errors"
	"testing"
)

// Expected permissions, four marks per action for lead, member, supplier
// and viewer: 'a' on anything, 'o' only on own tasks (for work logs: only
// for oneself), '.' never.
var wantPerms = map[Action]string{
	EditProject:     "a...",
	ManageMembers:   "a...",
	ManageMilestone: "a...",
	AcceptMilestone: "a...",
	SaveBaseline:    "a...",
	CreateTask:      "aao.",
	EditTask:        "aoo.",
	AssignTask:      "aa..",
	MoveTask:        "ao..",
	EditDependency:  "ao..",
	LogWork:         "aoo.",
	AddComment:      "aaa.",
}

var actorOf = map[Role]string{RoleLead: lead, RoleMember: mem, RoleSupplier: sup,
	RoleViewer: viewer}

// attempt performs action act as actor on the fixture: task T-1 is
// assigned to the actor when own, else to someone else; T-2 is unassigned.
var attempts = map[Action]func(p *Plan, a Actor, own bool) error{
	EditProject: func(p *Plan, a Actor, _ bool) error {
		name := "Renamed"
		_, err := p.UpdateProject(a, ProjectEdit{Name: &name})
		return err
	},
	ManageMembers: func(p *Plan, a Actor, _ bool) error {
		_, err := p.AddMember(a, Member{User: "u-new", Corp: univ, Role: RoleMember})
		return err
	},
	ManageMilestone: func(p *Plan, a Actor, _ bool) error {
		_, _, err := p.AddMilestone(a, NewMilestone{Title: "Go-live", Due: day0 + 30})
		return err
	},
	AcceptMilestone: func(p *Plan, a Actor, _ bool) error {
		_, _, err := p.AcceptMilestone(a, "M-1", "")
		return err
	},
	SaveBaseline: func(p *Plan, a Actor, _ bool) error {
		_, _, err := p.SaveBaseline(a, "v1")
		return err
	},
	CreateTask: func(p *Plan, a Actor, _ bool) error {
		_, _, err := p.AddTask(a, NewTask{Parent: "T-1", Title: "sub"})
		return err
	},
	EditTask: func(p *Plan, a Actor, _ bool) error {
		title := "retitled"
		_, _, err := p.EditTask(a, "T-1", TaskEdit{Title: &title})
		return err
	},
	AssignTask: func(p *Plan, a Actor, _ bool) error {
		_, _, err := p.Assign(a, "T-1", []string{lead})
		return err
	},
	MoveTask: func(p *Plan, a Actor, _ bool) error {
		_, _, err := p.Move(a, "T-1", "T-2")
		return err
	},
	EditDependency: func(p *Plan, a Actor, _ bool) error {
		_, _, err := p.AddDependency(a, "T-1", "T-2")
		return err
	},
	LogWork: func(p *Plan, a Actor, own bool) error {
		user := a.User
		if !own {
			user = map[bool]string{true: mem, false: lead}[a.User == lead]
		}
		_, _, err := p.LogWork(a, NewWorkLog{Task: "T-1", User: user, Minutes: 30,
			Date: DateOf(a.At)})
		return err
	},
	AddComment: func(p *Plan, a Actor, _ bool) error {
		_, _, err := p.AddComment(a, "T-1", "looks good")
		return err
	},
}

func TestAllowedTable(t *testing.T) {
	for _, act := range Actions {
		for i, r := range Roles {
			want := map[byte]Scope{'a': Any, 'o': Own, '.': None}[wantPerms[act][i]]
			if got := Allowed(r, act); got != want {
				t.Errorf("Allowed(%s, %s) = %v, want %v", r, act, got, want)
			}
		}
	}
	if Allowed("owner", EditTask) != None || Allowed(RoleLead, "fly") != None {
		t.Error("Allowed grants an unknown role or action")
	}
}

// TestActionsEnforceTable performs every action as every role, on own and
// other people's tasks, through the mutation API.
func TestActionsEnforceTable(t *testing.T) {
	n := 0
	for _, act := range Actions {
		for i, r := range Roles {
			for _, own := range []bool{false, true} {
				if own && r == RoleViewer {
					continue // viewers cannot be assigned
				}
				n++
				mark := wantPerms[act][i]
				want := mark == 'a' || mark == 'o' && own
				if act == LogWork && mark == 'o' && own {
					want = true
				}
				err := tryAction(t, act, actorOf[r], own)
				switch {
				case want && err != nil:
					t.Errorf("%s as %s (own=%v): %v", act, r, own, err)
				case !want && !errors.Is(err, ErrForbidden):
					t.Errorf("%s as %s (own=%v): err = %v, want ErrForbidden", act, r, own, err)
				}
			}
		}
	}
	t.Logf("%d action × role × ownership cases", n)
}

func tryAction(t *testing.T, act Action, actor string, own bool) error {
	t.Helper()
	p := newPlan(t)
	assignee := mem
	if own {
		assignee = actor
	} else if actor == mem {
		assignee = sup
	}
	mustTask(t, p, by(lead, day0), NewTask{Title: "mine?", Assignees: []string{assignee}})
	mustTask(t, p, by(lead, day0), NewTask{Title: "other"})
	must(p.AddMilestone(by(lead, day0), NewMilestone{Title: "Design", Due: day0 + 7})).of(t)
	return attempts[act](p, by(actor, day0+1), own)
}

func TestNonMemberForbidden(t *testing.T) {
	p := newPlan(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "t"})
	stranger := Actor{User: "u-exec", At: noon(day0)}
	for _, act := range Actions {
		wantErr(t, attempts[act](p, stranger, false), ErrForbidden)
	}
	_, _, err := p.SetStatus(stranger, "T-1", Doing)
	wantErr(t, err, ErrForbidden)
	_, _, err = p.AddTask(Actor{User: lead}, NewTask{Title: "no time"})
	wantErr(t, err, ErrInvalid)
}
