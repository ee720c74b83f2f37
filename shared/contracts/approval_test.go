package contracts

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

const contractProcess = "PROC-XT-CONTRACT"

var _ dingevents.Applier = (*Applier)(nil)

// oaStack is the stack with DingTalk: the fake serving the university under
// the tests' corp id (with the tests' people in its directory), the Service
// starting approvals through it, and the real dingevents handler, fed by the
// fake's encrypting pusher, applying outcomes through an Applier.
type oaStack struct {
	*stack
	fake     *dingfake.Fake
	callback string
	handler  *dingevents.Handler
}

func newOAStack(t *testing.T) *oaStack {
	t.Helper()
	org := dingfake.DefaultSeed()[0]
	org.CorpID = uni
	for _, p := range people {
		if p.corp == uni {
			org.Users = append(org.Users, dingfake.User{UserID: p.user, Name: p.user,
				DeptIDs: []int64{3}, Active: true})
		}
	}
	fake := dingfake.New(dingfake.Config{Orgs: []dingfake.Org{org},
		RetryDelays: []time.Duration{}})
	fsrv := httptest.NewServer(fake)
	t.Cleanup(fsrv.Close)
	opts := dingtalk.Options{Endpoints: dingtalk.Endpoints{OAPI: fsrv.URL, API: fsrv.URL},
		QPS: -1, Retries: -1}
	a := org.Apps[0]
	apps := fmt.Sprintf(`[{"corpId":%q,"appKey":%q,"appSecret":%q,"agentId":%d,`+
		`"callbackToken":%q,"aesKey":%q,"approvalProcesses":{"contract":%q}}]`,
		uni, a.AppKey, a.AppSecret, a.AgentID, a.CallbackToken, a.AESKey, contractProcess)
	approvers, err := ApproversFromApps([]byte(apps), opts)
	if err != nil {
		t.Fatal(err)
	}
	s := &oaStack{stack: newStack(t, Config{Approvers: approvers}), fake: fake}
	s.handler = newCallbackHandler(t, s.db, []byte(apps), opts)
	srv := httptest.NewServer(s.handler)
	t.Cleanup(srv.Close)
	s.callback = srv.URL + "/callback/dingtalk"
	return s
}

// newCallbackHandler is the dingtalk-callback function's handler over db,
// wired as its main wires it.
func newCallbackHandler(t *testing.T, db *tables.Store, apps []byte,
	opts dingtalk.Options) *dingevents.Handler {
	t.Helper()
	list, err := dingtalk.ParseApps(apps)
	if err != nil {
		t.Fatal(err)
	}
	corps, err := dingevents.CorpsFromApps(list, opts)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.New(db)
	if err != nil {
		t.Fatal(err)
	}
	h, err := dingevents.New(dingevents.Config{Corps: corps, Directory: dir, Store: db,
		Appliers: map[string]dingevents.Applier{ApprovalKind: NewApplier(db, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// readyContract is a new contract with one recorded version.
func (s *oaStack) readyContract() *Contract {
	s.t.Helper()
	c := s.newContract("lead")
	g := s.grant("member", c, "c.pdf", TypePDF)
	if err := s.post(g, pdfBytes(2000, 21), TypePDF, nil); err != nil {
		s.t.Fatal(err)
	}
	return s.get(c)
}

func (s *oaStack) get(c *Contract) *Contract {
	s.t.Helper()
	var cur Contract
	s.mustCall(200, "lead", "GET", "/api/contracts/"+uni+"/"+c.ID, nil, &cur)
	return &cur
}

func (s *oaStack) move(c *Contract, to Status) reply {
	s.t.Helper()
	return s.call("lead", "POST", "/api/contracts/"+uni+"/"+c.ID+"/status",
		StatusRequest{to, c.Ver})
}

// submit moves c to under_approval and returns it with its running approval.
func (s *oaStack) submit(c *Contract) *Contract {
	s.t.Helper()
	r := s.move(c, UnderApproval)
	if r.Status != 200 {
		s.t.Fatalf("under_approval = %d %s", r.Status, r.Body)
	}
	var cur Contract
	r.decode(s.t, &cur)
	if cur.Status != UnderApproval || cur.Approval == nil ||
		cur.Approval.Outcome != directory.OutcomeRunning || cur.Approval.InstanceID == "" {
		s.t.Fatalf("submitted = %s, want under_approval with a running approval", js(cur))
	}
	return &cur
}

// decide ends instance id in the fake (agree, refuse or terminate) and
// returns the bpms_instance_change fields DingTalk pushes for it.
func (s *oaStack) decide(id, result string) map[string]any {
	s.t.Helper()
	if _, err := s.fake.ResolveApproval(id, result); err != nil {
		s.t.Fatal(err)
	}
	if result == "terminate" {
		return map[string]any{"processInstanceId": id, "type": "terminate",
			"processCode": contractProcess}
	}
	return map[string]any{"processInstanceId": id, "type": "finish", "result": result,
		"processCode": contractProcess}
}

func (s *oaStack) push(typ string, fields map[string]any) {
	s.t.Helper()
	if err := s.fake.Push(context.Background(), s.callback, uni, typ, fields); err != nil {
		s.t.Fatalf("push %s: %v", typ, err)
	}
}

// decisions counts the approval outcomes applied to c in the activity trail.
func (s *oaStack) decisions(c *Contract) int {
	s.t.Helper()
	n := 0
	for row, err := range s.db.Scan(context.Background(), tables.Activity.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(uni)}}) {
		if err != nil {
			s.t.Fatal(err)
		}
		if row.String("verb") == "contract.approval_decided" && row.String("object") == c.ID {
			n++
		}
	}
	return n
}

// TestApprovalApproved follows a contract through DingTalk OA: the move to
// under_approval starts an instance in the fake, the approvers agree, the
// encrypted bpms push records "approved" on the contract, which may then be
// signed. Redeliveries and a later task event change nothing.
func TestApprovalApproved(t *testing.T) {
	s := newOAStack(t)
	c := s.submit(s.readyContract())
	if n := s.fake.Calls("/v1.0/workflow/processInstances"); n != 1 {
		t.Errorf("instances started in DingTalk = %d, want 1", n)
	}
	if r := s.move(c, Signed); r.Status != 409 || r.code() != "not_approved" {
		t.Errorf("signed while running = %d %s, want 409 not_approved", r.Status, r.Body)
	}
	if r := s.move(c, Draft); r.Status != 409 || r.code() != "approval_running" {
		t.Errorf("draft while running = %d %s, want 409 approval_running", r.Status, r.Body)
	}

	ev := s.decide(c.Approval.InstanceID, "agree")
	s.push("bpms_instance_change", ev)
	got := s.get(c)
	if got.Status != UnderApproval || got.Approval.Outcome != directory.OutcomeApproved ||
		got.Approval.InstanceID != c.Approval.InstanceID || got.Approval.Finished.IsZero() ||
		got.Ver != c.Ver+1 {
		t.Fatalf("after approval = %s, want under_approval, approved, ver %d", js(got), c.Ver+1)
	}

	s.push("bpms_instance_change", ev) // a redelivery: the same plaintext
	s.push("bpms_task_change", map[string]any{"processInstanceId": c.Approval.InstanceID,
		"type": "finish", "result": "agree", "taskId": 7, "staffId": "u-it-director"})
	if again := s.get(c); again.Ver != got.Ver || s.decisions(c) != 1 {
		t.Errorf("after redeliveries ver = %d, decisions = %d; want ver %d and 1",
			again.Ver, s.decisions(c), got.Ver)
	}

	if r := s.move(got, Draft); r.Status != 409 || r.code() != "approved" {
		t.Errorf("draft after approval = %d %s, want 409 approved", r.Status, r.Body)
	}
	var signed Contract
	s.mustCall(200, "lead", "POST", "/api/contracts/"+uni+"/"+c.ID+"/status",
		StatusRequest{Signed, got.Ver}, &signed)
	if signed.Status != Signed || signed.Approval.Outcome != directory.OutcomeApproved {
		t.Errorf("signed = %s", js(signed))
	}
}

// TestApprovalRejectedOrTerminated sends the contract back to draft with
// the outcome recorded, refuses signing, and lets it be submitted afresh;
// the old instance's late events touch nothing.
func TestApprovalRejectedOrTerminated(t *testing.T) {
	for _, tc := range []struct{ result, outcome string }{
		{"refuse", directory.OutcomeRejected},
		{"terminate", directory.OutcomeTerminated},
	} {
		t.Run(tc.result, func(t *testing.T) {
			s := newOAStack(t)
			c := s.submit(s.readyContract())
			ev := s.decide(c.Approval.InstanceID, tc.result)
			s.push("bpms_instance_change", ev)
			got := s.get(c)
			if got.Status != Draft || got.Approval.Outcome != tc.outcome ||
				got.Approval.InstanceID != c.Approval.InstanceID || got.Ver != c.Ver+1 {
				t.Fatalf("after %s = %s, want draft, %s", tc.result, js(got), tc.outcome)
			}
			if r := s.move(got, Signed); r.Status != 422 {
				t.Errorf("draft to signed = %d %s, want 422", r.Status, r.Body)
			}

			again := s.submit(got)
			if again.Approval.InstanceID == c.Approval.InstanceID {
				t.Fatalf("resubmission reused instance %s", again.Approval.InstanceID)
			}
			ev["resent"] = true // a fresh event for the old instance, not a redelivery
			s.push("bpms_instance_change", ev)
			if late := s.get(c); late.Ver != again.Ver || late.Status != UnderApproval ||
				late.Approval.Outcome != directory.OutcomeRunning {
				t.Errorf("after a late event of the old instance = %s, want %s", js(late),
					js(again))
			}
		})
	}
}

// TestConcurrentOutcomeDeliveries delivers one approval's outcome five times
// at once, as distinct events: the contract changes exactly once.
func TestConcurrentOutcomeDeliveries(t *testing.T) {
	s := newOAStack(t)
	c := s.submit(s.readyContract())
	ev := s.decide(c.Approval.InstanceID, "agree")
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := range 5 {
		fields := map[string]any{"delivery": i}
		for k, v := range ev {
			fields[k] = v
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.fake.Push(context.Background(), s.callback, uni,
				"bpms_instance_change", fields)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if _, err := s.handler.Drain(context.Background(), uni, 0); err != nil {
		t.Fatal(err)
	}
	got := s.get(c)
	if got.Ver != c.Ver+1 || got.Approval.Outcome != directory.OutcomeApproved ||
		s.decisions(c) != 1 {
		t.Errorf("after 5 deliveries = %s with %d decisions; want approved at ver %d, once",
			js(got), s.decisions(c), c.Ver+1)
	}
}

// TestApplierConcurrent calls the Applier itself from many goroutines, as
// concurrent queue retries would: one write.
func TestApplierConcurrent(t *testing.T) {
	s := newOAStack(t)
	c := s.submit(s.readyContract())
	dir, _ := directory.New(s.db)
	ctx := context.Background()
	if ok, err := dir.RecordOutcome(ctx, uni, c.Approval.InstanceID,
		directory.OutcomeRejected); !ok || err != nil {
		t.Fatalf("RecordOutcome = %v, %v", ok, err)
	}
	a, err := dir.Outcome(ctx, uni, directory.Object{Kind: ApprovalKind, ID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	ap := NewApplier(s.db, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ap.ApplyApproval(ctx, a); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := s.get(c); got.Ver != c.Ver+1 || got.Status != Draft || s.decisions(c) != 1 {
		t.Errorf("after 8 applications = %s, %d decisions; want draft at ver %d, once",
			js(got), s.decisions(c), c.Ver+1)
	}
	a.Object.Kind = "project"
	if err := ap.ApplyApproval(ctx, a); err == nil {
		t.Error("ApplyApproval of a project approval succeeded, want an error")
	}
}

// TestEarlyOutcomeAdopted: an outcome that lands before the contract row
// learned its instance (a start whose last write was lost) is still taken,
// since the directory names the contract's current instance.
func TestEarlyOutcomeAdopted(t *testing.T) {
	s := newOAStack(t)
	c := s.readyContract()
	dir, _ := directory.New(s.db)
	ctx := context.Background()
	a, err := dir.StartApproval(ctx, s.svc.cfg.Approvers[uni].Client, uni,
		directory.Object{Kind: ApprovalKind, ID: c.ID},
		approvalRequest(c, contractProcess, "lead1"))
	if err != nil {
		t.Fatal(err)
	}
	s.push("bpms_instance_change", s.decide(a.InstanceID, "agree"))
	got := s.get(c)
	if got.Status != UnderApproval || got.Approval == nil ||
		got.Approval.InstanceID != a.InstanceID || got.Approval.Outcome != "approved" {
		t.Errorf("after an early outcome = %s, want under_approval, approved", js(got))
	}
}

// TestApprovalRefusals: an organization without a contract approval process
// cannot move a contract to under_approval; nothing changes.
func TestApprovalRefusals(t *testing.T) {
	bare := newStack(t, Config{})
	c := bare.newContract("lead")
	g := bare.grant("member", c, "c.pdf", TypePDF)
	if err := bare.post(g, pdfBytes(2000, 22), TypePDF, nil); err != nil {
		t.Fatal(err)
	}
	var cur Contract
	bare.mustCall(200, "lead", "GET", "/api/contracts/"+uni+"/"+c.ID, nil, &cur)
	r := bare.call("lead", "POST", "/api/contracts/"+uni+"/"+c.ID+"/status",
		StatusRequest{UnderApproval, cur.Ver})
	if r.Status != 422 || r.code() != "approval_not_configured" {
		t.Errorf("under_approval without a process = %d %s, want 422 "+
			"approval_not_configured", r.Status, r.Body)
	}
	var after Contract
	bare.mustCall(200, "lead", "GET", "/api/contracts/"+uni+"/"+c.ID, nil, &after)
	if after.Ver != cur.Ver || after.Status != Draft || after.Approval != nil {
		t.Errorf("refused move changed the contract: %s", js(after))
	}
}

// TestApprovalStartRefused: DingTalk refusing the instance (an unknown
// process code) is a 422 that leaves the contract in draft, and a later
// submission with the right code starts afresh.
func TestApprovalStartRefused(t *testing.T) {
	s := newOAStack(t)
	c := s.readyContract()
	good := s.svc.cfg.Approvers[uni]
	s.svc.cfg.Approvers[uni] = Approver{Client: good.Client, ProcessCode: "PROC-NOPE"}
	if r := s.move(c, UnderApproval); r.Status != 422 || r.code() != "approval_refused" {
		t.Errorf("under_approval with a bad process = %d %s, want 422 approval_refused",
			r.Status, r.Body)
	}
	if got := s.get(c); got.Ver != c.Ver || got.Status != Draft || got.Approval != nil {
		t.Errorf("refused start changed the contract: %s", js(got))
	}
	s.svc.cfg.Approvers[uni] = good
	s.submit(c)
}

func TestApproversFromApps(t *testing.T) {
	apps := `[{"corpId":"c1","appKey":"k1","appSecret":"s",` +
		`"approvalProcesses":{"contract":"P1","project":"P2"}},` +
		`{"corpId":"c1","appKey":"k3","appSecret":"s","approvalProcesses":{"contract":"P3"}},` +
		`{"corpId":"c2","appKey":"k2","appSecret":"s"}]`
	got, err := ApproversFromApps([]byte(apps), dingtalk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["c1"].ProcessCode != "P1" || got["c1"].Client == nil {
		t.Errorf("ApproversFromApps = %+v, want c1 with P1 only", got)
	}
	for _, bad := range []string{`{}`, `[{"corpId":"c1"}]`, `nope`} {
		if _, err := ApproversFromApps([]byte(bad), dingtalk.Options{}); err == nil {
			t.Errorf("ApproversFromApps(%s) succeeded, want an error", bad)
		}
	}
}
