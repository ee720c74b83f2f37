package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
)

// cutSource fails every cutEvery-th read, as an invocation killed by its
// timeout in the middle of a unit of work would.
type cutSource struct {
	directory.Source
	cutEvery, n int
}

var errCut = errors.New("invocation cut")

func (s *cutSource) cut() error {
	s.n++
	if s.n%s.cutEvery == 0 {
		return errCut
	}
	return nil
}

func (s *cutSource) Department(ctx context.Context, id int64) (dingtalk.Department, error) {
	if err := s.cut(); err != nil {
		return dingtalk.Department{}, err
	}
	return s.Source.Department(ctx, id)
}

func (s *cutSource) UsersPage(ctx context.Context, dept, cursor int64,
	size int) (dingtalk.UserPage, error) {
	if err := s.cut(); err != nil {
		return dingtalk.UserPage{}, err
	}
	return s.Source.UsersPage(ctx, dept, cursor, size)
}

// TestReconcileInSteps runs a drift repair two DingTalk reads a step, the
// cursor stored as JSON between steps as between invocations, with every
// seventh read failing mid-unit; retrying from the stored cursor finishes
// the reconcile with the directory as a one-shot reconcile builds it, and a
// full reconcile afterwards finds nothing to write.
func TestReconcileInSteps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.reconcile(t, univ)
	e.fake.RemoveUser(univ, "u-accountant")
	if err := e.fake.PutDept(univ, dingfake.Dept{ID: 8, Name: "网络安全组",
		ParentID: 3}); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.PutUser(univ, dingfake.User{UserID: "u-sec", Name: "吴工",
		DeptIDs: []int64{8}, Active: true}); err != nil {
		t.Fatal(err)
	}

	src := &cutSource{Source: e.clients[univ], cutEvery: 7}
	stored := "{}"
	steps, cuts := 0, 0
	for ; steps < 200; steps++ {
		var cur directory.ReconcileCursor
		if err := json.Unmarshal([]byte(stored), &cur); err != nil {
			t.Fatal(err)
		}
		if cur.Done() {
			break
		}
		next, err := e.dir.ReconcileStep(ctx, src, univ, cur, 2)
		if errors.Is(err, errCut) {
			cuts++
			continue // the invocation died: the stored cursor is kept
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(next)
		stored = string(b)
	}
	if steps < 5 || cuts == 0 {
		t.Fatalf("%d steps with %d cuts, want a reconcile cut into several", steps, cuts)
	}

	clean := e.fresh(t)
	clean.reconcile(t, univ)
	var kept []string
	for _, line := range strings.Split(e.state(t, univ), "\n") {
		if !strings.Contains(line, "UserID:u-accountant ") {
			kept = append(kept, line)
		}
	}
	if want := clean.state(t, univ); strings.Join(kept, "\n") != want {
		t.Errorf("stepped reconcile left:\n%s\nwant:\n%s", strings.Join(kept, "\n"), want)
	}
	if _, err := e.dir.Lookup(ctx, univ, "u-accountant"); !errors.Is(err, directory.ErrInactive) {
		t.Errorf("Lookup(u-accountant) = %v, want ErrInactive", err)
	}
	if again := e.reconcile(t, univ); again.Total() != 0 {
		t.Errorf("reconcile after the stepped one wrote %+v, want nothing", again)
	}
}
