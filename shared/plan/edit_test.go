package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddTaskCycle(t *testing.T) {
	p := newPlan(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "parent"})
	before := p.Snapshot()
	_, _, err := p.AddTask(by(lead, day0), NewTask{Title: "kid", Parent: "T-1",
		After: []string{"T-1"}})
	wantErr(t, err, ErrCycle)
	want := `plan: create task "T-2": would create a cycle T-2 → T-1 → T-2`
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if diff := cmp.Diff(before, p.Snapshot()); diff != "" {
		t.Errorf("refused AddTask changed the plan:\n%s", diff)
	}
	if task := mustTask(t, p, by(lead, day0), NewTask{Title: "next"}); task.ID != "T-2" {
		t.Errorf("next id %q, want T-2 (the refused one is reused)", task.ID)
	}
}

func TestArchivedProjectIsReadOnly(t *testing.T) {
	p := newPlan(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "a", Assignees: []string{mem}})
	archived, active := ProjectArchived, ProjectActive
	if _, err := p.UpdateProject(by(lead, day0), ProjectEdit{Status: &archived}); err != nil {
		t.Fatal(err)
	}
	for _, act := range Actions {
		if act == EditProject {
			continue
		}
		err := attempts[act](p, by(lead, day0), true)
		wantErr(t, err, ErrForbidden)
		if !strings.HasSuffix(err.Error(), `project "p1" is archived`) {
			t.Errorf("%s: err = %v", act, err)
		}
	}
	_, _, err := p.SetStatus(by(lead, day0), "T-1", Doing)
	wantErr(t, err, ErrForbidden)
	if _, err := p.UpdateProject(by(lead, day0), ProjectEdit{Status: &active}); err != nil {
		t.Fatal(err)
	}
	must(p.SetStatus(by(lead, day0), "T-1", Doing)).of(t)
}

func TestEdits(t *testing.T) {
	p := newPlan(t)
	a := mustTask(t, p, by(lead, day0), NewTask{Title: "a", Assignees: []string{mem}})
	mustTask(t, p, by(lead, day0), NewTask{Title: "b", After: []string{a.ID}})
	mustTask(t, p, by(lead, day0), NewTask{Title: "a1", Parent: a.ID})

	task, acts, err := p.RemoveDependency(by(lead, day0), "T-2", "T-1")
	if err != nil || task.After != nil || len(acts) != 1 || acts[0].Before != "after=T-1" {
		t.Errorf("RemoveDependency = %+v, %v, %v", task.After, acts, err)
	}
	_, _, err = p.RemoveDependency(by(lead, day0), "T-2", "T-1")
	wantErr(t, err, ErrNotFound)

	_, _, err = p.SetProgress(by(mem, day0), "T-1", 50)
	if err == nil || !strings.HasSuffix(err.Error(), "progress: rolled up from subtasks") {
		t.Errorf("SetProgress on a summary: %v", err)
	}
	_, _, err = p.SetProgress(by(lead, day0), "T-3", 101)
	wantErr(t, err, ErrInvalid)

	must(p.AddMilestone(by(lead, day0), NewMilestone{Title: "m", Due: day0 + 5})).of(t)
	due := day0 + 9
	m, acts, err := p.EditMilestone(by(lead, day0), "M-1", MilestoneEdit{Due: &due})
	if err != nil || m.Due != due || m.Ver != 2 || acts[0].After != "due=2026-12-09" {
		t.Errorf("EditMilestone = %+v, %v, %v", m, acts, err)
	}
	bad := Date(0)
	_, _, err = p.EditMilestone(by(lead, day0), "M-1", MilestoneEdit{Due: &bad})
	wantErr(t, err, ErrInvalid)

	risk, budget := RiskHigh, int64(1)
	acts, err = p.UpdateProject(by(lead, day0), ProjectEdit{Risk: &risk, Budget: &budget})
	if err != nil || len(acts) != 1 || acts[0].Before != "budget=50000000 risk=medium" ||
		acts[0].After != "budget=1 risk=high" {
		t.Errorf("UpdateProject = %v, %v", acts, err)
	}
	acts, err = p.UpdateProject(by(lead, day0), ProjectEdit{Risk: &risk})
	if acts != nil || err != nil {
		t.Errorf("no-op UpdateProject = %v, %v; want nothing", acts, err)
	}
	acts, err = p.SetRole(by(lead, day0), sup, RoleViewer)
	if err != nil || p.RoleOf(sup) != RoleViewer || acts[0].After != "role=viewer" {
		t.Errorf("SetRole = %v, %v", acts, err)
	}
	if _, err := p.SetRole(by(lead, day0), sup, RoleLead); err == nil {
		t.Error("a partner's user became lead")
	}
}
