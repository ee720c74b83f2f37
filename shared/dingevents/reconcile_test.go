package dingevents_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// TestReconcileCutAcrossTicks lets each timer run make one reconcile step:
// the daily job starts a reconcile that the run cannot finish, a run too
// close to its deadline makes no step and keeps the cursor, and the
// following drain ticks carry the reconcile on from its stored cursor until
// it ends, leaving no drift: every seeded user is in, a user who left is
// deactivated, and a one-shot reconcile afterwards writes nothing.
func TestReconcileCutAcrossTicks(t *testing.T) {
	s := newStackOpts(t, ots.Config{}, dingfake.DefaultSeed(), stackOpts{
		tune: func(c *dingevents.Config) { c.ReconcileSteps = 1 }})
	ctx := context.Background()
	if _, err := s.dir.Reconcile(ctx, s.corps[univ].Client, univ); err != nil {
		t.Fatal(err)
	}
	seedUser(t, s, "u-late", nil)      // a lost user_add_org
	s.fake.RemoveUser(univ, "u-dev-2") // a lost user_leave_org

	tick(t, s, ctx, `{"job":"reconcile"}`)
	if !reconcileRunning(t, s) {
		t.Fatal("a one-step run finished the whole reconcile; nothing was cut")
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	before := s.snapshot(univ, directoryTables...)
	tick(t, s, short, `{"job":"drain"}`)
	if got := s.snapshot(univ, directoryTables...); got != before {
		t.Errorf("a run 2 s from its deadline stepped the reconcile")
	}

	ticks := 1
	for ; reconcileRunning(t, s) && ticks < 50; ticks++ {
		tick(t, s, ctx, `{"job":"drain"}`)
	}
	if ticks < 3 || reconcileRunning(t, s) {
		t.Fatalf("reconcile ended after %d ticks (running %v), want several", ticks,
			reconcileRunning(t, s))
	}
	for _, o := range dingfake.DefaultSeed() {
		if o.CorpID != univ {
			continue
		}
		for _, u := range o.Users {
			if u.UserID != "u-dev-2" {
				mustUser(t, s, univ, u.UserID)
			}
		}
	}
	mustUser(t, s, univ, "u-late")
	if _, err := s.lookup(univ, "u-dev-2"); !errors.Is(err, directory.ErrInactive) {
		t.Errorf("Lookup(u-dev-2) = %v, want ErrInactive", err)
	}
	ch, err := s.dir.Reconcile(ctx, s.corps[univ].Client, univ)
	if err != nil || ch.Total() != 0 {
		t.Errorf("one-shot reconcile after the stepped one = %+v, %v; want nothing written",
			ch, err)
	}
}

func tick(t *testing.T, s *stack, ctx context.Context, payload string) {
	t.Helper()
	if err := s.handler.Timer(ctx, runtime.TimerEvent{Payload: payload}); err != nil {
		t.Fatal(err)
	}
}

// reconcileRunning reports whether univ has a stored reconcile cursor.
func reconcileRunning(t *testing.T, s *stack) bool {
	t.Helper()
	for _, r := range s.rows(tables.Outbox.Name, univ) {
		if r.String("kind") == "dingtalk-reconcile" {
			return true
		}
	}
	return false
}
