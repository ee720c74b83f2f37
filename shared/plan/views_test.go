package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWorkload(t *testing.T) {
	// today = day0, Monday 2026-11-30, in ISO week 2026-W49.
	p := restored(t, []Task{
		// 600 min over Mon..Fri: all in W49.
		{ID: "A", Estimate: 600, Start: day0, Due: day0 + 4, Assignees: []string{mem}},
		// 50% of 1000 left = 500 over Thu, Fri, next Mon: 167, 167, 166,
		// each split between two: 84+83, 84+83, 83+83.
		{ID: "B", Estimate: 1000, Progress: 50, Start: day0 + 3, Due: day0 + 7,
			Assignees: []string{mem, sup}},
		// Overdue and unassigned: all 90 today.
		{ID: "C", Estimate: 90, Due: day0 - 3},
		// Never before today: 100 over Mon, Tue.
		{ID: "F", Estimate: 100, Start: day0 - 10, Due: day0 + 1, Assignees: []string{sup}},
		// Plans nothing: no due date, done, cancelled.
		{ID: "D", Estimate: 300, Assignees: []string{mem}},
		{ID: "E", Estimate: 300, Due: day0 + 2, Status: Done, Assignees: []string{mem}},
		{ID: "G", Estimate: 300, Due: day0 + 2, Status: Cancelled, Assignees: []string{mem}},
	}, nil, []WorkLog{
		{ID: "W-1", Task: "A", User: mem, Minutes: 120, Date: day0 - 1,
			LoggedBy: mem}, // Sunday, W48
		{ID: "W-2", Task: "A", User: mem, Minutes: 60, Date: day0, LoggedBy: mem},
	})
	w := func(n int) Week { return Week{2026, n} }
	want := []Load{
		{User: "", Week: w(49), Planned: 90},
		{User: mem, Week: w(48), Logged: 120},
		{User: mem, Week: w(49), Planned: 600 + 84 + 84, Logged: 60},
		{User: mem, Week: w(50), Planned: 83},
		{User: sup, Week: w(49), Planned: 83 + 83 + 100},
		{User: sup, Week: w(50), Planned: 83},
	}
	if diff := cmp.Diff(want, p.Workload(day0)); diff != "" {
		t.Errorf("Workload (-want +got):\n%s", diff)
	}
}

func TestMilestoneRisks(t *testing.T) {
	today := day0 + 10
	accepted := Milestone{ID: "M-4", Title: "accepted", Due: day0, AcceptedBy: lead,
		AcceptedAt: noon(day0)}
	p := restored(t, []Task{
		{ID: "A", Milestone: "M-1",
			Due: day0 + 3}, // overdue, in a past-due milestone
		{ID: "B", Milestone: "M-2", Due: day0 + 20, Estimate: 60},     // due after its milestone
		{ID: "C", Milestone: "M-2", Estimate: 60, Progress: 50},       // 25% overall
		{ID: "D", Milestone: "M-3", Due: day0 + 25},                   // fine
		{ID: "E", Milestone: "M-5", Status: Done},                     // done, near due
		{ID: "F", Milestone: "M-4", Due: day0 + 1},                    // overdue but accepted
		{ID: "G", Milestone: "M-1", Status: Cancelled, Due: day0 + 1}, // cancelled
	}, []Milestone{
		{ID: "M-1", Title: "past", Due: day0 + 5},
		{ID: "M-2", Title: "close", Due: day0 + 14},
		{ID: "M-3", Title: "far", Due: day0 + 30},
		accepted,
		{ID: "M-5", Title: "ready", Due: day0 + 12},
	}, nil)
	want := []MilestoneRisk{
		{ID: "M-1", Title: "past", Due: day0 + 5, Reasons: []string{
			"past due 2026-12-05", `task "A" overdue since 2026-12-03`}},
		{ID: "M-2", Title: "close", Due: day0 + 14, Progress: .25, Reasons: []string{
			`task "B" due 2026-12-20, after the milestone`, "25% done with 4 days left"}},
	}
	if diff := cmp.Diff(want, p.MilestoneRisks(today), approx); diff != "" {
		t.Errorf("MilestoneRisks (-want +got):\n%s", diff)
	}
	s := p.Summary(today)
	if s.AtRisk != 2 || s.Overdue != 2 || s.Tasks != 6 || s.Open != 5 {
		t.Errorf("Summary = %+v, want 2 at risk, 2 overdue (A, F), 6 tasks, 5 open", s)
	}
}

func TestDepartmentView(t *testing.T) {
	it := restored(t, []Task{{ID: "A", Due: day0 - 1}, {ID: "B", Due: day0 + 1}}, nil, nil)
	snap := it.Snapshot()
	snap.Project.ID, snap.Project.Name, snap.Project.Department = "p2", "Library", "lib"
	lib, err := Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	rows := DepartmentView([]*Plan{lib, it}, []string{"it"}, day0)
	if len(rows) != 1 || rows[0].Project != "p1" {
		t.Fatalf("rows = %+v, want only p1", rows)
	}
	if got := rows[0].OverdueTasks; len(got) != 1 || got[0].ID != "A" {
		t.Errorf("overdue = %+v, want A", got)
	}
	rows = DepartmentView([]*Plan{lib, it}, []string{"lib", "it"}, day0)
	if len(rows) != 2 || rows[0].Department != "it" || rows[1].Department != "lib" {
		t.Errorf("rows = %+v, want it then lib", rows)
	}
}

func TestMyTasks(t *testing.T) {
	p1 := restored(t, []Task{
		{ID: "T-1", Title: "no due", Assignees: []string{sup}},
		{ID: "T-2", Title: "high", Due: day0 + 5, Priority: High, Assignees: []string{sup}},
		{ID: "T-3", Title: "urgent", Due: day0 + 5, Priority: Urgent, Assignees: []string{sup}},
		{ID: "T-4", Title: "done", Due: day0, Status: Done, Assignees: []string{sup}},
		{ID: "T-5", Title: "not mine", Due: day0, Assignees: []string{mem}},
	}, nil, nil)
	// A project owned by the supplier's own company.
	p2, _, err := New(by(sup, day0), Project{ID: "acme-1", Name: "Acme internal",
		Org: Organization{Corp: acme}}, Member{User: sup, Corp: acme, Role: RoleLead})
	if err != nil {
		t.Fatal(err)
	}
	mustTask(t, p2, by(sup, day0), NewTask{Title: "soonest", Due: day0 + 2, Priority: Low,
		Assignees: []string{sup}})
	var got []string
	for _, m := range MyTasks([]*Plan{p1, p2}, sup) {
		got = append(got, m.Corp+"/"+m.Project+"/"+m.Title)
	}
	want := []string{acme + "/acme-1/soonest", univ + "/p1/urgent", univ + "/p1/high",
		univ + "/p1/no due"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MyTasks (-want +got):\n%s", diff)
	}
}

func TestMyWeeks(t *testing.T) {
	p := newPlan(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "t", Assignees: []string{mem}})
	now := NewDate(2027, time.January, 5)
	logs := []struct {
		by   string
		date Date
		min  int64
	}{
		{mem, NewDate(2026, time.December, 27), 60},  // Sunday: 2026-W52
		{mem, NewDate(2026, time.December, 31), 120}, // Thursday: 2026-W53
		{lead, NewDate(2027, time.January, 1), 30},   // Friday, still 2026-W53, for mem
		{mem, NewDate(2027, time.January, 4), 45},    // Monday: 2027-W01
		{lead, NewDate(2027, time.January, 4), 999},  // the lead's own work
	}
	for _, l := range logs {
		user := mem
		if l.min == 999 {
			user = lead
		}
		must(p.LogWork(by(l.by, now), NewWorkLog{Task: "T-1", User: user, Minutes: l.min,
			Date: l.date})).of(t)
	}
	var got []string
	for _, w := range MyWeeks([]*Plan{p}, mem) {
		var days []string
		for _, l := range w.Logs {
			days = append(days, l.Date.String()+" by "+l.LoggedBy)
		}
		got = append(got, w.Week.String()+" "+strings.Join(days, ", ")+" = "+
			time.Duration(w.Minutes*int64(time.Minute)).String())
	}
	want := []string{
		"2027-W01 2027-01-04 by u-mem = 45m0s",
		"2026-W53 2026-12-31 by u-mem, 2027-01-01 by u-lead = 2h30m0s",
		"2026-W52 2026-12-27 by u-mem = 1h0m0s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MyWeeks (-want +got):\n%s", diff)
	}
}

func TestGanttAndLeadView(t *testing.T) {
	p := restored(t, []Task{
		{ID: "A", Estimate: 60, Milestone: "M-1"},
		{ID: "B", Estimate: 30, After: []string{"A"}},
		{ID: "B1", Parent: "B", Estimate: 30, Status: Done},
		{ID: "C", Estimate: 10},
	}, []Milestone{{ID: "M-1", Title: "m", Due: day0 + 3}}, nil)
	v, err := p.LeadView(day0, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range v.Gantt {
		got = append(got, strings.Repeat(".", r.Depth)+r.ID+
			map[bool]string{true: "*"}[r.Slot.Critical])
	}
	want := []string{"A*", "B*", ".B1*", "C", "M-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Gantt rows (-want +got):\n%s", diff)
	}
	if !cmp.Equal(v.Critical.Path, []string{"A", "B1"}) || v.Critical.Length != 90 {
		t.Errorf("critical path %v length %d, want [A B1] 90", v.Critical.Path, v.Critical.Length)
	}
	if _, err := p.LeadView(day0, "B-1"); err == nil {
		t.Error("LeadView with an unknown baseline succeeded")
	}
}
