package dingevents_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// switchable is a Client whose implementation a test swaps.
type switchable struct {
	mu  sync.Mutex
	cur dingevents.Client
}

func (s *switchable) set(c dingevents.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = c
}

func (s *switchable) get() dingevents.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *switchable) User(ctx context.Context, id string) (dingtalk.User, error) {
	return s.get().User(ctx, id)
}

func (s *switchable) Department(ctx context.Context, id int64) (dingtalk.Department, error) {
	return s.get().Department(ctx, id)
}

func (s *switchable) SubDepartments(ctx context.Context,
	id int64) ([]dingtalk.Department, error) {
	return s.get().SubDepartments(ctx, id)
}

func (s *switchable) UsersPage(ctx context.Context, dept, cursor int64,
	size int) (dingtalk.UserPage, error) {
	return s.get().UsersPage(ctx, dept, cursor, size)
}

func (s *switchable) ExternalContacts(ctx context.Context, offset,
	size int) ([]dingtalk.ExternalContact, error) {
	return s.get().ExternalContacts(ctx, offset, size)
}

func (s *switchable) Approval(ctx context.Context,
	id string) (dingtalk.ApprovalInstance, error) {
	return s.get().Approval(ctx, id)
}

// starvedClient is a real client of univ's app whose QPS limiter is empty
// and refills once in 1,000 s: any call that waits for it would miss
// DingTalk's deadline.
func starvedClient(t *testing.T, s *stack) *dingtalk.Client {
	t.Helper()
	a := dingfake.DefaultSeed()[0].Apps[0]
	c, err := dingtalk.New(dingtalk.App{CorpID: univ, AppKey: a.AppKey,
		AppSecret: a.AppSecret, AgentID: a.AgentID}, dingtalk.Options{
		Endpoints: dingtalk.Endpoints{OAPI: s.fakeURL, API: s.fakeURL}, QPS: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(context.Background()); err != nil { // takes the one token
		t.Fatal(err)
	}
	return c
}

// newSwitchedStack is a stack whose university client can be swapped
// (switchable) while the handler runs.
func newSwitchedStack(t *testing.T) (*stack, *switchable) {
	t.Helper()
	sw := new(switchable)
	s := newStackOpts(t, ots.Config{}, dingfake.DefaultSeed(), stackOpts{
		wrap: func(c dingevents.Corp) dingevents.Corp {
			if c.CorpID == univ {
				sw.set(c.Client)
				c.Client = sw
			}
			return c
		}})
	return s, sw
}

// TestReplyNeverWaitsForTheLimiter pushes a user event while the corp's
// DingTalk client has no QPS token free: the push is still answered with the
// encrypted "success" (the fake gives up after 1.5 s, and the limiter would
// take 1,000 s), the work is queued, another delivery's drain does not spend
// an attempt on it, and the drain applies it once; redelivering the event
// afterwards changes nothing.
func TestReplyNeverWaitsForTheLimiter(t *testing.T) {
	if dingfake.DefaultSeed()[0].CorpID != univ {
		t.Fatal("the seed's first org is not the university")
	}
	s, sw := newSwitchedStack(t)
	ctx := context.Background()
	free := sw.get()
	seedUser(t, s, "u-paced", nil)
	sw.set(starvedClient(t, s))
	calls := s.fake.Calls("/topapi/v2/user/get")

	fields := map[string]any{"UserId": []string{"u-paced"}}
	s.push(univ, "user_add_org", fields)
	s.push(univ, "org_dept_modify", map[string]any{"DeptId": []int64{3}})
	if n := s.fake.Calls("/topapi/v2/user/get") - calls; n != 0 {
		t.Fatalf("user/get called %d times without a QPS token, want 0", n)
	}
	rows := s.rows(tables.Outbox.Name, univ)
	if len(rows) != 2 {
		t.Fatalf("%d queue rows, want the 2 paced events", len(rows))
	}
	// A delivery that needs no DingTalk read (a user leaving) is applied,
	// and its drain of the queue, finding no token, spends no attempt.
	s.push(univ, "user_leave_org", map[string]any{"UserId": []string{"u-dev-2"}})
	for i, r := range s.rows(tables.Outbox.Name, univ) {
		if n := r.Int("attempts"); n != 0 {
			t.Errorf("row %s: %d attempts after a paced drain, want 0", r.Key, n)
		}
		if i == 0 && r.Ver() == rows[0].Ver() {
			t.Errorf("row %s: not tried by the delivery's drain", r.Key)
		}
	}

	sw.set(free)
	rep, err := s.handler.Drain(ctx, univ, 0)
	if err != nil || rep.Done != 2 {
		t.Fatalf("Drain = %+v, %v; want 2 done", rep, err)
	}
	mustUser(t, s, univ, "u-paced")
	if n := s.fake.Calls("/topapi/v2/user/get") - calls; n != 1 {
		t.Errorf("user/get called %d times, want 1", n)
	}
	before := s.snapshot(univ, directoryTables...)
	s.push(univ, "user_add_org", fields)
	if got := s.snapshot(univ, directoryTables...); got != before {
		t.Errorf("the redelivery changed the directory:\nbefore:\n%s\nafter:\n%s",
			before, got)
	}
}

// TestDrainMergesIdenticalEvents queues three pushes that each say "user
// u-same changed": the drain reads the user from DingTalk once, applies it,
// and removes the other two rows as answered by that read.
func TestDrainMergesIdenticalEvents(t *testing.T) {
	s, sw := newSwitchedStack(t)
	free := sw.get()
	seedUser(t, s, "u-same", nil)
	sw.set(starvedClient(t, s))
	for range 3 {
		s.clock.Advance(time.Second) // a new TimeStamp: a distinct push
		s.push(univ, "user_modify_org", map[string]any{"UserId": []string{"u-same"}})
	}
	if n := len(s.rows(tables.Outbox.Name, univ)); n != 3 {
		t.Fatalf("%d queue rows, want 3", n)
	}
	sw.set(free)
	calls := s.fake.Calls("/topapi/v2/user/get")
	rep, err := s.handler.Drain(context.Background(), univ, 0)
	if err != nil || rep.Done != 1 || rep.Merged != 2 {
		t.Fatalf("Drain = %+v, %v; want 1 done and 2 merged", rep, err)
	}
	if n := s.fake.Calls("/topapi/v2/user/get") - calls; n != 1 {
		t.Errorf("user/get called %d times, want 1", n)
	}
	mustUser(t, s, univ, "u-same")
	if q := s.snapshot(univ, "outbox"); q != "" {
		t.Errorf("queue not empty after the drain:\n%s", q)
	}
}
