package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBaselineVariance(t *testing.T) {
	p := newPlan(t)
	L := func(d Date) Actor { return by(lead, d) }
	M := func(d Date) Actor { return by(mem, d) }
	must(p.AddMilestone(L(day0), NewMilestone{Title: "Design", Due: day0 + 10})).of(t)
	mustTask(t, p, L(day0), NewTask{Title: "survey", Milestone: "M-1", Estimate: 480,
		Start: day0, Due: day0 + 2, Assignees: []string{mem}})
	mustTask(t, p, L(day0), NewTask{Title: "draft", Milestone: "M-1", Estimate: 960,
		Start: day0 + 3, Due: day0 + 7, After: []string{"T-1"}, Assignees: []string{mem}})
	b := must(p.SaveBaseline(L(day0), "signed plan")).of(t)
	if b.ID != "B-1" || len(b.Tasks) != 2 || b.Tasks[1].Estimate != 960 || b.SavedAt != day0 {
		t.Fatalf("baseline = %+v", b)
	}

	// survey: starts a day late, finishes two days late, 600 of 480 minutes.
	must(p.SetStatus(M(day0+1), "T-1", Doing)).of(t)
	must(p.LogWork(M(day0+1), NewWorkLog{Task: "T-1", Minutes: 300, Date: day0 + 1})).of(t)
	must(p.LogWork(M(day0+2), NewWorkLog{Task: "T-1", Minutes: 300, Date: day0 + 2})).of(t)
	must(p.SetStatus(M(day0+3), "T-1", Review)).of(t)
	must(p.SetStatus(L(day0+4), "T-1", Done)).of(t)
	// draft: due moved out two days (forecast), starts two days late.
	due := day0 + 9
	must(p.EditTask(L(day0+4), "T-2", TaskEdit{Due: &due})).of(t)
	must(p.SetStatus(M(day0+5), "T-2", Doing)).of(t)
	must(p.LogWork(M(day0+5), NewWorkLog{Task: "T-2", Minutes: 240, Date: day0 + 5})).of(t)
	// review: added after the baseline.
	mustTask(t, p, L(day0+5), NewTask{Title: "review", Milestone: "M-1", Estimate: 60,
		Due: day0 + 9})
	must(p.AcceptMilestone(L(day0+12), "M-1", "draft and review carried into phase 2")).of(t)

	got, err := p.Variance("B-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Variance{
		{Kind: "task", ID: "T-1", Title: "survey", PlannedStart: day0, ActualStart: day0 + 1,
			StartDays: 1, PlannedFinish: day0 + 2, ActualFinish: day0 + 4, FinishDays: 2,
			PlannedEffort: 480, ActualEffort: 600, EffortDelta: 120},
		{Kind: "task", ID: "T-2", Title: "draft", PlannedStart: day0 + 3, ActualStart: day0 + 5,
			StartDays: 2, PlannedFinish: day0 + 7, ActualFinish: day0 + 9, Forecast: true,
			FinishDays: 2, PlannedEffort: 960, ActualEffort: 240, EffortDelta: -720},
		{Kind: "task", ID: "T-3", Title: "review", Added: true, ActualFinish: day0 + 9,
			Forecast: true},
		// Planned: the earliest baseline start, the baseline due, 480 + 960.
		// Actual: the first real start, the acceptance day, 600 + 240 + 0.
		{Kind: "milestone", ID: "M-1", Title: "Design", PlannedStart: day0,
			ActualStart: day0 + 1, StartDays: 1, PlannedFinish: day0 + 10,
			ActualFinish: day0 + 12, FinishDays: 2, PlannedEffort: 1440, ActualEffort: 840,
			EffortDelta: -600},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Variance (-want +got):\n%s", diff)
	}
	if _, err := p.Variance("B-9"); err == nil {
		t.Error("Variance of an unknown baseline succeeded")
	} else {
		wantErr(t, err, ErrNotFound)
	}
}

// TestBaselineIsACopy checks that later edits do not reach a saved baseline.
func TestBaselineIsACopy(t *testing.T) {
	p := newPlan(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "t", Estimate: 60, Due: day0 + 3})
	must(p.SaveBaseline(by(lead, day0), "v1")).of(t)
	est := int64(120)
	must(p.EditTask(by(lead, day0), "T-1", TaskEdit{Estimate: &est})).of(t)
	bs := p.Baselines()
	bs[0].Tasks[0].Title = "tampered"
	if got := p.Baselines()[0].Tasks[0]; got.Estimate != 60 || got.Title != "t" {
		t.Errorf("baseline task = %+v, want the saved copy", got)
	}
}
