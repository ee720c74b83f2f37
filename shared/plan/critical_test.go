package plan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// textbook is a small activity-on-node network, scheduled by hand:
//
//	activity  dur  after   ES  EF  LS  LF  slack
//	A          3   -        0   3   0   3   0
//	B          4   -        0   4   1   5   1
//	C          2   A        3   5   3   5   0
//	D          4   A        3   7   4   8   1
//	E          6   B, C     5  11   5  11   0
//	F          3   D        7  10   8  11   1
//	G          2   E, F    11  13  11  13   0
//
// Forward: E waits for max(EF B 4, EF C 5) = 5; G for max(11, 10) = 11;
// the project takes 13. Backward: LF of A is min(LS C 3, LS D 4) = 3.
// The only zero-slack chain is A → C → E → G (3 + 2 + 6 + 2 = 13).
var textbook = []Work{
	{ID: "A", Duration: 3},
	{ID: "B", Duration: 4},
	{ID: "C", Duration: 2, After: []string{"A"}},
	{ID: "D", Duration: 4, After: []string{"A"}},
	{ID: "E", Duration: 6, After: []string{"B", "C"}},
	{ID: "F", Duration: 3, After: []string{"D"}},
	{ID: "G", Duration: 2, After: []string{"E", "F"}},
}

func slot(es, ef, ls, lf int64) Slot {
	return Slot{ES: es, EF: ef, LS: ls, LF: lf, Slack: ls - es, Critical: ls == es}
}

var textbookWant = Schedule{
	Length: 13,
	Path:   []string{"A", "C", "E", "G"},
	Slots: map[string]Slot{
		"A": slot(0, 3, 0, 3), "B": slot(0, 4, 1, 5), "C": slot(3, 5, 3, 5),
		"D": slot(3, 7, 4, 8), "E": slot(5, 11, 5, 11), "F": slot(7, 10, 8, 11),
		"G": slot(11, 13, 11, 13),
	},
}

func TestCriticalPathTextbook(t *testing.T) {
	// The answer must not depend on the order the activities are listed in.
	rev := slices.Clone(textbook)
	slices.Reverse(rev)
	for _, work := range [][]Work{textbook, rev} {
		got, err := CriticalPath(work)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(textbookWant, got); diff != "" {
			t.Errorf("CriticalPath (-want +got):\n%s", diff)
		}
	}
}

func TestCriticalPathErrors(t *testing.T) {
	tests := []struct {
		work []Work
		want error
		msg  string
	}{
		{[]Work{{ID: "A"}, {ID: "A"}}, ErrInvalid,
			`plan: critical path: work[1].id: "A" empty or repeated`},
		{[]Work{{ID: ""}}, ErrInvalid, `plan: critical path: work[0].id: "" empty or repeated`},
		{[]Work{{ID: "A", Duration: -1}}, ErrInvalid,
			`plan: critical path: work[0].duration: negative`},
		{[]Work{{ID: "A", After: []string{"Z"}}}, ErrInvalid,
			`plan: critical path: work[0].after: "Z" not found`},
		{[]Work{{ID: "A", After: []string{"C"}}, {ID: "B", After: []string{"A"}},
			{ID: "C", After: []string{"B"}}}, ErrCycle,
			`plan: critical path: would create a cycle A → B → C → A`},
	}
	for _, tt := range tests {
		_, err := CriticalPath(tt.work)
		wantErr(t, err, tt.want)
		if err.Error() != tt.msg {
			t.Errorf("CriticalPath(%v) = %q, want %q", tt.work, err, tt.msg)
		}
	}
	if s, err := CriticalPath(nil); err != nil || s.Length != 0 || len(s.Path) != 0 {
		t.Errorf("CriticalPath(nil) = %+v, %v", s, err)
	}
}

// TestPlanCriticalPath schedules the textbook network as tasks (durations
// in minutes from estimates), with E decomposed into E1 (4) then E2 (2),
// and a cancelled task that takes no time.
func TestPlanCriticalPath(t *testing.T) {
	p := restored(t, []Task{
		{ID: "A", Estimate: 3},
		{ID: "B", Estimate: 4},
		{ID: "C", Estimate: 2, After: []string{"A"}},
		{ID: "D", Estimate: 4, After: []string{"A"}},
		{ID: "E", Estimate: 999, After: []string{"B", "C"}},
		{ID: "E1", Parent: "E", Estimate: 4},
		{ID: "E2", Parent: "E", Estimate: 2, After: []string{"E1"}},
		{ID: "F", Estimate: 3, After: []string{"D"}},
		{ID: "X", Estimate: 50, Status: Cancelled, After: []string{"F"}},
		{ID: "G", Estimate: 2, After: []string{"E", "X"}},
	}, nil, nil)
	want := Schedule{
		Length: 13,
		Path:   []string{"A", "C", "E1", "E2", "G"},
		Slots: map[string]Slot{
			"A": slot(0, 3, 0, 3), "B": slot(0, 4, 1, 5), "C": slot(3, 5, 3, 5),
			"D": slot(3, 7, 4, 8), "E": slot(5, 11, 5, 11), "E1": slot(5, 9, 5, 9),
			"E2": slot(9, 11, 9, 11), "F": slot(7, 10, 8, 11), "X": slot(10, 10, 11, 11),
			"G": slot(11, 13, 11, 13),
		},
	}
	if diff := cmp.Diff(want, p.CriticalPath()); diff != "" {
		t.Errorf("CriticalPath (-want +got):\n%s", diff)
	}
}

func TestDuration(t *testing.T) {
	mon := day0 // 2026-11-30 is a Monday
	tests := []struct {
		task Task
		want int64
	}{
		{Task{Estimate: 90}, 90},
		{Task{Estimate: 90, Start: mon, Due: mon + 30}, 90},
		{Task{Start: mon, Due: mon + 4}, 5 * WorkdayMinutes}, // Mon..Fri
		{Task{Start: mon, Due: mon + 7}, 6 * WorkdayMinutes}, // Mon..next Mon
		{Task{Start: mon + 5, Due: mon + 6}, 0},              // a weekend
		{Task{Due: mon}, 0},
		{Task{Estimate: 90, Status: Cancelled}, 0},
	}
	for _, tt := range tests {
		if got := Duration(tt.task); got != tt.want {
			t.Errorf("Duration(est %d, %s..%s, %s) = %d, want %d", tt.task.Estimate,
				tt.task.Start, tt.task.Due, tt.task.Status, got, tt.want)
		}
	}
}

// TestCriticalPathRandomDAGs checks CriticalPath against brute force on
// random networks: the length is the longest path over all paths, every
// earliest start is the longest path into the activity, the returned path
// is a chain of dependencies whose durations add up to the length, and
// slack is never negative.
func TestCriticalPathRandomDAGs(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 2026))
	for iter := range 400 {
		work := randomDAG(rng)
		got, err := CriticalPath(work)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		into := longestInto(work)
		var want int64
		for _, w := range work {
			want = max(want, into[w.ID]+w.Duration)
			if s := got.Slots[w.ID]; s.ES != into[w.ID] || s.Slack < 0 || s.EF != s.ES+w.Duration {
				t.Fatalf("iteration %d: %s slot %+v, brute-force ES %d", iter, w.ID, s, into[w.ID])
			}
		}
		if got.Length != want {
			t.Fatalf("iteration %d: length %d, brute force %d; network %v", iter, got.Length,
				want, work)
		}
		checkPath(t, work, got)
	}
}

func randomDAG(rng *rand.Rand) []Work {
	n := 1 + rng.IntN(9)
	work := make([]Work, n)
	for i := range work {
		work[i] = Work{ID: fmt.Sprint("w", i), Duration: int64(rng.IntN(10))}
		for j := range i {
			if rng.IntN(3) == 0 {
				work[i].After = append(work[i].After, work[j].ID)
			}
		}
	}
	rng.Shuffle(n, func(i, j int) { work[i], work[j] = work[j], work[i] })
	return work
}

// longestInto returns, per activity, the longest total duration of any
// chain of predecessors ending just before it, by enumerating every chain.
func longestInto(work []Work) map[string]int64 {
	byID := map[string]Work{}
	for _, w := range work {
		byID[w.ID] = w
	}
	var chain func(id string) int64 // longest chain ending with id, inclusive
	chain = func(id string) int64 {
		var best int64
		for _, pred := range byID[id].After {
			best = max(best, chain(pred))
		}
		return best + byID[id].Duration
	}
	into := map[string]int64{}
	for _, w := range work {
		into[w.ID] = chain(w.ID) - w.Duration
	}
	return into
}

func checkPath(t *testing.T, work []Work, s Schedule) {
	t.Helper()
	byID := map[string]Work{}
	for _, w := range work {
		byID[w.ID] = w
	}
	var sum int64
	for i, id := range s.Path {
		sum += byID[id].Duration
		if !s.Slots[id].Critical {
			t.Fatalf("path %v: %s is not critical", s.Path, id)
		}
		if i > 0 && !slices.Contains(byID[id].After, s.Path[i-1]) {
			t.Fatalf("path %v: %s does not depend on %s", s.Path, id, s.Path[i-1])
		}
	}
	if sum != s.Length {
		t.Fatalf("path %v sums to %d, length %d", s.Path, sum, s.Length)
	}
}
