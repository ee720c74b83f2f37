package plan

import (
	"errors"
	"testing"
	"time"
)

// The fixture project: the university "univ" owns it, "acme" is a
// supplier company taking part.
const (
	univ = "dingunivcorp"
	acme = "dingacmecorp"

	lead   = "u-lead"
	mem    = "u-mem"
	sup    = "u-sup"
	viewer = "u-view"
)

var (
	day0     = NewDate(2026, time.November, 30) // a Monday
	fixtureM = []Member{
		{User: lead, Corp: univ, Name: "Li Lead", Role: RoleLead},
		{User: mem, Corp: univ, Name: "Ma Member", Role: RoleMember},
		{User: sup, Corp: acme, Name: "Su Supplier", Role: RoleSupplier},
		{User: viewer, Corp: acme, Name: "Wei Viewer", Role: RoleViewer},
	}
)

func fixtureProject() Project {
	return Project{ID: "p1", Name: "Campus network upgrade",
		Org:        Organization{Corp: univ, Name: "University"},
		Partners:   []Organization{{Corp: acme, Name: "Acme Networks"}},
		Department: "it", Owner: lead, Year: 2026, Budget: 50_000_000, Risk: RiskMedium,
		Status: ProjectActive}
}

// noon returns 12:00 CST on day d.
func noon(d Date) time.Time {
	return time.Date(0, 1, 1, 12, 0, 0, 0, Zone).AddDate(d.Time().Year(),
		int(d.Time().Month())-1, d.Time().Day()-1)
}

func by(user string, d Date) Actor { return Actor{User: user, At: noon(d)} }

// newPlan returns the fixture plan with its four members.
func newPlan(t *testing.T) *Plan {
	t.Helper()
	p, _, err := New(by(lead, day0), fixtureProject(), fixtureM[0])
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, m := range fixtureM[1:] {
		if _, err := p.AddMember(by(lead, day0), m); err != nil {
			t.Fatalf("AddMember(%s): %v", m.User, err)
		}
	}
	return p
}

// restored builds the fixture plan from tasks and milestones directly,
// numbering sequences past them.
func restored(t testing.TB, tasks []Task, ms []Milestone, logs []WorkLog) *Plan {
	t.Helper()
	for i := range tasks {
		if tasks[i].Status == "" {
			tasks[i].Status = Todo
		}
		if tasks[i].Priority == "" {
			tasks[i].Priority = Normal
		}
		if tasks[i].Title == "" {
			tasks[i].Title = "task " + tasks[i].ID
		}
	}
	p, err := Restore(Snapshot{Project: fixtureProject(), Members: fixtureM, Tasks: tasks,
		Milestones: ms, WorkLogs: logs,
		Seq: Seq{Task: 1 << 20, Milestone: 1 << 20, WorkLog: 1 << 20}})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return p
}

func mustTask(t *testing.T, p *Plan, a Actor, in NewTask) Task {
	t.Helper()
	task, _, err := p.AddTask(a, in)
	if err != nil {
		t.Fatalf("AddTask(%q): %v", in.Title, err)
	}
	return task
}

// must captures a mutation's result; of fails the test on its error.
func must[T any](v T, acts []Activity, err error) result[T] { return result[T]{v, acts, err} }

type result[T any] struct {
	v    T
	acts []Activity
	err  error
}

func (r result[T]) of(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func wantErr(t *testing.T, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %T, want *plan.Error", err)
	}
}
