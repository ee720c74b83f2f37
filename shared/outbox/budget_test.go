package outbox_test

import (
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
)

func TestTableBudgetNotices(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	b := outbox.NewTableBudget(s.store, univ, outbox.BudgetConfig{NoticesPerDay: 3})
	key := func(user, hash string) dingtalk.NoticeKey {
		return dingtalk.NoticeKey{AppKey: "app", UserID: user, Day: "2026-12-03", Hash: hash}
	}
	steps := []struct {
		budget *outbox.TableBudget
		key    dingtalk.NoticeKey
		want   dingtalk.Verdict
	}{
		{b, key("u1", "h1"), dingtalk.Admit},
		{b, key("u1", "h1"), dingtalk.DropRepeat},
		{b, key("u1", "h2"), dingtalk.Admit},
		{b, key("u1", "h3"), dingtalk.DropOverBudget}, // the third is the digest's
		{b.Digests(), key("u1", "h3"), dingtalk.Admit},
		{b.Digests(), key("u1", "h4"), dingtalk.DropOverBudget},
		{b, key("u2", "h1"), dingtalk.Admit}, // other user
	}
	for i, st := range steps {
		got, err := st.budget.AdmitNotice(s.ctx, st.key)
		if err != nil || got != st.want {
			t.Errorf("step %d: AdmitNotice(%+v) = %v, %v; want %v", i, st.key, got, err, st.want)
		}
	}
	for range 2 { // a refund counts once however often it is made
		if err := b.RefundNotice(s.ctx, key("u1", "h2")); err != nil {
			t.Fatalf("RefundNotice = %v", err)
		}
	}
	if n, _ := b.Used(s.ctx, key("u1", "")); n != 2 {
		t.Errorf("Used after one refund = %d, want 2", n)
	}
	// The refund freed the slot and forgot the content: no repeat now.
	if v, _ := b.Digests().AdmitNotice(s.ctx, key("u1", "h2")); v != dingtalk.Admit {
		t.Errorf("AdmitNotice of refunded content = %v, want admit", v)
	}
}

func TestTableBudgetConcurrentAdmits(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	// Two instances (separate stores) admit 40 notices to one user at once.
	budgets := []*outbox.TableBudget{
		outbox.NewTableBudget(s.newStore(), univ, outbox.BudgetConfig{NoticesPerDay: 11}),
		outbox.NewTableBudget(s.newStore(), univ, outbox.BudgetConfig{NoticesPerDay: 11}),
	}
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			k := dingtalk.NoticeKey{AppKey: "app", UserID: "u1", Day: "2026-12-03",
				Hash: string(rune('A' + i))}
			v, err := budgets[i%2].AdmitNotice(s.ctx, k)
			if err != nil {
				t.Errorf("AdmitNotice: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if v == dingtalk.Admit {
				admitted++
			}
		})
	}
	wg.Wait()
	if admitted != 10 {
		t.Errorf("%d admitted under a budget of 11 (one kept for the digest), want 10", admitted)
	}
}

func TestTableBudgetRobotWindows(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	b := outbox.NewTableBudget(s.store, univ, outbox.BudgetConfig{})
	start := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC) // a window boundary
	for i := range outbox.DefaultRobotPerWindow {
		if wait, err := b.AdmitRobot(s.ctx, "r1",
			start.Add(time.Duration(i)*time.Second)); wait != 0 ||
			err != nil {
			t.Fatalf("AdmitRobot #%d = %v, %v; want admitted", i, wait, err)
		}
	}
	at := start.Add(15 * time.Second)
	if wait, err := b.AdmitRobot(s.ctx, "r1", at); wait != 5*time.Second || err != nil {
		t.Errorf("AdmitRobot over the window = %v, %v; want to wait 5s", wait, err)
	}
	if wait, _ := b.AdmitRobot(s.ctx, "r2", at); wait != 0 {
		t.Errorf("AdmitRobot of another robot = %v, want admitted", wait)
	}
	if wait, _ := b.AdmitRobot(s.ctx, "r1", start.Add(outbox.DefaultRobotWindow)); wait != 0 {
		t.Errorf("AdmitRobot in the next window = %v, want admitted", wait)
	}
}
