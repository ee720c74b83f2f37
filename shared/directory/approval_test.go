package directory_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
)

func request() dingtalk.ApprovalRequest {
	return dingtalk.ApprovalRequest{ProcessCode: "PROC-XT-CONTRACT",
		OriginatorUserID: "u-it-director", DeptID: 3,
		Form: []dingtalk.ApprovalFormKV{{Name: "合同", Value: "C-7"}}}
}

// TestApprovalOutcomeExactlyOnce records one outcome from many concurrent
// callbacks: exactly one of them records it.
func TestApprovalOutcomeExactlyOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	obj := directory.Object{Kind: "contract", ID: "C-7"}
	a, err := e.dir.StartApproval(ctx, e.clients[univ], univ, obj, request())
	if err != nil {
		t.Fatal(err)
	}
	if a.Outcome != directory.OutcomeRunning || a.InstanceID == "" {
		t.Fatalf("started = %+v", a)
	}
	_, err = e.dir.StartApproval(ctx, e.clients[univ], univ, obj, request())
	if !errors.Is(err, directory.ErrInProgress) {
		t.Errorf("second start = %v, want ErrInProgress", err)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := e.dir.RecordOutcome(ctx, univ, a.InstanceID, directory.OutcomeApproved)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			recorded += b2i(ok)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if recorded != 1 {
		t.Errorf("%d calls recorded the outcome, want exactly 1", recorded)
	}
	got, err := e.dir.Outcome(ctx, univ, obj)
	if err != nil || got.Outcome != directory.OutcomeApproved || got.Ver != a.Ver+1 {
		t.Errorf("Outcome = %+v, %v; want approved at ver %d", got, err, a.Ver+1)
	}
	_, err = e.dir.StartApproval(ctx, e.clients[univ], univ, obj, request())
	if !errors.Is(err, directory.ErrApproved) {
		t.Errorf("start after approval = %v, want ErrApproved", err)
	}
}

// TestApprovalRestartAfterRejection starts again after a rejection; the
// old instance's late events no longer touch the object.
func TestApprovalRestartAfterRejection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	obj := directory.Object{Kind: "project", ID: "P-9"}
	first, err := e.dir.StartApproval(ctx, e.clients[univ], univ, obj, request())
	if err != nil {
		t.Fatal(err)
	}
	ok, err := e.dir.RecordOutcome(ctx, univ, first.InstanceID, directory.OutcomeRejected)
	if !ok || err != nil {
		t.Fatalf("RecordOutcome = %v, %v", ok, err)
	}
	second, err := e.dir.StartApproval(ctx, e.clients[univ], univ, obj, request())
	if err != nil || second.InstanceID == first.InstanceID {
		t.Fatalf("restart = %+v, %v", second, err)
	}
	ok, err = e.dir.RecordOutcome(ctx, univ, first.InstanceID, directory.OutcomeTerminated)
	if ok || err != nil {
		t.Errorf("late event of the old instance = %v, %v; want ignored", ok, err)
	}
	_, err = e.dir.RecordOutcome(ctx, univ, "proc-unknown", directory.OutcomeApproved)
	if !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown instance = %v, want ErrNotFound", err)
	}
	if got, _ := e.dir.Outcome(ctx, univ, obj); got.Outcome != directory.OutcomeRunning {
		t.Errorf("outcome = %q, want running", got.Outcome)
	}
}

// TestApprovalStartFailure leaves the object restartable when DingTalk
// refuses the instance.
func TestApprovalStartFailure(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	obj := directory.Object{Kind: "project", ID: "P-bad"}
	bad := request()
	bad.ProcessCode = "PROC-NOPE"
	_, err := e.dir.StartApproval(ctx, e.clients[univ], univ, obj, bad)
	if !errors.Is(err, dingtalk.ErrInvalid) {
		t.Fatalf("start with unknown process = %v, want dingtalk.ErrInvalid", err)
	}
	if got, _ := e.dir.Outcome(ctx, univ, obj); got.Outcome != directory.OutcomeStartFailed {
		t.Errorf("outcome = %q, want start_failed", got.Outcome)
	}
	if _, err := e.dir.StartApproval(ctx, e.clients[univ], univ, obj, request()); err != nil {
		t.Errorf("restart after failure: %v", err)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
