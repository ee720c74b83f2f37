package dingfake_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
)

// chatClients serves a fake at a settable clock and returns clients of the
// university's and the supplier's apps.
func chatClients(t *testing.T, now func() time.Time) (*dingfake.Fake, *dingtalk.Client,
	*dingtalk.Client) {
	t.Helper()
	f := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed(), Now: now})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var cs []*dingtalk.Client
	for _, a := range []dingtalk.App{
		{CorpID: dingfake.UniversityCorp, AppKey: "dinguniv-xietong",
			AppSecret: "univ-secret-0001", AgentID: 3100001},
		{CorpID: dingfake.SupplierCorp, AppKey: "dingacme-xietong",
			AppSecret: "acme-secret-0002", AgentID: 3200002},
	} {
		c, err := dingtalk.New(a, dingtalk.Options{QPS: -1, Retries: -1, Now: now,
			Endpoints: dingtalk.Endpoints{OAPI: srv.URL, API: srv.URL}})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return f, cs[0], cs[1]
}

func TestChatLifecycle(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	f, univ, acme := chatClients(t, func() time.Time { return now })
	id, err := univ.CreateChat(ctx, dingtalk.Chat{Name: "项目群", Owner: "u-apps-lead",
		UserIDs: []string{"u-apps-lead", "u-dev-1"}})
	if err != nil {
		t.Fatal(err)
	}
	err = univ.UpdateChat(ctx, dingtalk.ChatChange{ChatID: id, Add: []string{"u-dev-2"},
		Del: []string{"u-dev-1"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.Chat(id)
	if !slices.Equal(c.Members, []string{"u-apps-lead", "u-dev-2"}) {
		t.Errorf("members %v, want u-apps-lead u-dev-2", c.Members)
	}
	if _, err := univ.SendChat(ctx, id, dingtalk.TextMessage("hi")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range f.Inbox("") {
		if e.Kind == dingfake.KindChat && e.ChatID == id {
			got = append(got, e.UserID)
		}
	}
	if !slices.Equal(got, []string{"u-apps-lead", "u-dev-2"}) {
		t.Errorf("chat entries for %v, want one per current member", got)
	}
	// Only the app that created a chat may use it.
	if _, err := acme.SendChat(ctx, id, dingtalk.TextMessage("x")); !errors.Is(err,
		dingtalk.ErrNotFound) {
		t.Errorf("another corp's send = %v, want ErrNotFound", err)
	}
}

func TestChatRules(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	_, univ, _ := chatClients(t, func() time.Time { return now })
	tests := []struct {
		name string
		chat dingtalk.Chat
		want error
	}{
		{"owner not a member", dingtalk.Chat{Name: "g", Owner: "u-dev-2",
			UserIDs: []string{"u-dev-1"}}, dingtalk.ErrInvalid},
		{"no name", dingtalk.Chat{Owner: "u-dev-1", UserIDs: []string{"u-dev-1"}},
			dingtalk.ErrInvalid},
		{"unknown user", dingtalk.Chat{Name: "g", Owner: "u-dev-1",
			UserIDs: []string{"u-dev-1", "nobody"}}, dingtalk.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := univ.CreateChat(ctx, tt.chat); !errors.Is(err, tt.want) {
				t.Errorf("CreateChat = %v, want %v", err, tt.want)
			}
		})
	}
}

// The 21st message to one chat within a minute is refused; a minute later
// the chat takes messages again.
func TestChatPerMinute(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	_, univ, _ := chatClients(t, func() time.Time { return now })
	id, err := univ.CreateChat(ctx, dingtalk.Chat{Name: "g", Owner: "u-dev-1",
		UserIDs: []string{"u-dev-1"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := univ.SendChat(ctx, id, dingtalk.TextMessage("m")); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	if _, err := univ.SendChat(ctx, id, dingtalk.TextMessage("m")); !errors.Is(err,
		dingtalk.ErrThrottled) {
		t.Fatalf("21st message = %v, want ErrThrottled", err)
	}
	now = now.Add(time.Minute)
	if _, err := univ.SendChat(ctx, id, dingtalk.TextMessage("m")); err != nil {
		t.Errorf("a minute later: %v", err)
	}
}
