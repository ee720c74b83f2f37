package outbox_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/outbox"
)

// specs is a hand-written ChatSource whose wanted state a test edits.
type specs struct {
	mu      sync.Mutex
	want    map[string]outbox.ChatSpec
	created map[string]string // key → chat id heard
	calls   int
}

func newSpecs() *specs {
	return &specs{want: map[string]outbox.ChatSpec{}, created: map[string]string{}}
}

func (s *specs) set(key string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.want[key] = outbox.ChatSpec{Name: "项目 " + key, Owner: members[0], Members: members}
}

func (s *specs) ChatSpec(_ context.Context, _, key string) (outbox.ChatSpec, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.want[key]
	if !ok {
		return sp, outbox.ErrNoChat
	}
	return sp, nil
}

func (s *specs) ChatCreated(_ context.Context, _, key, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created[key] = id
	s.calls++
	return nil
}

func syncMsg(key string, n int) outbox.Message {
	return outbox.Message{Corp: univ, Kind: outbox.KindChatSync, ChatKey: key,
		DedupeKey: fmt.Sprintf("chat-sync/%s/%d", key, n)}
}

// chatOf returns the fake's only chat of the university, failing unless
// there is exactly one.
func (s *stack) onlyChat() dingfake.ChatInfo {
	s.t.Helper()
	chats := s.fake.Chats(univ)
	if len(chats) != 1 {
		s.t.Fatalf("%d chats in the fake, want 1: %+v", len(chats), chats)
	}
	return chats[0]
}

func (s *stack) wantMembers(c dingfake.ChatInfo, want ...string) {
	s.t.Helper()
	got := slices.Sorted(slices.Values(c.Members))
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		s.t.Errorf("chat members %v, want %v", got, want)
	}
}

func TestChatSyncCreatesOnceAndFollowsMembers(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	src := newSpecs()
	d := s.drainer("d", func(c *outbox.Config) { c.Chats = src })
	const key = "project/univ/P-1"
	src.set(key, "u-apps-lead", "u-dev-1")
	// Several sync rows at once, one duplicated: workers race for the chat.
	for i := range 4 {
		s.enqueue(syncMsg(key, i))
	}
	s.enqueue(syncMsg(key, 0))
	s.enqueue(outbox.Message{Corp: univ, Kind: outbox.KindChat, ChatKey: key,
		Title: "公告", Body: "msg-0001", DedupeKey: "ann/1"})
	s.drainUntilSettled(10, 5*time.Second, d)
	c := s.onlyChat()
	s.wantMembers(c, "u-apps-lead", "u-dev-1")
	if src.created[key] != c.ID {
		t.Errorf("source heard chat %q, want %q", src.created[key], c.ID)
	}
	if id, _ := outbox.ChatID(s.ctx, s.store, univ, key); id != c.ID {
		t.Errorf("ChatID = %q, want %q", id, c.ID)
	}
	// Membership changes: one member added, one removed.
	src.set(key, "u-apps-lead", "u-dev-2")
	join := syncMsg(key, 10)
	// Posted after the change: u-dev-2 sees it.
	join.Title, join.Body = "新成员加入", "msg-0003"
	s.enqueue(join)
	s.drainUntilSettled(10, 5*time.Second, d)
	s.wantMembers(s.onlyChat(), "u-apps-lead", "u-dev-2")
	s.enqueue(outbox.Message{Corp: univ, Kind: outbox.KindChat, ChatKey: key,
		Title: "公告", Body: "msg-0002", DedupeKey: "ann/2"})
	s.drainUntilSettled(10, 5*time.Second, d)
	got := s.chatCounts(c.ID)
	want := map[string]int{"u-apps-lead msg-0001": 1, "u-dev-1 msg-0001": 1,
		"u-apps-lead msg-0002": 1, "u-dev-2 msg-0002": 1,
		"u-apps-lead msg-0003": 1, "u-dev-2 msg-0003": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("chat deliveries %v, want %v", got, want)
	}
}

// The fake fails creates and updates for a while: one chat, right members.
func TestChatSyncFaultsThenRecovery(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	src := newSpecs()
	d := s.drainer("d", func(c *outbox.Config) { c.Chats = src })
	const key = "project/univ/P-2"
	src.set(key, "u-it-director", "u-dev-1", "u-dev-2")
	s.fault("/chat/create", 3, -1)
	s.enqueue(syncMsg(key, 1))
	s.drainUntilSettled(10, 10*time.Minute, d)
	s.wantMembers(s.onlyChat(), "u-it-director", "u-dev-1", "u-dev-2")
	src.set(key, "u-it-director", "u-finance-head")
	s.fault("/chat/update", 3, -1)
	s.enqueue(syncMsg(key, 2))
	s.drainUntilSettled(10, 10*time.Minute, d)
	s.wantMembers(s.onlyChat(), "u-it-director", "u-finance-head")
	if st := s.states(univ); st[outbox.StateSent] != 2 {
		t.Errorf("states %v, want both syncs sent", st)
	}
}

// A drainer died holding a chat's lock midway through a change, and the
// next sync fails once: the one after takes over and still reaches the
// wanted members.
func TestChatSyncTakesOverADeadLock(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	src := newSpecs()
	const key = "project/univ/P-3"
	src.set(key, "u-apps-lead", "u-dev-1")
	d := s.drainer("d", func(c *outbox.Config) { c.Chats = src })
	s.enqueue(syncMsg(key, 1))
	s.drainUntilSettled(5, time.Second, d)
	// A dead drainer locked the chat to add u-dev-2 and did so, unrecorded.
	src.set(key, "u-apps-lead", "u-dev-1", "u-dev-2")
	dead := s.drainer("dead", func(c *outbox.Config) {
		c.Chats = src
		c.Lease = time.Minute
	})
	s.enqueue(syncMsg(key, 2))
	outbox.LockChatForTest(s.ctx, dead, univ, key, []string{"u-apps-lead", "u-dev-1",
		"u-dev-2"})
	if err := s.chatClient().UpdateChat(s.ctx, chatChange(s.onlyChat().ID, "u-dev-2")); err != nil {
		t.Fatal(err)
	}
	// The next sync's first attempt fails too (the client retries once):
	// the one after must still know what the dead drainer may have added.
	src.set(key, "u-apps-lead")
	s.fault("/chat/update", 2, -1)
	s.enqueue(syncMsg(key, 3))
	s.drainUntilSettled(10, time.Minute, d)
	s.wantMembers(s.onlyChat(), "u-apps-lead")
	if n := s.fake.Calls("/chat/update"); n < 3 {
		t.Errorf("%d chat updates, want the 2 failures and the takeover", n)
	}
}
