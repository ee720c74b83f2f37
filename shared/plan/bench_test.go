package plan

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// bigPlan builds a 10,000-task plan: 100 top-level tasks of 9 subtasks of
// 10 leaves each, every leaf after up to two random earlier leaves, and
// every tenth top-level task after the one before.
func bigPlan(b testing.TB) *Plan {
	rng := rand.New(rand.NewPCG(10, 10000))
	var tasks, leaves []Task
	id := func() string { return fmt.Sprint("T-", len(tasks)+1) }
	for r := range 100 {
		root := Task{ID: id(), Estimate: 60}
		if r%10 == 9 {
			root.After = []string{tasks[len(tasks)-91].ID}
		}
		tasks = append(tasks, root)
		for range 9 {
			mid := Task{ID: id(), Parent: root.ID}
			tasks = append(tasks, mid)
			for range 10 {
				leaf := Task{ID: id(), Parent: mid.ID, Estimate: int64(30 + rng.IntN(450)),
					Progress: rng.IntN(100), Status: Statuses[rng.IntN(4)]}
				for k := 0; k < 2 && len(leaves) > 0; k++ {
					pred := leaves[rng.IntN(len(leaves))].ID
					if pred != leaf.ID && (len(leaf.After) == 0 || leaf.After[0] != pred) {
						leaf.After = append(leaf.After, pred)
					}
				}
				tasks = append(tasks, leaf)
				leaves = append(leaves, leaf)
			}
		}
	}
	return restored(b, tasks, nil, nil)
}

func BenchmarkCriticalPath10k(b *testing.B) {
	p := bigPlan(b)
	var s Schedule
	for b.Loop() {
		s = p.CriticalPath()
	}
	b.ReportMetric(float64(len(p.list)), "tasks")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(p.list)), "ns/task")
	if len(s.Path) == 0 {
		b.Fatal("no critical path")
	}
}

func BenchmarkRollup10k(b *testing.B) {
	p := bigPlan(b)
	var r Rollup
	for b.Loop() {
		r = p.Rollup()
	}
	b.ReportMetric(float64(len(p.list)), "tasks")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(p.list)), "ns/task")
	if r.Project <= 0 {
		b.Fatal("no progress")
	}
}

// BenchmarkAddDependency10k measures the cycle check that every
// dependency change runs over the whole plan.
func BenchmarkAddDependency10k(b *testing.B) {
	p := bigPlan(b)
	a := by(lead, day0)
	for b.Loop() {
		if _, _, err := p.AddDependency(a, "T-2", "T-3"); !errors.Is(err, ErrCycle) {
			b.Fatalf("err = %v, want a cycle", err)
		}
	}
	b.ReportMetric(float64(len(p.list)), "tasks")
}
