package projects

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/tables"
)

// drain runs the notify function's drainer over the stack until nothing is
// open, with the projects' chat source.
func (st *stack) drain() {
	st.t.Helper()
	src, err := NewSource(st.db)
	if err != nil {
		st.t.Fatal(err)
	}
	d, err := outbox.NewDrainer(outbox.Config{Store: st.db, Apps: seedApps, Now: st.clock.Now,
		Chats: src, Events: src, Options: dingtalk.Options{QPS: -1,
			Endpoints: dingtalk.Endpoints{OAPI: st.dingURL, API: st.dingURL}}})
	if err != nil {
		st.t.Fatal(err)
	}
	for range 5 {
		if _, err := d.Drain(context.Background()); err != nil {
			st.t.Fatal(err)
		}
		st.clock.Advance(time.Minute)
	}
}

func (st *stack) projectChat(corp string) dingfake.ChatInfo {
	st.t.Helper()
	chats := st.fake.Chats(corp)
	if len(chats) != 1 {
		st.t.Fatalf("%d chats in %s, want 1", len(chats), corp)
	}
	return chats[0]
}

func TestProjectChatFollowsMembers(t *testing.T) {
	st := newStack(t)
	d := st.demoProject("项目群")
	path := projectPath(d)
	st.drain()
	c := st.projectChat(uni)
	want := []string{"u-apps-lead", "u-dev-1", "u-president"} // no partner, no external
	if got := slices.Sorted(slices.Values(c.Members)); !slices.Equal(got, want) ||
		c.Owner != "u-apps-lead" {
		t.Fatalf("chat %+v, want members %v owned by the lead", c, want)
	}
	row, err := st.db.Get(context.Background(), tables.Project.Name,
		projectKey(uni, d.Project.ID))
	if err != nil || row.String(colChatID) != c.ID {
		t.Fatalf("project row chat_id = %q (%v), want %q", row.String(colChatID), err, c.ID)
	}
	var announced int
	for _, e := range st.fake.Inbox("u-dev-1") {
		if e.Kind == dingfake.KindChat && e.ChatID == c.ID {
			announced++
		}
	}
	if announced != 1 {
		t.Errorf("u-dev-1 got %d chat messages, want the creation announcement once", announced)
	}

	st.must(appsLead, "POST", path+"/members", MemberInput{Corp: uni, UserID: "u-dev-2",
		Role: "member"}, http.StatusCreated, nil)
	st.must(appsLead, "DELETE", path+"/members/"+uni+":u-dev-1?ver=1", nil,
		http.StatusNoContent, nil)
	st.drain()
	c = st.projectChat(uni)
	want = []string{"u-apps-lead", "u-dev-2", "u-president"}
	if got := slices.Sorted(slices.Values(c.Members)); !slices.Equal(got, want) {
		t.Errorf("chat members after the changes = %v, want %v", got, want)
	}
	// Each announcement goes out after the change it tells of: the creation
	// one to the first three, the join to four (u-dev-2 included), the
	// departure after u-dev-1 left. The join and the departure may come in
	// either order, so u-dev-1 sees the join or not.
	got := map[string]int{}
	for _, e := range st.fake.Inbox("") {
		if e.Kind == dingfake.KindChat && e.ChatID == c.ID {
			got[e.UserID]++
		}
	}
	if got["u-apps-lead"] != 3 || got["u-president"] != 3 || got["u-dev-2"] != 2 ||
		got["u-dev-1"] < 1 || got["u-dev-1"] > 2 {
		t.Errorf("chat entries per member %v, want the lead and president 3, u-dev-2 2, "+
			"u-dev-1 1 or 2", got)
	}
	if len(st.fake.Chats(sup)) != 0 {
		t.Errorf("the partner got a chat: %+v", st.fake.Chats(sup))
	}
}

func TestMilestoneReviewEvent(t *testing.T) {
	st := newStack(t)
	d := st.demoProject("评审")
	path := projectPath(d)
	var m Milestone
	st.must(appsLead, "POST", path+"/milestones", MilestoneRequest{Title: "上线评审",
		Due: "2026-12-20"}, http.StatusCreated, &m)
	st.drain()
	evs := st.fake.Events(uni)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	want := []string{"un-apps-lead", "un-dev-1", "un-president"}
	if got := slices.Sorted(slices.Values(ev.Attendees)); ev.Organizer != "un-apps-lead" ||
		!slices.Equal(got, want) {
		t.Fatalf("event %+v, want organizer un-apps-lead and attendees %v", ev, want)
	}
	// A title edit leaves the event; a due date move changes the same one.
	title := "上线评审会"
	st.must(appsLead, "PATCH", path+"/milestones/"+m.ID,
		MilestoneEditRequest{Ver: m.Ver, Title: &title}, http.StatusOK, &m)
	due := "2026-12-27"
	st.must(appsLead, "PATCH", path+"/milestones/"+m.ID,
		MilestoneEditRequest{Ver: m.Ver, Due: &due}, http.StatusOK, &m)
	st.drain()
	evs = st.fake.Events(uni)
	if len(evs) != 1 || evs[0].ID != ev.ID || evs[0].Changes != 1 {
		t.Fatalf("events after the move = %+v, want %s changed once", evs, ev.ID)
	}
	if !strings.Contains(string(evs[0].Body), `"date":"2026-12-27"`) {
		t.Errorf("event body %s, want the new due date", evs[0].Body)
	}
}
