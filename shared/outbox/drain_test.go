package outbox_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/tables"
)

func TestEnqueueTwiceDeliversOnce(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	m := text("u-dev-1", 1)
	id1 := s.enqueue(m)
	again := m
	again.Body = "msg-9999" // same key, other content: the first row stands
	id2 := s.enqueue(again)
	if id1 != id2 || id1 != outbox.MsgID(m.DedupeKey) {
		t.Fatalf("Enqueue ids = %q, %q; want both %q", id1, id2, outbox.MsgID(m.DedupeKey))
	}
	if n := len(s.rows(univ)); n != 1 {
		t.Fatalf("%d outbox rows after two enqueues, want 1", n)
	}
	rep, err := s.drainer("d1", nil).Drain(s.ctx)
	if err != nil || rep.Sent != 1 || rep.Claimed != 1 {
		t.Fatalf("Drain = %+v, %v; want 1 claimed and sent", rep, err)
	}
	s.checkOnce([]outbox.Message{m})
	row := s.rows(univ)[id1]
	if row.String("state") != outbox.StateSent || row.String("task_id") == "" ||
		row.Has("due_ms") || outbox.Results(row)["u-dev-1"] != "sent" {
		t.Errorf("row after drain = %v; want sent with a task id, no due_ms", row.Cols)
	}
	if rep, _ := s.drainer("d2", nil).Drain(s.ctx); rep.Claimed != 0 {
		t.Errorf("second Drain claimed %d rows, want 0", rep.Claimed)
	}
}

func TestEnqueueRefusesInvalid(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	ok := text("u-dev-1", 1)
	tests := []struct {
		name string
		edit func(*outbox.Message)
	}{
		{"no corp", func(m *outbox.Message) { m.Corp = "" }},
		{"no dedupe key", func(m *outbox.Message) { m.DedupeKey = "" }},
		{"no users", func(m *outbox.Message) { m.Users = nil }},
		{"repeated user", func(m *outbox.Message) { m.Users = []string{"a", "a"} }},
		{"101 users", func(m *outbox.Message) { m.Users = manyUsers(101) }},
		{"unknown kind", func(m *outbox.Message) { m.Kind = "fax" }},
		{"card without link", func(m *outbox.Message) {
			m.Kind, m.Link = outbox.KindActionCard, ""
		}},
		{"oversized body", func(m *outbox.Message) { m.Body = strings.Repeat("长", 700) }},
		{"long title", func(m *outbox.Message) { m.Title = strings.Repeat("t", 129) }},
		{"robot without body", func(m *outbox.Message) { m.Kind, m.Body = outbox.KindRobot, "" }},
	}
	for _, tt := range tests {
		m := ok
		tt.edit(&m)
		if _, err := outbox.Enqueue(s.ctx, s.store, m); !errors.Is(err, outbox.ErrInvalid) {
			t.Errorf("Enqueue(%s) = %v, want ErrInvalid", tt.name, err)
		}
	}
	if n := len(s.rows(univ)) + len(s.rows("")); n != 0 {
		t.Errorf("%d rows written by invalid enqueues, want 0", n)
	}
}

func manyUsers(n int) []string {
	var us []string
	for i := range n {
		us = append(us, fmt.Sprintf("u%d", i))
	}
	return us
}

// bulk enqueues n text notices spread over the university's users.
func (s *stack) bulk(n int) []outbox.Message {
	var ms []outbox.Message
	for i := range n {
		m := text(univUsers[i%len(univUsers)], i)
		s.enqueue(m)
		ms = append(ms, m)
	}
	return ms
}

func TestRacingDrainersDeliverEachOnce(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	want := s.bulk(200)
	a, b := s.drainer("a", nil), s.drainer("b", nil)
	var reps [2]outbox.Report
	var wg sync.WaitGroup
	for i, d := range []*outbox.Drainer{a, b} {
		wg.Go(func() {
			var err error
			if reps[i], err = d.Drain(s.ctx); err != nil {
				t.Errorf("drainer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	sent, dropped := reps[0].Sent+reps[1].Sent, reps[0].Dropped+reps[1].Dropped
	if sent != 200 || dropped != 0 {
		t.Errorf("drainers sent %d rows and dropped %d (%+v, %+v), want 200 and 0", sent,
			dropped, reps[0], reps[1])
	}
	for id, r := range s.rows(univ) {
		if r.Int("attempts") != 1 {
			t.Errorf("row %s took %d attempts, want 1", id, r.Int("attempts"))
		}
	}
	t.Logf("drainer a %+v, b %+v", reps[0], reps[1])
	s.checkOnce(want)
	if st := s.states(univ); st[outbox.StateSent] != 200 {
		t.Errorf("row states %v, want 200 sent", st)
	}
}

func TestFakeFailingLosesNothing(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	want := s.bulk(40)
	s.fake.FailOAPI(noticeAPI, 30, -1) // busy for 30 calls; the client tries each twice
	d := s.drainer("d", func(c *outbox.Config) { c.Workers = 2 })
	rep, err := d.Drain(s.ctx)
	if err != nil || rep.Retried == 0 {
		t.Fatalf("Drain under failures = %+v, %v; want some rows retried", rep, err)
	}
	var failed *tables.Row
	for _, r := range s.rows(univ) {
		if r.String("state") == outbox.StateFailed {
			failed = r
		}
	}
	now := s.clock.Now().UnixMilli()
	if failed == nil || failed.Int("attempts") != 1 || failed.Int("due_ms") <= now ||
		failed.String("reason") == "" {
		t.Fatalf("failed row = %v; want attempts 1, a later due_ms and a reason", failed)
	}
	s.drainUntilSettled(10, time.Hour, d)
	s.checkOnce(want)
}

func TestOverBudgetIsDigested(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	d := s.drainer("d", func(c *outbox.Config) { c.Budget.NoticesPerDay = 5 })
	var want []outbox.Message
	for i := range 9 {
		want = append(want, s.enqueue2(text("u-dev-1", i)))
	}
	rep, err := d.Drain(s.ctx)
	// Budget 5 keeps one slot for the digest: 4 go out, 5 are digested.
	if err != nil || rep.Sent != 4 || rep.Digested != 5 {
		t.Fatalf("Drain = %+v, %v; want 4 sent, 5 digested", rep, err)
	}
	var sent, digested []outbox.Message
	rows := s.rows(univ)
	for _, m := range want {
		switch st := rows[outbox.MsgID(m.DedupeKey)].String("state"); st {
		case outbox.StateSent:
			sent = append(sent, m)
		case outbox.StateDigested:
			digested = append(digested, m)
		default:
			t.Errorf("row of %s is %s, want sent or digested", m.Body, st)
		}
	}
	s.checkOnce(sent)
	dg := rows["n/d/"+dingtalk.Day(s.clock.Now())+"/u-dev-1"]
	if dg == nil || dg.String("state") != outbox.StatePending {
		t.Fatalf("digest row = %v, want pending", dg)
	}
	if rep, _ := d.Drain(s.ctx); rep.Digests != 0 {
		t.Fatalf("digest sent before its day ended: %+v", rep)
	}
	s.clock.ToNextDay()
	if rep, err := d.Drain(s.ctx); err != nil || rep.Digests != 1 {
		t.Fatalf("next-day Drain = %+v, %v; want one digest", rep, err)
	}
	inbox := s.inbox(dingfake.KindNotice)
	if n := len(inbox); n != 5 {
		t.Fatalf("%d notices reached u-dev-1, want 4 and a digest", n)
	}
	last := noticeText(inbox[4])
	for _, m := range digested {
		if !strings.Contains(last, m.Title) {
			t.Errorf("digest %q does not list %q", last, m.Title)
		}
	}
	if inbox[4].Dropped {
		t.Errorf("the fake dropped the digest: %s", inbox[4].Reason)
	}
}

// enqueue2 enqueues m and returns it.
func (s *stack) enqueue2(m outbox.Message) outbox.Message {
	s.enqueue(m)
	return m
}

func TestSameContentSameDaySentOnce(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	m := text("u-dev-2", 7)
	twin := m
	twin.DedupeKey = "task-assigned/T-7/again"
	id, twinID := s.enqueue(m), s.enqueue(twin)
	d := s.drainer("d", nil)
	rep, err := d.Drain(s.ctx)
	if err != nil || rep.Sent != 1 || rep.Dropped != 1 {
		t.Fatalf("Drain = %+v, %v; want one sent, one dropped", rep, err)
	}
	s.checkOnce([]outbox.Message{m})
	rows := s.rows(univ)
	sent, dropped := rows[id], rows[twinID]
	if sent.String("state") == outbox.StateDropped {
		sent, dropped = dropped, sent
	}
	if !strings.HasPrefix(dropped.String("reason"), "duplicate_content") ||
		outbox.Results(dropped)["u-dev-2"] != "repeat" {
		t.Errorf("repeat row = %v; want dropped as duplicate_content", dropped.Cols)
	}
	s.clock.ToNextDay()
	third := m
	third.DedupeKey = "task-assigned/T-7/tomorrow"
	s.enqueue(third)
	if rep, _ := d.Drain(s.ctx); rep.Sent != 1 {
		t.Errorf("same content the next day: Drain = %+v, want it sent", rep)
	}
}

func TestDropAfterCommitDoesNotDuplicate(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	s.env.Server.Faults().SetDropAfterCommitRate(0.1)
	want := s.bulk(80)
	a, b := s.drainer("a", nil), s.drainer("b", nil)
	s.drainUntilSettled(20, 3*time.Minute, a, b) // past the lease each round
	s.env.Server.Faults().Reset()
	if s.resent.Load() == 0 {
		t.Fatalf("no request was resent: the faults did not fire")
	}
	t.Logf("%d requests resent after a dropped answer", s.resent.Load())
	if n := len(s.rows(univ)); n != 80 {
		t.Errorf("%d rows after enqueues under faults, want 80", n)
	}
	s.checkOnce(want)
}

func TestRobotPacedAndDing(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	for i := range 7 {
		s.enqueue(outbox.Message{Corp: univ, Kind: outbox.KindRobot, Title: "周报",
			Body: fmt.Sprintf("第 %d 项里程碑已验收", i), Users: []string{"u-dev-1"},
			DedupeKey: fmt.Sprintf("robot/%d", i)})
	}
	s.enqueue(outbox.Message{Corp: univ, Kind: outbox.KindDing, Users: []string{"u-dev-2"},
		Title: "任务逾期", Body: "T-9 已逾期 2 天", DedupeKey: "ding/T-9"})
	d := s.drainer("d", nil)
	rep, err := d.Drain(s.ctx)
	// Five robot messages fit the first 20 s window; two wait for the next.
	if err != nil || rep.Sent != 6 || rep.Retried != 2 {
		t.Fatalf("Drain = %+v, %v; want 6 sent, 2 retried", rep, err)
	}
	s.clock.Advance(outbox.DefaultRobotWindow)
	if rep, _ := d.Drain(s.ctx); rep.Sent != 2 {
		t.Fatalf("second Drain = %+v, want the 2 robot messages sent", rep)
	}
	if n := len(s.inbox(dingfake.KindRobot)); n != 7 {
		t.Errorf("robot messages in the inbox = %d, want 7", n)
	}
	dings := s.inbox(dingfake.KindDing)
	if len(dings) != 1 || dings[0].UserID != "u-dev-2" {
		t.Errorf("DINGs = %+v, want one to u-dev-2", dings)
	}
}
