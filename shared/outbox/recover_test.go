package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/xietong/xietong/events"
	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// crash leaves the row of m as a drainer that died after claiming it would:
// sending, attempt 1, leased until now+lease.
func (s *stack) crash(m outbox.Message) {
	s.t.Helper()
	key := tables.Key{tables.TenantKey(m.Corp), outbox.MsgID(m.DedupeKey)}
	row, err := s.store.Get(s.ctx, tables.Outbox.Name, key)
	if err != nil {
		s.t.Fatal(err)
	}
	_, err = s.store.Update(s.ctx, tables.Outbox.Name, key, row.Ver(), tables.Change{
		Set: tables.Cols{"state": outbox.StateSending, "owner": "crashed", "attempts": int64(1),
			"due_ms": s.clock.Now().Add(outbox.DefaultLease).UnixMilli()}})
	if err != nil {
		s.t.Fatal(err)
	}
}

func TestExpiredLeaseIsReclaimed(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	m := text("u-apps-lead", 3)
	s.enqueue(m)
	s.crash(m)
	d := s.drainer("d", nil)
	if rep, _ := d.Drain(s.ctx); rep.Claimed != 0 {
		t.Fatalf("Drain during the lease claimed %d rows, want 0", rep.Claimed)
	}
	s.clock.Advance(outbox.DefaultLease)
	if rep, err := d.Drain(s.ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("Drain after the lease = %+v, %v; want the row sent", rep, err)
	}
	s.checkOnce([]outbox.Message{m})
}

// A drainer that sent a notice and died before recording it: the next
// drainer finds the content marker, records the row as sent, and DingTalk
// sees no second message.
func TestCrashAfterSendIsNotResent(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	m := text("u-apps-lead", 4)
	s.enqueue(m)
	s.crash(m)
	budget := outbox.NewTableBudget(s.store, univ, outbox.BudgetConfig{})
	c, err := dingtalk.New(s.apps[0], dingtalk.Options{Budget: budget, Now: s.clock.Now,
		Endpoints: dingtalk.Endpoints{OAPI: s.url, API: s.url}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendNotice(s.ctx, dingtalk.Notice{UserIDs: m.Users,
		Msg: outbox.NoticeOf(m)}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(outbox.DefaultLease)
	if rep, err := s.drainer("d", nil).Drain(s.ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("Drain = %+v, %v; want the row recorded sent", rep, err)
	}
	s.checkOnce([]outbox.Message{m})
	row := s.rows(univ)[outbox.MsgID(m.DedupeKey)]
	if row.String("reason") == "" || outbox.Results(row)["u-apps-lead"] != "repeat" {
		t.Errorf("row = %v; want sent by the earlier attempt, recipient a repeat", row.Cols)
	}
}

func TestPartlyOverBudget(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	d := s.drainer("d", func(c *outbox.Config) { c.Budget.NoticesPerDay = 2 })
	first := text("u-dev-1", 1) // spends u-dev-1's only regular slot
	s.enqueue(first)
	if _, err := d.Drain(s.ctx); err != nil {
		t.Fatal(err)
	}
	both := text("u-dev-1", 2)
	both.Users = []string{"u-dev-1", "u-dev-2"}
	s.enqueue(both)
	if rep, err := d.Drain(s.ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("Drain = %+v, %v; want the row sent", rep, err)
	}
	row := s.rows(univ)[outbox.MsgID(both.DedupeKey)]
	day := dingtalk.Day(s.clock.Now())
	want := map[string]string{"u-dev-1": "digest:" + day, "u-dev-2": "sent"}
	if got := outbox.Results(row); got["u-dev-1"] != want["u-dev-1"] ||
		got["u-dev-2"] != want["u-dev-2"] {
		t.Errorf("Results = %v, want %v", got, want)
	}
}

func TestInvokeAndTimer(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	s.bulk(3)
	d := s.drainer("d", nil)
	f := runtime.Function{Name: "notify", Timer: d.Timer, Invoke: d.Invoke,
		Logger: runtime.NewLogger(&bytes.Buffer{}, 0)}
	raw, err := events.Load("fc-invoke-notify-drain.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.Dispatch(s.ctx, raw)
	if rep, ok := out.(outbox.Report); err != nil || !ok || rep.Sent != 3 {
		t.Fatalf("Dispatch(fc-invoke-notify-drain.json) = %#v, %v; want a Report of 3 sent", out,
			err)
	}
	s.bulk(5) // the first 3 again (no new rows) and 2 new
	raw, err = events.Load("fc-timer-notify.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Dispatch(s.ctx, raw); err != nil {
		t.Fatalf("Dispatch(fc-timer-notify.json) = %v", err)
	}
	if st := s.states(univ); st[outbox.StateSent] != 5 {
		t.Errorf("states after the timer = %v, want 5 sent", st)
	}
	for _, bad := range []string{`{"action":"purge"}`, `{"action":"drain","x":1}`,
		`{"action":"drain","corp":"nope"}`} {
		if _, err := d.Invoke(context.Background(), []byte(bad)); !errors.Is(err,
			outbox.ErrInvalid) {
			t.Errorf("Invoke(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}
