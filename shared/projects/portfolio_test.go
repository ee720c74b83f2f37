package projects

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/xietong/xietong/shared/plan"
)

// TestPortfolioConcurrentWrites races writers of one shard: every entry
// lands, and a later summary of a project beats an earlier one.
func TestPortfolioConcurrentWrites(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	var ids []string
	for i := 0; len(ids) < 12; i++ {
		if id := fmt.Sprintf("p%04d", i); shardOf(id) == 0 {
			ids = append(ids, id)
		}
	}
	day := plan.NewDate(2026, 12, 3)
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.svc.Store().putSummary(ctx, uni, id,
				plan.Summary{Project: id, Name: id, Tasks: i}, day)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	sums, _, err := st.svc.Store().Portfolio(ctx, uni, day)
	if err != nil || len(sums) != len(ids) {
		t.Fatalf("portfolio after %d racing writers = %d entries, %v; want all", len(ids),
			len(sums), err)
	}
	old := entry{Summary: plan.Summary{Project: ids[0], Tasks: 99}, On: day, At: 1}
	if err := st.svc.Store().putEntries(ctx, uni, 0, map[string]entry{ids[0]: old},
		0); err != nil {
		t.Fatal(err)
	}
	sums, _, _ = st.svc.Store().Portfolio(ctx, uni, day)
	for _, s := range sums {
		if s.Project == ids[0] && s.Tasks == 99 {
			t.Errorf("an earlier summary replaced a later one: %+v", s)
		}
	}
}
