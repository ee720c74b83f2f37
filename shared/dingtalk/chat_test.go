package dingtalk_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
)

func TestChatRoundTrip(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	id, err := e.client.CreateChat(ctx, dingtalk.Chat{Name: "校园网升级",
		Owner: "u-infra-lead", UserIDs: []string{"u-infra-lead", "u-dev-1"}})
	if err != nil || !strings.HasPrefix(id, "chat") {
		t.Fatalf("CreateChat = %q, %v", id, err)
	}
	if err := e.client.UpdateChat(ctx, dingtalk.ChatChange{ChatID: id, Owner: "u-dev-1",
		Add: []string{"u-dev-2"}, Del: []string{"u-infra-lead"}}); err != nil {
		t.Fatal(err)
	}
	c, _ := e.fake.Chat(id)
	if c.Owner != "u-dev-1" || !slices.Equal(c.Members, []string{"u-dev-1", "u-dev-2"}) {
		t.Errorf("chat %+v, want u-dev-1 owning u-dev-1 and u-dev-2", c)
	}
	msgID, err := e.client.SendChat(ctx, id, dingtalk.MarkdownMessage("周报", "**M2** 已验收"))
	if err != nil || msgID == "" {
		t.Fatalf("SendChat = %q, %v", msgID, err)
	}
	if n := inboxKinds(e.fake, "u-dev-2")[dingfake.KindChat]; n != 1 {
		t.Errorf("u-dev-2 has %d chat entries, want 1", n)
	}
}

// Checks that fail before DingTalk is called, and the calls' retry rules:
// a send (no idempotency key) is tried once, an update is retried.
func TestChatChecksAndRetries(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	for _, ch := range []dingtalk.Chat{
		{Name: "g", Owner: "u-dev-1"},
		{Name: "g", Owner: "u-dev-2", UserIDs: []string{"u-dev-1"}},
		{Name: strings.Repeat("名", 50), Owner: "u-dev-1", UserIDs: []string{"u-dev-1"}},
	} {
		if _, err := e.client.CreateChat(ctx, ch); !errors.Is(err, dingtalk.ErrInvalid) {
			t.Errorf("CreateChat(%+v) = %v, want ErrInvalid", ch, err)
		}
	}
	long := dingtalk.TextMessage(strings.Repeat("x", dingtalk.MaxChatMsgBytes))
	if _, err := e.client.SendChat(ctx, "chat1", long); !errors.Is(err, dingtalk.ErrInvalid) {
		t.Errorf("SendChat(too long) = %v, want ErrInvalid", err)
	}
	if n := e.fake.Calls("/chat/create") + e.fake.Calls("/chat/send"); n != 0 {
		t.Errorf("%d calls reached DingTalk, want none", n)
	}
	id, err := e.client.CreateChat(ctx, dingtalk.Chat{Name: "g", Owner: "u-dev-1",
		UserIDs: []string{"u-dev-1"}})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.FailOAPI("/chat/send", 1, -1)
	if _, err := e.client.SendChat(ctx, id, dingtalk.TextMessage("hi")); !errors.Is(err,
		dingtalk.ErrUnavailable) || e.fake.Calls("/chat/send") != 1 {
		t.Errorf("SendChat when busy = %v after %d calls, want ErrUnavailable after 1", err,
			e.fake.Calls("/chat/send"))
	}
	e.fake.FailOAPI("/chat/update", 1, -1)
	if err := e.client.UpdateChat(ctx, dingtalk.ChatChange{ChatID: id,
		Add: []string{"u-dev-2"}}); err != nil || e.fake.Calls("/chat/update") != 2 {
		t.Errorf("UpdateChat when busy = %v after %d calls, want success after 2", err,
			e.fake.Calls("/chat/update"))
	}
	if _, err := e.client.SendChat(ctx, "chat-none", dingtalk.TextMessage("x")); !errors.Is(err,
		dingtalk.ErrNotFound) {
		t.Errorf("SendChat(unknown chat) = %v, want ErrNotFound", err)
	}
}
