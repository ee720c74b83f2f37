package outbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
)

// chatClient is a DingTalk client of the university's app.
func (s *stack) chatClient() *dingtalk.Client {
	s.t.Helper()
	c, err := dingtalk.New(s.apps[0], dingtalk.Options{Now: s.clock.Now, QPS: -1,
		Endpoints: dingtalk.Endpoints{OAPI: s.url, API: s.url}})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

func chatChange(id string, add ...string) dingtalk.ChatChange {
	return dingtalk.ChatChange{ChatID: id, Add: add}
}

// newChat creates a chat of members in the university through the client.
func (s *stack) newChat(members ...string) string {
	s.t.Helper()
	id, err := s.chatClient().CreateChat(s.ctx, dingtalk.Chat{Name: "项目群", Owner: members[0],
		UserIDs: members})
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

// fault makes the fake fail the next count calls of path with errcode.
func (s *stack) fault(path string, count, errcode int) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"path": path, "count": count, "errcode": errcode})
	resp, err := http.Post(s.url+"/_fake/fault", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("fault %s: status %d", path, resp.StatusCode)
	}
}

func chatMsg(chat string, n int) outbox.Message {
	return outbox.Message{Corp: univ, Kind: outbox.KindChat, Chat: chat,
		Title: fmt.Sprintf("公告 %d", n), Body: fmt.Sprintf("msg-%04d", n),
		Link: "https://xietong.example/app/#/projects/P-1", DedupeKey: fmt.Sprintf("ann/%d", n)}
}

// chatCounts counts chat entries by "user body".
func (s *stack) chatCounts(chat string) map[string]int {
	got := map[string]int{}
	for _, e := range s.inbox(dingfake.KindChat) {
		if e.ChatID == chat {
			got[e.UserID+" "+bodyRE.FindString(noticeText(e))]++
		}
	}
	return got
}

func TestChatMessageSentOnce(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	members := []string{"u-apps-lead", "u-dev-1", "u-dev-2"}
	chat := s.newChat(members...)
	m := chatMsg(chat, 1)
	s.enqueue(m)
	s.enqueue(m) // a duplicated request writes nothing
	// A drainer that sent the row and died before recording it.
	d := s.drainer("d", nil)
	if rep, err := d.Drain(s.ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("Drain = %+v, %v; want 1 sent", rep, err)
	}
	s.crash(m)
	s.clock.Advance(outbox.DefaultLease)
	if rep, err := d.Drain(s.ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("Drain of the re-driven row = %+v, %v; want it recorded sent", rep, err)
	}
	got := s.chatCounts(chat)
	for _, u := range members {
		if got[u+" msg-0001"] != 1 {
			t.Errorf("%s got the chat message %d times, want 1", u, got[u+" msg-0001"])
		}
	}
	if len(got) != len(members) {
		t.Errorf("chat entries %v, want one per member", got)
	}
}

// The fake fails chat sends for a while: every message arrives once.
func TestChatFaultsThenRecovery(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	chat := s.newChat("u-apps-lead", "u-dev-1")
	s.fault("/chat/send", 6, -1)
	for i := range 4 {
		s.enqueue(chatMsg(chat, i))
	}
	s.drainUntilSettled(12, 10*time.Minute, s.drainer("d", nil))
	if st := s.states(univ); st[outbox.StateSent] != 4 {
		t.Fatalf("states %v, want 4 sent", st)
	}
	got := s.chatCounts(chat)
	for i := range 4 {
		for _, u := range []string{"u-apps-lead", "u-dev-1"} {
			if k := fmt.Sprintf("%s msg-%04d", u, i); got[k] != 1 {
				t.Errorf("%s: %d deliveries, want 1", k, got[k])
			}
		}
	}
}

// More messages to one chat than DingTalk takes a minute: the drainer paces
// them instead of losing any.
func TestChatPacedUnderTheMinuteLimit(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	chat := s.newChat("u-apps-lead")
	const n = 30
	for i := range n {
		s.enqueue(chatMsg(chat, i))
	}
	s.drainUntilSettled(40, outbox.DefaultRobotWindow, s.drainer("d", nil))
	if got := s.chatCounts(chat); len(got) != n {
		t.Fatalf("%d distinct chat messages arrived, want %d", len(got), n)
	}
	for _, r := range s.rows(univ) {
		if r.String("state") != outbox.StateSent {
			t.Errorf("row %v: %s (%s)", r.Key, r.String("state"), r.String("reason"))
		}
	}
}

func TestChatUnknownIsDropped(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	s.enqueue(chatMsg("chat-nope", 1))
	rep, err := s.drainer("d", nil).Drain(s.ctx)
	if err != nil || rep.Dropped != 1 {
		t.Fatalf("Drain = %+v, %v; want the row dropped", rep, err)
	}
}

func TestChatEnqueueRules(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	long := bytes.Repeat([]byte("字"), 800)
	tests := []struct {
		name string
		edit func(*outbox.Message)
	}{
		{"no chat", func(m *outbox.Message) { m.Chat = "" }},
		{"no body", func(m *outbox.Message) { m.Body = "" }},
		{"users", func(m *outbox.Message) { m.Users = []string{"u-dev-1"} }},
		{"too long", func(m *outbox.Message) { m.Body = string(long) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := chatMsg("chat-x", 1)
			tt.edit(&m)
			if _, err := outbox.Enqueue(s.ctx, s.store, m); !errors.Is(err, outbox.ErrInvalid) {
				t.Errorf("Enqueue = %v, want ErrInvalid", err)
			}
		})
	}
}

// A DING whose record was lost (the row is driven again after its lease)
// is recorded, not sent a second time.
func TestDingNotResentAfterLostRecord(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	m := outbox.Message{Corp: univ, Users: []string{"u-dev-1"}, Kind: outbox.KindDing,
		Title: "任务已逾期（紧急）：T-1", Body: "msg-0007", DedupeKey: "overdue-ding/T-1"}
	s.enqueue(m)
	d := s.drainer("d", nil)
	if rep, err := d.Drain(s.ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("Drain = %+v, %v; want 1 sent", rep, err)
	}
	s.crash(m)
	s.clock.Advance(outbox.DefaultLease)
	if rep, err := d.Drain(s.ctx); err != nil || rep.Sent != 1 {
		t.Fatalf("Drain of the re-driven row = %+v, %v; want it recorded sent", rep, err)
	}
	if n := len(s.inbox(dingfake.KindDing)); n != 1 {
		t.Errorf("%d DINGs reached the fake, want 1", n)
	}
}

// A DING that fails is sent by the retry: the marker goes with the failure.
func TestDingRetriedAfterFailure(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	s.apiFault("/v1.0/robot/ding/send", 2)
	s.enqueue(outbox.Message{Corp: univ, Users: []string{"u-dev-1"}, Kind: outbox.KindDing,
		Title: "逾期", Body: "msg-0008", DedupeKey: "overdue-ding/T-2"})
	s.drainUntilSettled(10, 10*time.Minute, s.drainer("d", nil))
	if n := len(s.inbox(dingfake.KindDing)); n != 1 {
		t.Errorf("%d DINGs reached the fake, want 1", n)
	}
}
