package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAddTaskInvalid tries one broken field at a time; each is refused
// with ErrInvalid naming the field, and the plan stays as it was.
func TestAddTaskInvalid(t *testing.T) {
	good := NewTask{Title: "ok"}
	tests := []struct {
		name string
		edit func(*NewTask)
		want string
	}{
		{"blank title", func(n *NewTask) { n.Title = "  " }, `title: required`},
		{"long title", func(n *NewTask) { n.Title = strings.Repeat("任", 201) },
			`title: 201 characters, at most 200`},
		{"newline in title", func(n *NewTask) { n.Title = "a\nb" },
			`title: control character U+000A`},
		{"bad utf-8", func(n *NewTask) { n.Title = "\xff" }, `title: not valid UTF-8`},
		{"long description", func(n *NewTask) { n.Description = strings.Repeat("x", MaxText+1) },
			`description: 4001 characters, at most 4000`},
		{"priority", func(n *NewTask) { n.Priority = "asap" },
			`priority: "asap", want one of [low normal high urgent]`},
		{"negative estimate", func(n *NewTask) { n.Estimate = -1 },
			`estimate: -1 minutes, want 0..480000`},
		{"due before start", func(n *NewTask) { n.Start, n.Due = day0+2, day0 },
			`due: 2026-11-30 is before start 2026-12-02`},
		{"ancient date", func(n *NewTask) { n.Due = NewDate(1999, 12, 31) },
			`due: 1999-12-31 outside 2000-01-01..2100-12-31`},
		{"unknown assignee", func(n *NewTask) { n.Assignees = []string{"u-ghost"} },
			`assignees[0]: "u-ghost" is not a member`},
		{"viewer assignee", func(n *NewTask) { n.Assignees = []string{viewer} },
			`assignees[0]: "u-view" is a viewer`},
		{"twice", func(n *NewTask) { n.Assignees = []string{mem, mem} },
			`assignees[1]: "u-mem" listed twice`},
		{"unknown milestone", func(n *NewTask) { n.Milestone = "M-9" },
			`milestone: milestone "M-9" not found`},
		{"unknown predecessor", func(n *NewTask) { n.After = []string{"T-9"} },
			`after[0]: task "T-9" not found`},
		{"unknown parent", func(n *NewTask) { n.Parent = "T-9" }, `parent: task "T-9" not found`},
		{"closed parent", func(n *NewTask) { n.Parent = "T-1" }, `parent: "T-1" is done`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlan(t)
			mustTask(t, p, by(lead, day0), NewTask{Title: "done"})
			must(p.SetStatus(by(lead, day0), "T-1", Done)).of(t)
			before := p.Snapshot()
			in := good
			tt.edit(&in)
			_, acts, err := p.AddTask(by(lead, day0), in)
			if err == nil || acts != nil {
				t.Fatalf("AddTask = %v, %v; want an error", acts, err)
			}
			wantErr(t, err, ErrInvalid)
			if want := `plan: create task "T-2": ` + tt.want; err.Error() != want {
				t.Errorf("err = %q\nwant  %q", err, want)
			}
			if diff := cmp.Diff(before, p.Snapshot()); diff != "" {
				t.Errorf("refused AddTask changed the plan:\n%s", diff)
			}
		})
	}
}

// TestActivityTrail runs a short story and checks every Activity it yields.
func TestActivityTrail(t *testing.T) {
	p, acts, err := New(by(lead, day0), fixtureProject(), fixtureM[0])
	if err != nil {
		t.Fatal(err)
	}
	record := func(r result[Task]) { r.of(t); acts = append(acts, r.acts...) }
	more, err := p.AddMember(by(lead, day0), fixtureM[2])
	if err != nil {
		t.Fatal(err)
	}
	acts = append(acts, more...)
	record(must(p.AddTask(by(lead, day0), NewTask{Title: "Install APs", Estimate: 240,
		Due: day0 + 5, Assignees: []string{sup}})))
	record(must(p.SetStatus(by(sup, day0+1), "T-1", Doing)))
	est := int64(300)
	record(must(p.EditTask(by(sup, day0+1), "T-1", TaskEdit{Estimate: &est})))
	record(must(p.SetProgress(by(sup, day0+2), "T-1", 40)))
	w := must(p.LogWork(by(lead, day0+2), NewWorkLog{Task: "T-1", User: sup, Minutes: 90,
		Date: day0 + 1, Note: "on site"}))
	w.of(t)
	acts = append(acts, w.acts...)

	var got []string
	for _, a := range acts {
		s := a.String()
		if a.OnBehalf != "" {
			s += " (for " + a.OnBehalf + ")"
		}
		got = append(got, s)
	}
	want := []string{
		`u-lead project.create project p1:  → name=Campus network upgrade`,
		`u-lead member.add member u-lead:  → role=lead`,
		`u-lead member.add member u-sup:  → role=supplier corp=dingacmecorp`,
		`u-lead task.create task T-1:  → title="Install APs" status=todo estimate=240 ` +
			`due=2026-12-05`,
		`u-lead task.assign task T-1:  → u-sup`,
		`u-sup task.status task T-1: todo → doing`,
		`u-sup task.update task T-1: estimate=240 → estimate=300`,
		`u-sup task.progress task T-1: 0 → 40`,
		`u-lead worklog.add worklog W-1:  → task=T-1 minutes=90 date=2026-12-01 (for u-sup)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("activities (-want +got):\n%s", diff)
	}
	for _, a := range acts {
		if a.Project != "p1" || a.At.IsZero() {
			t.Errorf("activity %v lacks project or time", a)
		}
	}
	logs := p.WorkLogs()
	if len(logs) != 1 || logs[0].User != sup || logs[0].LoggedBy != lead {
		t.Errorf("work logs = %+v, want one by u-sup recorded by u-lead", logs)
	}
}

func TestWorkLogRules(t *testing.T) {
	p := newPlan(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "t", Assignees: []string{mem}})
	tests := []struct {
		name  string
		actor string
		in    NewWorkLog
		want  error
		msg   string
	}{
		{"member for another", mem, NewWorkLog{User: sup, Minutes: 30, Date: day0}, ErrForbidden,
			`member may log work only on own tasks`},
		{"viewer", viewer, NewWorkLog{Minutes: 30, Date: day0}, ErrForbidden,
			`viewer may not log work`},
		{"future", mem, NewWorkLog{Minutes: 30, Date: day0 + 1}, ErrInvalid,
			`date: 2026-12-01 is after today (2026-11-30)`},
		{"no date", mem, NewWorkLog{Minutes: 30}, ErrInvalid, `date: required`},
		{"zero", mem, NewWorkLog{Date: day0}, ErrInvalid, `minutes: 0, want 1..1440`},
		{"for a viewer", lead, NewWorkLog{User: viewer, Minutes: 30, Date: day0}, ErrInvalid,
			`user: "u-view" is a viewer`},
		{"over a day", mem, NewWorkLog{Minutes: 1000, Date: day0 - 1}, ErrInvalid,
			`minutes: u-mem would have 1500 minutes logged on 2026-11-29, at most 1440`},
	}
	must(p.LogWork(by(mem, day0), NewWorkLog{Task: "T-1", Minutes: 500, Date: day0 - 1})).of(t)
	for _, tt := range tests {
		tt.in.Task = "T-1"
		_, _, err := p.LogWork(by(tt.actor, day0), tt.in)
		wantErr(t, err, tt.want)
		if want := `plan: log work "T-1": ` + tt.msg; err.Error() != want {
			t.Errorf("%s: err = %q\nwant  %q", tt.name, err, want)
		}
	}
	if n := len(p.WorkLogs()); n != 1 {
		t.Errorf("%d work logs after refusals, want 1", n)
	}
}

func TestAcceptMilestone(t *testing.T) {
	p := newPlan(t)
	must(p.AddMilestone(by(lead, day0), NewMilestone{Title: "Pilot", Due: day0 + 7})).of(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "parent", Milestone: "M-1"})
	mustTask(t, p, by(lead, day0), NewTask{Title: "kid", Parent: "T-1"}) // inherits M-1

	_, _, err := p.AcceptMilestone(by(lead, day0+7), "M-1", " ")
	wantErr(t, err, ErrIncomplete)
	want := `plan: accept milestone "M-1": 2 open tasks (first "T-1"); ` +
		`give an override reason to accept anyway`
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	_, _, err = p.AcceptMilestone(by(mem, day0+7), "M-1", "")
	wantErr(t, err, ErrForbidden)

	must(p.SetStatus(by(lead, day0+6), "T-2", Done)).of(t)
	must(p.SetStatus(by(lead, day0+6), "T-1", Done)).of(t)
	m := must(p.AcceptMilestone(by(lead, day0+7), "M-1", "")).of(t)
	if m.AcceptedBy != lead || DateOf(m.AcceptedAt) != day0+7 || m.Override != "" {
		t.Errorf("accepted = %+v", m)
	}
	_, _, err = p.AcceptMilestone(by(lead, day0+8), "M-1", "")
	wantErr(t, err, ErrTransition)
	title := "renamed"
	_, _, err = p.EditMilestone(by(lead, day0+8), "M-1", MilestoneEdit{Title: &title})
	wantErr(t, err, ErrInvalid)

	// With open work, an override reason lets the lead accept, and is kept.
	must(p.AddMilestone(by(lead, day0), NewMilestone{Title: "Rollout", Due: day0 + 14})).of(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "left", Milestone: "M-2"})
	m = must(p.AcceptMilestone(by(lead, day0+14), "M-2", "moved to phase 2")).of(t)
	if m.Override != "moved to phase 2" {
		t.Errorf("override = %q", m.Override)
	}
	_, _, err = p.AddMilestone(by(lead, day0), NewMilestone{Title: "no due"})
	wantErr(t, err, ErrInvalid)
}

func TestMembers(t *testing.T) {
	p := newPlan(t)
	tests := []struct {
		name string
		do   func() error
		want error
		msg  string
	}{
		{"stranger corp", func() error {
			_, err := p.AddMember(by(lead, day0),
				Member{User: "u-x", Corp: "dingother", Role: RoleMember})
			return err
		}, ErrInvalid,
			`plan: add member "u-x": corp: "dingother" is neither the owner nor a partner of "p1"`},
		{"partner lead", func() error {
			_, err := p.AddMember(by(lead, day0), Member{User: "u-x", Corp: acme, Role: RoleLead})
			return err
		}, ErrInvalid,
			`plan: add member "u-x": role: a lead must belong to the owning organization`},
		{"bad role", func() error {
			_, err := p.AddMember(by(lead, day0), Member{User: "u-x", Corp: univ, Role: "boss"})
			return err
		}, ErrInvalid,
			`plan: add member "u-x": role: "boss", want one of [lead member supplier viewer]`},
		{"twice", func() error {
			_, err := p.AddMember(by(lead, day0), fixtureM[1])
			return err
		}, ErrExists, `plan: add member "u-mem": already a member`},
		{"last lead steps down", func() error {
			_, err := p.SetRole(by(lead, day0), lead, RoleMember)
			return err
		}, ErrInvalid, `plan: set role "u-lead": role: the project's only lead cannot step down`},
		{"remove with open task", func() error {
			mustTask(t, p, by(lead, day0), NewTask{Title: "t", Assignees: []string{sup}})
			_, err := p.RemoveMember(by(lead, day0), sup)
			return err
		}, ErrInvalid, `plan: remove member "u-sup": user: still assigned to 1 open tasks ("T-1")`},
		{"member adds", func() error {
			_, err := p.AddMember(by(mem, day0), Member{User: "u-x", Corp: univ, Role: RoleMember})
			return err
		}, ErrForbidden, `plan: add member "u-x": member may not manage members`},
		{"partner twice", func() error {
			_, err := p.AddPartner(by(lead, day0), Organization{Corp: acme})
			return err
		}, ErrExists, `plan: add partner "dingacmecorp": organization already takes part`},
	}
	for _, tt := range tests {
		err := tt.do()
		wantErr(t, err, tt.want)
		if err.Error() != tt.msg {
			t.Errorf("%s: err = %q\nwant  %q", tt.name, err, tt.msg)
		}
	}
	// A new partner's users can then join; a viewer removal works.
	newco := Organization{Corp: "dingnewco", Name: "NewCo"}
	if _, err := p.AddPartner(by(lead, day0), newco); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddMember(by(lead, day0), Member{User: "u-n", Corp: "dingnewco",
		Role: RoleSupplier}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.RemoveMember(by(lead, day0), viewer); err != nil || p.RoleOf(viewer) != "" {
		t.Errorf("RemoveMember(viewer): %v, role %q", err, p.RoleOf(viewer))
	}
}

func TestSnapshotRestore(t *testing.T) {
	p := newPlan(t)
	must(p.AddMilestone(by(lead, day0), NewMilestone{Title: "m", Due: day0 + 9})).of(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "a", Milestone: "M-1", Assignees: []string{mem}})
	mustTask(t, p, by(lead, day0), NewTask{Title: "b", Parent: "T-1", After: nil})
	mustTask(t, p, by(lead, day0), NewTask{Title: "c", After: []string{"T-1"}})
	must(p.LogWork(by(mem, day0), NewWorkLog{Task: "T-1", Minutes: 10, Date: day0})).of(t)
	must(p.AddComment(by(sup, day0), "M-1", "ready?")).of(t)
	must(p.SaveBaseline(by(lead, day0), "v1")).of(t)
	snap := p.Snapshot()
	q, err := Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snap, q.Snapshot()); diff != "" {
		t.Errorf("Restore(Snapshot()) differs:\n%s", diff)
	}
	// The restored plan numbers new objects after the old ones.
	if task := mustTask(t, q, by(lead, day0), NewTask{Title: "d"}); task.ID != "T-4" {
		t.Errorf("new task id %q, want T-4", task.ID)
	}
}

func TestRestoreRefuses(t *testing.T) {
	base := func() Snapshot {
		return Snapshot{Project: fixtureProject(), Members: fixtureM, Seq: Seq{Task: 9},
			Tasks: []Task{{ID: "T-1", Title: "a", Status: Todo, Priority: Normal},
				{ID: "T-2", Title: "b", Status: Todo, Priority: Normal}}}
	}
	tests := []struct {
		name string
		edit func(*Snapshot)
		want error
	}{
		{"parent loop", func(s *Snapshot) {
			s.Tasks[0].Parent, s.Tasks[1].Parent = "T-2", "T-1"
		}, ErrCycle},
		{"dependency loop", func(s *Snapshot) {
			s.Tasks[0].After, s.Tasks[1].After = []string{"T-2"}, []string{"T-1"}
		}, ErrCycle},
		{"unknown parent", func(s *Snapshot) { s.Tasks[0].Parent = "T-7" }, ErrInvalid},
		{"repeated id", func(s *Snapshot) { s.Tasks[1].ID = "T-1" }, ErrInvalid},
		{"seq behind", func(s *Snapshot) { s.Seq.Task = 1 }, ErrInvalid},
		{"no lead", func(s *Snapshot) { s.Members = fixtureM[1:] }, ErrInvalid},
		{"bad status", func(s *Snapshot) { s.Tasks[0].Status = "wip" }, ErrInvalid},
		{"stranger assignee", func(s *Snapshot) { s.Tasks[0].Assignees = []string{"u-x"} },
			ErrInvalid},
		{"orphan log", func(s *Snapshot) {
			s.WorkLogs = []WorkLog{{ID: "W-1", Task: "T-8"}}
		}, ErrInvalid},
	}
	for _, tt := range tests {
		s := base()
		s.Tasks = append([]Task(nil), s.Tasks...)
		tt.edit(&s)
		if _, err := Restore(s); !errors.Is(err, tt.want) {
			t.Errorf("%s: Restore err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := Restore(base()); err != nil {
		t.Errorf("Restore(valid) = %v", err)
	}
}

func TestNewProjectInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Project)
		msg  string
	}{
		{"id", func(p *Project) { p.ID = "p 1" }, `id: character ' ' not allowed in an id`},
		{"name", func(p *Project) { p.Name = "" }, `name: required`},
		{"budget", func(p *Project) { p.Budget = -1 }, `budget: -1, must not be negative`},
		{"year", func(p *Project) { p.Year = 1999 }, `year: 1999, want 2000..2100 or 0`},
		{"risk", func(p *Project) { p.Risk = "extreme" },
			`risk: extreme, want one of [low medium high]`},
		{"partner twice", func(p *Project) { p.Partners = append(p.Partners, p.Org) },
			`partners[1].corp: "dingunivcorp" listed twice`},
		{"end before start", func(p *Project) { p.Start, p.End = day0, day0-1 },
			`end: 2026-11-29 is before start 2026-11-30`},
	}
	for _, tt := range tests {
		pr := fixtureProject()
		tt.edit(&pr)
		_, _, err := New(by(lead, day0), pr, fixtureM[0])
		wantErr(t, err, ErrInvalid)
		if want := `plan: create project "` + pr.ID + `": ` + tt.msg; err.Error() != want {
			t.Errorf("%s: err = %q\nwant  %q", tt.name, err, want)
		}
	}
	_, _, err := New(by(mem, day0), fixtureProject(), fixtureM[0])
	wantErr(t, err, ErrInvalid)
}
