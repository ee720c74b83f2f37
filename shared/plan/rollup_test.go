package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var approx = cmpopts.EquateApprox(0, 1e-9)

func TestRollup(t *testing.T) {
	ms := []Milestone{{ID: "M-1", Title: "m1", Due: day0 + 10},
		{ID: "M-2", Title: "m2", Due: day0 + 20}, {ID: "M-3", Title: "empty", Due: day0 + 30},
		{ID: "M-4", Title: "empty accepted", Due: day0, AcceptedBy: lead,
			AcceptedAt: noon(day0)}}
	tests := []struct {
		name  string
		tasks []Task
		want  Rollup
	}{
		{
			name: "empty",
			want: Rollup{Tasks: map[string]float64{}, Estimates: map[string]int64{},
				Milestones: map[string]float64{"M-1": 0, "M-2": 0, "M-3": 0, "M-4": 1}},
		},
		{
			// A: 120 min, done → 1. B: 60 min, 20% → 0.2.
			// C (M-1) has C1: 240 min at 25% → .25, C2 (M-2): unestimated,
			// done → 1, weighs the mean of its estimated siblings (240),
			// C3: cancelled, left out. C = (240×.25 + 240×1)/480 = .625,
			// effective estimate 240 (C's own 9999 is ignored). D: unestimated, doing,
			// reported 100% → capped at .99, weighs the mean of A, B, C = 420/3 = 140.
			// Project = (120×1 + 60×.2 + 240×.625 + 140×.99)/(120+60+240+140)
			//         = (120 + 12 + 150 + 138.6)/560 = 420.6/560.
			// M-1 tops: A, C → (120×1 + 240×.625)/360 = 270/360 = .75.
			// M-2 tops: B and C2 (its parent is in M-1); C2 weighs B's 60
			// → (60×.2 + 60×1)/120 = .6.
			name: "weighted",
			tasks: []Task{
				{ID: "A", Estimate: 120, Status: Done, Milestone: "M-1"},
				{ID: "B", Estimate: 60, Progress: 20, Status: Doing, Milestone: "M-2"},
				{ID: "C", Milestone: "M-1", Estimate: 9999},
				{ID: "C1", Parent: "C", Estimate: 240, Progress: 25},
				{ID: "C2", Parent: "C", Status: Done, Milestone: "M-2"},
				{ID: "C3", Parent: "C", Estimate: 500, Status: Cancelled},
				{ID: "D", Progress: 100, Status: Doing},
			},
			want: Rollup{
				Project: 420.6 / 560,
				Tasks: map[string]float64{"A": 1, "B": .2, "C": .625, "C1": .25, "C2": 1,
					"C3": 0, "D": .99},
				Estimates: map[string]int64{"A": 120, "B": 60, "C": 240, "C1": 240,
					"C2": 0, "D": 0},
				Milestones: map[string]float64{"M-1": .75, "M-2": .6, "M-3": 0, "M-4": 1},
			},
		},
		{
			// P's subtasks are unestimated, so they weigh equally:
			// P = (.5 + 0)/2 = .25, and P's effective estimate falls back
			// to its own 300. At the top, Q is unestimated and weighs the
			// mean of its estimated siblings, 300.
			// Project = (300×.25 + 300×.4)/600 = .325.
			name: "unestimated",
			tasks: []Task{
				{ID: "P", Estimate: 300},
				{ID: "P1", Parent: "P", Progress: 50},
				{ID: "P2", Parent: "P"},
				{ID: "Q", Progress: 40},
			},
			want: Rollup{
				Project:    (300*.25 + 300*.4) / 600,
				Tasks:      map[string]float64{"P": .25, "P1": .5, "P2": 0, "Q": .4},
				Estimates:  map[string]int64{"P": 300, "P1": 0, "P2": 0, "Q": 0},
				Milestones: map[string]float64{"M-1": 0, "M-2": 0, "M-3": 0, "M-4": 1},
			},
		},
		{
			// A cancelled summary drops its whole subtree; a summary whose
			// subtasks are all cancelled counts as a leaf (S: 30%).
			// Project = (100×.3 + 100×1)/200 = .65.
			name: "cancelled",
			tasks: []Task{
				{ID: "X", Status: Cancelled},
				{ID: "X1", Parent: "X", Estimate: 1000, Status: Done},
				{ID: "S", Estimate: 100, Progress: 30},
				{ID: "S1", Parent: "S", Estimate: 50, Status: Cancelled},
				{ID: "Y", Estimate: 100, Status: Done},
			},
			want: Rollup{
				Project:    .65,
				Tasks:      map[string]float64{"X": 0, "X1": 0, "S": .3, "S1": 0, "Y": 1},
				Estimates:  map[string]int64{"S": 100, "Y": 100},
				Milestones: map[string]float64{"M-1": 0, "M-2": 0, "M-3": 0, "M-4": 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := restored(t, tt.tasks, ms, nil)
			if diff := cmp.Diff(tt.want, p.Rollup(), approx); diff != "" {
				t.Errorf("Rollup (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRollupDeep checks a 4-level decomposition whose leaves are half done.
func TestRollupDeep(t *testing.T) {
	// R ⊃ A ⊃ A1 (done, 60) and A2 (0%, 60); R ⊃ B ⊃ B1 ⊃ B11 (50%, 120).
	// A = .5 (est 120); B1 = .5, B = .5 (est 120); R = .5 (est 240).
	p := restored(t, []Task{
		{ID: "R"}, {ID: "A", Parent: "R"}, {ID: "A1", Parent: "A", Estimate: 60, Status: Done},
		{ID: "A2", Parent: "A", Estimate: 60}, {ID: "B", Parent: "R"},
		{ID: "B1", Parent: "B"}, {ID: "B11", Parent: "B1", Estimate: 120, Progress: 50},
	}, nil, nil)
	r := p.Rollup()
	want := map[string]float64{"R": .5, "A": .5, "A1": 1, "A2": 0, "B": .5, "B1": .5, "B11": .5}
	if diff := cmp.Diff(want, r.Tasks, approx); diff != "" {
		t.Errorf("Tasks (-want +got):\n%s", diff)
	}
	if r.Estimates["R"] != 240 || r.Project != .5 {
		t.Errorf("R estimate %d, project %v; want 240, .5", r.Estimates["R"], r.Project)
	}
}
