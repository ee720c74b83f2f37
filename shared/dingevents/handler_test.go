package dingevents_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/runtime"
)

// eventCase is one event kind: setup changes DingTalk, the push tells the
// handler, check looks at the directory.
type eventCase struct {
	name   string
	typ    string
	setup  func(t *testing.T, s *stack) map[string]any
	check  func(t *testing.T, s *stack)
	drains bool // the event's work completes from the queue
}

func mustUser(t *testing.T, s *stack, corp, id string) directory.User {
	t.Helper()
	u, err := s.lookup(corp, id)
	if err != nil {
		t.Fatalf("Lookup(%s) = %v", id, err)
	}
	return u
}

func seedUser(t *testing.T, s *stack, id string, edit func(*dingfake.User)) {
	t.Helper()
	u := dingfake.User{UserID: id, UnionID: "un-" + id, Name: "新同事 " + id,
		Mobile: "13700000000", Title: "工程师", DeptIDs: []int64{5}, Active: true}
	if edit != nil {
		edit(&u)
	}
	if err := s.fake.PutUser(univ, u); err != nil {
		t.Fatal(err)
	}
}

func startApproval(t *testing.T, s *stack, kind, id string) string {
	t.Helper()
	a, err := s.dir.StartApproval(context.Background(), s.corps[univ].Client.(directory.Approver),
		univ, directory.Object{Kind: kind, ID: id}, dingtalk.ApprovalRequest{
			ProcessCode: "PROC-XT-PROJECT-INIT", OriginatorUserID: "u-it-director",
			DeptID: 3, Form: []dingtalk.ApprovalFormKV{{Name: "项目", Value: id}}})
	if err != nil {
		t.Fatal(err)
	}
	return a.InstanceID
}

func wantOutcome(t *testing.T, s *stack, kind, id, want string) {
	t.Helper()
	a, err := s.dir.Outcome(context.Background(), univ, directory.Object{Kind: kind, ID: id})
	if err != nil || a.Outcome != want {
		t.Errorf("Outcome(%s/%s) = %q, %v; want %q", kind, id, a.Outcome, err, want)
	}
}

var eventCases = []eventCase{
	{name: "user added", typ: "user_add_org",
		setup: func(t *testing.T, s *stack) map[string]any {
			seedUser(t, s, "u-new", nil)
			return map[string]any{"UserId": []string{"u-new"}}
		},
		check: func(t *testing.T, s *stack) {
			u := mustUser(t, s, univ, "u-new")
			if u.Name != "新同事 u-new" || !slices.Equal(u.DeptIDs, []int64{5}) {
				t.Errorf("u-new = %+v", u)
			}
		}},
	{name: "user modified, camelCase ids", typ: "user_modify_org",
		setup: func(t *testing.T, s *stack) map[string]any {
			seedUser(t, s, "u-mod", func(u *dingfake.User) { u.Title = "高级工程师" })
			return map[string]any{"userId": []string{"u-mod"},
				"diffInfo": map[string]any{"curr": map[string]string{"title": "高级工程师"}}}
		},
		check: func(t *testing.T, s *stack) {
			if u := mustUser(t, s, univ, "u-mod"); u.Title != "高级工程师" {
				t.Errorf("title = %q", u.Title)
			}
		}},
	{name: "user left", typ: "user_leave_org",
		setup: func(t *testing.T, s *stack) map[string]any {
			s.fake.RemoveUser(univ, "u-dev-2")
			return map[string]any{"UserId": []string{"u-dev-2"}, "OptStaffId": "u-it-director"}
		},
		check: func(t *testing.T, s *stack) {
			u, err := s.lookup(univ, "u-dev-2")
			if !errors.Is(err, directory.ErrInactive) || u.Active {
				t.Errorf("Lookup(u-dev-2) = active %v, %v; want ErrInactive", u.Active, err)
			}
		}},
	{name: "department created", typ: "org_dept_create",
		setup: func(t *testing.T, s *stack) map[string]any {
			if err := s.fake.PutDept(univ, dingfake.Dept{ID: 7, Name: "数据组", ParentID: 3,
				Managers: []string{"u-dev-1"}}); err != nil {
				t.Fatal(err)
			}
			return map[string]any{"DeptId": []int64{7}}
		},
		check: func(t *testing.T, s *stack) {
			d, err := s.dir.Dept(context.Background(), univ, 7)
			if err != nil || !d.Active || d.Name != "数据组" || d.ParentID != 3 {
				t.Errorf("Dept(7) = %+v, %v", d, err)
			}
		}},
	{name: "department modified, string ids", typ: "org_dept_modify",
		setup: func(t *testing.T, s *stack) map[string]any {
			if err := s.fake.PutDept(univ, dingfake.Dept{ID: 7, Name: "数据智能组",
				ParentID: 5}); err != nil {
				t.Fatal(err)
			}
			return map[string]any{"deptId": []string{"7"}}
		},
		check: func(t *testing.T, s *stack) {
			d, err := s.dir.Dept(context.Background(), univ, 7)
			if err != nil || d.Name != "数据智能组" || d.ParentID != 5 {
				t.Errorf("Dept(7) = %+v, %v", d, err)
			}
		}},
	{name: "department removed", typ: "org_dept_remove",
		setup: func(t *testing.T, s *stack) map[string]any {
			s.fake.RemoveDept(univ, 7)
			return map[string]any{"DEPTID": "[7]"}
		},
		check: func(t *testing.T, s *stack) {
			d, err := s.dir.Dept(context.Background(), univ, 7)
			if err != nil || d.Active {
				t.Errorf("Dept(7) = %+v, %v; want removed", d, err)
			}
		}},
	{name: "roles of a user changed", typ: "label_user_change",
		setup: func(t *testing.T, s *stack) map[string]any {
			seedUser(t, s, "u-role", func(u *dingfake.User) {
				u.Roles = []dingfake.Role{{ID: 11, Name: "项目经理", GroupName: "岗位"}}
			})
			return map[string]any{"action": "add", "LabelIdList": []int64{11},
				"UserIdList": []string{"u-role"}}
		},
		check: func(t *testing.T, s *stack) {
			if u := mustUser(t, s, univ, "u-role"); !slices.Equal(u.Roles,
				[]string{"项目经理"}) {
				t.Errorf("roles = %q", u.Roles)
			}
		}},
	{name: "admin added", typ: "org_admin_add",
		setup: func(t *testing.T, s *stack) map[string]any {
			seedUser(t, s, "u-admin", func(u *dingfake.User) { u.Admin = true })
			return map[string]any{"UserId": []string{"u-admin"}}
		},
		check: func(t *testing.T, s *stack) {
			if u := mustUser(t, s, univ, "u-admin"); !u.Admin {
				t.Errorf("u-admin not admin")
			}
		}},
	{name: "role definitions changed", typ: "label_conf_modify", drains: true,
		setup: func(t *testing.T, s *stack) map[string]any {
			// A user no event told about: only a full reconcile finds them.
			seedUser(t, s, "u-unannounced", nil)
			return map[string]any{"LabelIdList": []int64{11}}
		},
		check: func(t *testing.T, s *stack) {
			// The queued reconcile brought in the whole seed.
			if u := mustUser(t, s, univ, "u-finance-head"); !u.Manager() {
				t.Errorf("u-finance-head not a manager after reconcile: %+v", u)
			}
			mustUser(t, s, univ, "u-unannounced")
		}},
	{name: "external contacts changed", typ: "ext_contact_add",
		setup: func(t *testing.T, s *stack) map[string]any {
			return map[string]any{"UserId": []string{"ext-acme-pm"}}
		},
		check: func(t *testing.T, s *stack) {
			u := mustUser(t, s, univ, directory.ExternalPrefix+"ext-acme-pm")
			if u.Kind != directory.KindExternal || u.ExtKind != directory.ExtSupplier ||
				u.Company != "Acme 软件有限公司" {
				t.Errorf("contact = %+v", u)
			}
		}},
	{name: "approval finished", typ: "bpms_instance_change",
		setup: func(t *testing.T, s *stack) map[string]any {
			id := startApproval(t, s, "project", "P-1")
			if _, err := s.fake.ResolveApproval(id, "agree"); err != nil {
				t.Fatal(err)
			}
			return map[string]any{"processInstanceId": id, "type": "finish",
				"result": "agree", "processCode": "PROC-XT-PROJECT-INIT"}
		},
		check: func(t *testing.T, s *stack) { wantOutcome(t, s, "project", "P-1", "approved") }},
	{name: "approval terminated", typ: "bpms_instance_change",
		setup: func(t *testing.T, s *stack) map[string]any {
			id := startApproval(t, s, "contract", "C-1")
			if _, err := s.fake.ResolveApproval(id, "terminate"); err != nil {
				t.Fatal(err)
			}
			return map[string]any{"processInstanceId": id, "type": "terminate"}
		},
		check: func(t *testing.T, s *stack) {
			wantOutcome(t, s, "contract", "C-1", "terminated")
		}},
	{name: "approval task refused", typ: "bpms_task_change",
		setup: func(t *testing.T, s *stack) map[string]any {
			id := startApproval(t, s, "project", "P-2")
			if _, err := s.fake.ResolveApproval(id, "refuse"); err != nil {
				t.Fatal(err)
			}
			return map[string]any{"processInstanceId": id, "type": "finish",
				"result": "refuse", "taskId": 42, "staffId": "u-president"}
		},
		check: func(t *testing.T, s *stack) { wantOutcome(t, s, "project", "P-2", "rejected") }},
}

// TestEveryEventKind pushes each event kind through the fake's pusher into
// the real handler and checks the directory, then pushes it twice more as a
// redelivery (same plaintext: deduplicated, DingTalk not asked again) and
// once more as a fresh event (applied again, writing nothing).
func TestEveryEventKind(t *testing.T) {
	s := newStack(t, ots.Config{})
	ctx := context.Background()
	err := s.dir.SetPolicy(ctx, univ, directory.Policy{
		ExtLabels: map[int64]directory.ExtKind{101: directory.ExtSupplier}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.dir.Reconcile(ctx, s.corps[univ].Client, univ); err != nil {
		t.Fatal(err)
	}
	for _, tc := range eventCases {
		t.Run(tc.name, func(t *testing.T) {
			s.t = t
			s.clock.Advance(time.Second)
			fields := tc.setup(t, s)
			s.push(univ, tc.typ, fields)
			if tc.drains {
				drain(t, s)
			}
			tc.check(t, s)

			before := s.snapshot(univ, directoryTables...)
			calls := s.fake.Calls("/topapi/v2/user/get") + s.fake.Calls("/topapi/v2/department/get")
			s.push(univ, tc.typ, fields)
			s.push(univ, tc.typ, fields)
			after := s.fake.Calls("/topapi/v2/user/get") + s.fake.Calls("/topapi/v2/department/get")
			if after != calls {
				t.Errorf("redeliveries asked DingTalk %d more times, want 0", after-calls)
			}
			s.clock.Advance(time.Second)
			s.push(univ, tc.typ, fields)
			if tc.drains {
				drain(t, s)
			}
			if got := s.snapshot(univ, directoryTables...); got != before {
				t.Errorf("repeating the event changed the directory:\nbefore:\n%s\nafter:\n%s",
					before, got)
			}
		})
	}
}

// TestCheckURL answers the console's check_url with the encrypted success
// and writes nothing.
func TestCheckURL(t *testing.T) {
	s := newStack(t, ots.Config{})
	s.push(acme, "check_url", nil)
	if got := s.snapshot(acme, allTables...); got != "" {
		t.Errorf("check_url wrote rows:\n%s", got)
	}
}

// TestSlowDownstream makes DingTalk slower than the budget: the push is
// still answered in time (the fake enforces DingTalk's 1.5 s; the budget is
// cut to 300 ms to leave a wide margin on a loaded machine), the work is
// queued, and it completes on the next delivery and on the timer's drain.
func TestSlowDownstream(t *testing.T) {
	s := newStackWith(t, ots.Config{}, dingfake.DefaultSeed(), 0, 300*time.Millisecond)
	ctx := context.Background()
	seedUser(t, s, "u-slow", nil)
	seedUser(t, s, "u-slow2", nil)
	s.slow.set("/topapi/v2/user/get", 1200*time.Millisecond)

	s.push(univ, "user_add_org", map[string]any{"UserId": []string{"u-slow"}})
	if _, err := s.lookup(univ, "u-slow"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("Lookup(u-slow) before retry = %v, want ErrNotFound", err)
	}
	if q := s.snapshot(univ, "outbox"); q == "" {
		t.Fatal("no queue row after a slow delivery")
	}

	// The next delivery finds the queued work and completes it.
	s.slow.set("/topapi/v2/user/get", 0)
	s.push(univ, "org_dept_modify", map[string]any{"DeptId": []int64{3}})
	mustUser(t, s, univ, "u-slow")

	// Slow again: queued; the timer's drain completes it.
	s.slow.set("/topapi/v2/user/get", 1200*time.Millisecond)
	s.push(univ, "user_add_org", map[string]any{"UserId": []string{"u-slow2"}})
	s.slow.set("/topapi/v2/user/get", 0)
	if err := s.handler.Timer(ctx, runtime.TimerEvent{Payload: `{"job":"drain"}`}); err != nil {
		t.Fatal(err)
	}
	mustUser(t, s, univ, "u-slow2")
	if q := s.snapshot(univ, "outbox"); q != "" {
		t.Errorf("queue not empty after the drain:\n%s", q)
	}
}

// TestTimerReconcile runs the daily job: the directory fills from DingTalk.
func TestTimerReconcile(t *testing.T) {
	s := newStack(t, ots.Config{})
	err := s.handler.Timer(context.Background(), runtime.TimerEvent{Payload: `{"job":"reconcile"}`})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ corp, user string }{{univ, "u-president"}, {acme, "a-ceo"}} {
		mustUser(t, s, c.corp, c.user)
	}
}

// TestDownstreamErrors: a throttled DingTalk read is queued and completed
// once DingTalk recovers; a permission error, which no retry cures, is
// recorded as failed and not queued.
func TestDownstreamErrors(t *testing.T) {
	s := newStack(t, ots.Config{})
	ctx := context.Background()
	seedUser(t, s, "u-throttled", nil)
	seedUser(t, s, "u-denied", nil)

	// Throttled twice: the delivery (which, its own work queued, drains
	// nothing) and the first drain.
	s.fake.FailOAPI("/topapi/v2/user/get", 2, 90018)
	s.push(univ, "user_add_org", map[string]any{"UserId": []string{"u-throttled"}})
	if _, err := s.lookup(univ, "u-throttled"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("Lookup while throttled = %v, want ErrNotFound", err)
	}
	if rep, _ := s.handler.Drain(ctx, univ, 0); rep.Done != 0 || rep.Retried != 1 {
		t.Errorf("Drain while throttled = %+v, want the row retried later", rep)
	}
	if rep, _ := s.handler.Drain(ctx, univ, 0); rep.Done != 0 || rep.Left != 1 {
		t.Errorf("Drain before the backoff = %+v, want the row left for later", rep)
	}
	s.clock.Advance(time.Minute)
	rep, err := s.handler.Drain(ctx, univ, 0)
	if err != nil || rep.Done != 1 {
		t.Fatalf("Drain = %+v, %v; want 1 done", rep, err)
	}
	mustUser(t, s, univ, "u-throttled")

	s.fake.FailOAPI("/topapi/v2/user/get", 1, 60011)
	s.push(univ, "user_add_org", map[string]any{"UserId": []string{"u-denied"}})
	if q := s.snapshot(univ, "outbox"); q != "" {
		t.Errorf("a permanent failure was queued:\n%s", q)
	}
}

// TestConcurrentRedeliveries delivers one approval result five times at once:
// the outcome is recorded exactly once (one version step on the object).
func TestConcurrentRedeliveries(t *testing.T) {
	s := newStack(t, ots.Config{})
	ctx := context.Background()
	id := startApproval(t, s, "contract", "C-42")
	if _, err := s.fake.ResolveApproval(id, "agree"); err != nil {
		t.Fatal(err)
	}
	obj := directory.Object{Kind: "contract", ID: "C-42"}
	before, _ := s.dir.Outcome(ctx, univ, obj)
	errs := make(chan error, 5)
	for range 5 {
		go func() {
			errs <- s.fake.Push(ctx, s.url, univ, "bpms_instance_change", map[string]any{
				"processInstanceId": id, "type": "finish", "result": "agree"})
		}()
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if _, err := s.handler.Drain(ctx, univ, 0); err != nil {
		t.Fatal(err)
	}
	after, err := s.dir.Outcome(ctx, univ, obj)
	if err != nil || after.Outcome != "approved" || after.Ver != before.Ver+1 {
		t.Errorf("after 5 deliveries: %+v, %v; want approved at ver %d", after, err,
			before.Ver+1)
	}
}
