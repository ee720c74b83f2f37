package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Expected workflow per role: rows are the from status and columns the to
// status, both in Statuses order (todo doing review done blocked
// cancelled). 'a' = allowed on any task, 'o' = only on own tasks,
// '.' = never, '-' = same status.
var wantWorkflow = map[Role][]string{
	RoleLead: {
		"-aaaaa",
		"a-aaaa",
		"aa-aaa",
		"aaa-aa",
		"aaaa-a",
		"aaaaa-",
	},
	RoleMember: {
		"-o..o.",
		"o-o.o.",
		".a-a..",
		"...-..",
		"oo..-.",
		".....-",
	},
	RoleSupplier: {
		"-o..o.",
		"o-o.o.",
		".o-...",
		"...-..",
		"oo..-.",
		".....-",
	},
	RoleViewer: {
		"-.....",
		".-....",
		"..-...",
		"...-..",
		"....-.",
		".....-",
	},
}

func wantMove(r Role, from, to int, own bool) bool {
	c := wantWorkflow[r][from][to]
	return c == 'a' || c == 'o' && own
}

func TestCanTransitionTable(t *testing.T) {
	n := 0
	for _, r := range Roles {
		for i, from := range Statuses {
			for j, to := range Statuses {
				for _, own := range []bool{false, true} {
					n++
					got := CanTransition(r, from, to, own)
					if want := wantMove(r, i, j, own); got != want {
						t.Errorf("CanTransition(%s, %s, %s, own=%v) = %v, want %v",
							r, from, to, own, got, want)
					}
				}
			}
		}
	}
	if CanTransition("owner", Todo, Doing, true) || CanTransition(RoleLead, "x", Doing, true) {
		t.Error("CanTransition allows an unknown role or status")
	}
	t.Logf("%d role × from × to × ownership cases", n)
}

// TestSetStatusEnforcesTable drives every cell of the table through
// SetStatus on a real plan.
func TestSetStatusEnforcesTable(t *testing.T) {
	n := 0
	for _, r := range Roles {
		actor := map[Role]string{RoleLead: lead, RoleMember: mem, RoleSupplier: sup,
			RoleViewer: viewer}[r]
		for i, from := range Statuses {
			for j, to := range Statuses {
				if i == j {
					continue
				}
				for _, own := range []bool{false, true} {
					if own && r == RoleViewer {
						continue // viewers cannot be assigned
					}
					n++
					checkMove(t, r, actor, from, to, own, wantMove(r, i, j, own))
				}
			}
		}
	}
	t.Logf("%d status changes tried through SetStatus", n)
}

func checkMove(t *testing.T, r Role, actor string, from, to Status, own, want bool) {
	t.Helper()
	p := newPlan(t)
	assignee := mem
	if own {
		assignee = actor
	} else if actor == mem {
		assignee = sup
	}
	task := mustTask(t, p, by(lead, day0), NewTask{Title: "work", Assignees: []string{assignee}})
	if _, _, err := p.SetStatus(by(lead, day0), task.ID, from); from != Todo && err != nil {
		t.Fatalf("lead sets %s: %v", from, err)
	}
	got, acts, err := p.SetStatus(by(actor, day0+1), task.ID, to)
	if !want {
		if !errors.Is(err, ErrTransition) {
			t.Errorf("%s (own=%v) %s → %s: err = %v, want ErrTransition", r, own, from, to, err)
		}
		if now, _ := p.Task(task.ID); now.Status != from {
			t.Errorf("refused change left status %s, want %s", now.Status, from)
		}
		return
	}
	if err != nil {
		t.Errorf("%s (own=%v) %s → %s: %v", r, own, from, to, err)
		return
	}
	if got.Status != to || len(acts) != 1 || acts[0].Before != string(from) ||
		acts[0].After != string(to) || acts[0].Verb != TaskStatusChanged {
		t.Errorf("%s %s → %s: task %s, activities %v", r, from, to, got.Status, acts)
	}
}

func TestMoves(t *testing.T) {
	tests := []struct {
		r    Role
		from Status
		own  bool
		want []Status
	}{
		{RoleSupplier, Doing, true, []Status{Todo, Review, Blocked}},
		{RoleSupplier, Doing, false, nil},
		{RoleMember, Review, false, []Status{Doing, Done}},
		{RoleLead, Done, false, []Status{Todo, Doing, Review, Blocked, Cancelled}},
		{RoleViewer, Todo, false, nil},
	}
	for _, tt := range tests {
		if got := Moves(tt.r, tt.from, tt.own); !slices.Equal(got, tt.want) {
			t.Errorf("Moves(%s, %s, %v) = %v, want %v", tt.r, tt.from, tt.own, got, tt.want)
		}
	}
}

func TestSetStatusMessages(t *testing.T) {
	p := newPlan(t)
	task := mustTask(t, p, by(lead, day0), NewTask{Title: "work", Assignees: []string{sup}})
	must(p.SetStatus(by(sup, day0), task.ID, Doing)).of(t)
	must(p.SetStatus(by(sup, day0), task.ID, Review)).of(t)
	_, _, err := p.SetStatus(by(sup, day0), task.ID, Done)
	want := `plan: update status "T-1": supplier may not move review → done`
	if err == nil || err.Error() != want {
		t.Errorf("supplier to done: err = %v, want %q", err, want)
	}
	other := mustTask(t, p, by(lead, day0), NewTask{Title: "other", Assignees: []string{mem}})
	_, _, err = p.SetStatus(by(sup, day0), other.ID, Doing)
	if err == nil || !strings.HasSuffix(err.Error(), "on a task not assigned to them") {
		t.Errorf("supplier on another's task: err = %v", err)
	}
	_, _, err = p.SetStatus(Actor{User: "u-stranger", At: noon(day0)}, task.ID, Doing)
	wantErr(t, err, ErrForbidden)
	_, _, err = p.SetStatus(by(lead, day0), task.ID, "finished")
	wantErr(t, err, ErrInvalid)
}

func TestSetStatusReadiness(t *testing.T) {
	p := newPlan(t)
	a := mustTask(t, p, by(lead, day0), NewTask{Title: "a", Assignees: []string{mem}})
	parent := mustTask(t, p, by(lead, day0), NewTask{Title: "parent", After: []string{a.ID}})
	kid := mustTask(t, p, by(lead, day0), NewTask{Title: "kid", Parent: parent.ID,
		Assignees: []string{mem}})

	_, _, err := p.SetStatus(by(mem, day0), kid.ID, Doing)
	wantErr(t, err, ErrTransition)
	if !strings.Contains(err.Error(), `predecessor "T-1" is todo`) {
		t.Errorf("err = %v, want it to name the open predecessor of the parent", err)
	}
	_, _, err = p.SetStatus(by(lead, day0), parent.ID, Done)
	if !errors.Is(err, ErrTransition) || !strings.Contains(err.Error(), `subtask "T-3" is todo`) {
		t.Errorf("parent to done with open subtask: err = %v", err)
	}

	started := must(p.SetStatus(by(mem, day0+1), a.ID, Doing)).of(t)
	must(p.SetStatus(by(mem, day0+2), a.ID, Review)).of(t)
	finished := must(p.SetStatus(by(mem, day0+3), a.ID, Done)).of(t)
	if DateOf(started.StartedAt) != day0+1 || DateOf(finished.FinishedAt) != day0+3 ||
		DateOf(finished.StartedAt) != day0+1 {
		t.Errorf("started %v finished %v", finished.StartedAt, finished.FinishedAt)
	}
	must(p.SetStatus(by(mem, day0+3), kid.ID, Doing)).of(t)
	reopened := must(p.SetStatus(by(lead, day0+4), a.ID, Doing)).of(t)
	if !reopened.FinishedAt.IsZero() || DateOf(reopened.StartedAt) != day0+1 {
		t.Errorf("reopened: started %v finished %v", reopened.StartedAt, reopened.FinishedAt)
	}
}
