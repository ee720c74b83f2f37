package tasksapi

import (
	"context"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
)

// reminderRows lists corp's queued reminders as "kind user task-title".
func (st *stack) reminderRows(corp string) []string {
	var out []string
	for _, r := range st.outbox(corp) {
		k := r.String("dedupe_key")
		kind, _, _ := strings.Cut(k, "/")
		if kind != "due-tomorrow" && kind != "overdue" && kind != "overdue-ding" {
			continue
		}
		user := k[strings.LastIndex(k, "/")+1:]
		title := r.String("title")
		out = append(out, kind+" "+user+" "+title[strings.Index(title, "：")+len("："):])
	}
	sort.Strings(out)
	return out
}

func TestRemindersDueTomorrowAndOverdue(t *testing.T) {
	st := newStack(t)
	p := st.uniProject()
	for _, tk := range []CreateRequest{
		{Title: "明天", Due: "2026-12-04", Assignees: []string{dev1, acmePM}},
		{Title: "逾期", Due: "2026-12-01", Assignees: []string{dev1, dev2}},
		{Title: "紧急", Due: "2026-12-02", Priority: "high", Assignees: []string{dev1}},
		{Title: "今天", Due: "2026-12-03", Assignees: []string{dev1}},
		{Title: "以后", Due: "2026-12-20", Assignees: []string{dev1}},
		{Title: "无期", Assignees: []string{dev1}},
	} {
		st.createTask(director, p, tk)
	}
	rem, err := NewReminders(st.db, Config{Now: st.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var rep ReminderReport
	for range 2 { // a second run in the day queues nothing new
		if rep, err = rem.Run(ctx, []string{uni, sup}); err != nil {
			t.Fatal(err)
		}
	}
	// dev1's four tasks due by tomorrow, dev2's one and acmePM's one.
	if rep.Candidates != 6 || rep.DueTomorrow != 2 || rep.Overdue != 2 || rep.Dings != 1 {
		t.Errorf("report %+v, want 6 candidates, 2 due tomorrow, 2 overdue, 1 DING", rep)
	}
	want := []string{"due-tomorrow u-dev-1 明天", "overdue u-dev-1 逾期",
		"overdue u-dev-2 逾期", "overdue-ding u-dev-1 紧急"}
	if got := st.reminderRows(uni); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("university reminders %q, want %q", got, want)
	}
	if got := st.reminderRows(sup); len(got) != 1 || got[0] != "due-tomorrow a-pm 明天" {
		t.Errorf("supplier reminders %q, want a-pm's through the supplier's app", got)
	}

	// The notify function drains them into DingTalk once each.
	fake := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed(), Now: st.clock.Now})
	ding := httptest.NewServer(fake)
	defer ding.Close()
	d, err := outbox.NewDrainer(outbox.Config{Store: st.db, Apps: seedApps, Now: st.clock.Now,
		Options: dingtalk.Options{QPS: -1,
			Endpoints: dingtalk.Endpoints{OAPI: ding.URL, API: ding.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range fake.Inbox("") {
		if c := string(e.Content); strings.Contains(c, "任务明天到期") ||
			strings.Contains(c, "任务已逾期") {
			got[e.Kind+" "+e.UserID]++
		}
	}
	wantIn := map[string]int{"notice u-dev-1": 2, "notice u-dev-2": 1, "ding u-dev-1": 1,
		"notice a-pm": 1}
	if len(got) != len(wantIn) {
		t.Errorf("inbox reminders %v, want %v", got, wantIn)
	}
	for k, n := range wantIn {
		if got[k] != n {
			t.Errorf("inbox %s: %d reminders, want %d", k, got[k], n)
		}
	}

	// The next day the overdue tasks are reminded again, once.
	st.clock.mu.Lock()
	st.clock.t = st.clock.t.Add(24 * time.Hour)
	st.clock.mu.Unlock()
	if rep, err = rem.Run(ctx, []string{uni}); err != nil {
		t.Fatal(err)
	}
	if rep.Overdue != 3 || rep.Dings != 1 || rep.DueTomorrow != 0 {
		t.Errorf("next day's report %+v, want 3 overdue (今天 now late too), 1 DING", rep)
	}
	if n := len(st.reminderRows(uni)); n != 8 {
		t.Errorf("%d reminder rows after two days, want 8", n)
	}
}
