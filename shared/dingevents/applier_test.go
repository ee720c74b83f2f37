package dingevents_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/directory"
)

// recorder is an Applier that remembers its calls and fails the first
// failures of them with a retryable error.
type recorder struct {
	mu       sync.Mutex
	calls    []directory.Approval
	failures int
}

var errBusy = errors.New("recorder: busy")

func (r *recorder) ApplyApproval(_ context.Context, a directory.Approval) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, a)
	if r.failures > 0 {
		r.failures--
		return errBusy
	}
	return nil
}

func (r *recorder) seen() []directory.Approval {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]directory.Approval(nil), r.calls...)
}

// applying replaces s's handler with one that applies contract outcomes
// through rec.
func applying(t *testing.T, s *stack, rec *recorder) {
	t.Helper()
	var corps []dingevents.Corp
	for _, c := range s.corps {
		corps = append(corps, c)
	}
	h, err := dingevents.New(dingevents.Config{Corps: corps, Directory: s.dir, Store: s.store,
		Now: s.clock.Now, Appliers: map[string]dingevents.Applier{"contract": rec}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s.handler, s.url = h, srv.URL+"/callback/dingtalk"
}

// TestApplierReceivesOutcome: the outcome reaches the Applier of the
// object's kind after the directory recorded it; a redelivery does not, a
// later event of the same instance does (the Applier makes it harmless),
// and a kind without an Applier is only recorded.
func TestApplierReceivesOutcome(t *testing.T) {
	s := newStack(t, ots.Config{})
	rec := &recorder{}
	applying(t, s, rec)
	id := startApproval(t, s, "contract", "C-1")
	if _, err := s.fake.ResolveApproval(id, "refuse"); err != nil {
		t.Fatal(err)
	}
	ev := map[string]any{"processInstanceId": id, "type": "finish", "result": "refuse"}
	s.push(univ, "bpms_instance_change", ev)
	s.push(univ, "bpms_instance_change", ev)
	calls := rec.seen()
	if len(calls) != 1 || calls[0].InstanceID != id || calls[0].Outcome != "rejected" ||
		calls[0].Object != (directory.Object{Kind: "contract", ID: "C-1"}) {
		t.Fatalf("calls after a delivery and its redelivery = %+v, want one rejection", calls)
	}
	s.push(univ, "bpms_task_change", map[string]any{"processInstanceId": id,
		"type": "finish", "result": "refuse", "taskId": 9})
	if n := len(rec.seen()); n != 2 {
		t.Errorf("calls after a task event = %d, want 2", n)
	}

	pid := startApproval(t, s, "project", "P-1")
	if _, err := s.fake.ResolveApproval(pid, "agree"); err != nil {
		t.Fatal(err)
	}
	s.push(univ, "bpms_instance_change", map[string]any{"processInstanceId": pid,
		"type": "finish", "result": "agree"})
	wantOutcome(t, s, "project", "P-1", "approved")
	if n := len(rec.seen()); n != 2 {
		t.Errorf("calls after a project outcome = %d, want still 2", n)
	}
}

// TestApplierRetriedFromQueue: an Applier failure that a retry may cure
// queues the event; the drain completes it.
func TestApplierRetriedFromQueue(t *testing.T) {
	s := newStack(t, ots.Config{})
	rec := &recorder{failures: 1} // the delivery, which queues and drains nothing
	applying(t, s, rec)
	id := startApproval(t, s, "contract", "C-2")
	if _, err := s.fake.ResolveApproval(id, "agree"); err != nil {
		t.Fatal(err)
	}
	s.push(univ, "bpms_instance_change", map[string]any{"processInstanceId": id,
		"type": "finish", "result": "agree"})
	if q := s.snapshot(univ, "outbox"); q == "" {
		t.Fatal("a failed application was not queued")
	}
	s.clock.Advance(time.Minute)
	rep, err := s.handler.Drain(context.Background(), univ, 0)
	if err != nil || rep.Done != 1 {
		t.Fatalf("Drain = %+v, %v; want 1 done", rep, err)
	}
	calls := rec.seen()
	if last := calls[len(calls)-1]; last.InstanceID != id || last.Outcome != "approved" {
		t.Errorf("last call = %+v, want the approval of %s", last, id)
	}
	if q := s.snapshot(univ, "outbox"); q != "" {
		t.Errorf("queue not empty after the drain:\n%s", q)
	}
}

// TestApplierSkipsReplacedInstance: once the object started a new
// instance, a late event of the old one reaches no Applier.
func TestApplierSkipsReplacedInstance(t *testing.T) {
	s := newStack(t, ots.Config{})
	rec := &recorder{}
	applying(t, s, rec)
	old := startApproval(t, s, "contract", "C-3")
	ctx := context.Background()
	if ok, err := s.dir.RecordOutcome(ctx, univ, old, "terminated"); !ok || err != nil {
		t.Fatalf("RecordOutcome = %v, %v", ok, err)
	}
	startApproval(t, s, "contract", "C-3")
	if _, err := s.fake.ResolveApproval(old, "terminate"); err != nil {
		t.Fatal(err)
	}
	s.push(univ, "bpms_instance_change", map[string]any{"processInstanceId": old,
		"type": "terminate"})
	if calls := rec.seen(); len(calls) != 0 {
		t.Errorf("calls for a replaced instance = %+v, want none", calls)
	}
}

func TestNewRefusesEmptyApplier(t *testing.T) {
	s := newStack(t, ots.Config{})
	var corps []dingevents.Corp
	for _, c := range s.corps {
		corps = append(corps, c)
	}
	for _, ap := range []map[string]dingevents.Applier{{"": &recorder{}}, {"contract": nil}} {
		_, err := dingevents.New(dingevents.Config{Corps: corps, Directory: s.dir,
			Store: s.store, Appliers: ap})
		if err == nil {
			t.Errorf("New with appliers %v succeeded, want an error", ap)
		}
	}
}
