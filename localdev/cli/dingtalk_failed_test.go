package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/tables"
)

// TestDingTalkFailedListThroughStack pushes an event at a callback that
// refuses it, as DingTalk would find a function that is down: after the
// fake's retries the event is in DingTalk's failed-event list, the real
// dingtalk-callback binary's drain timer takes it from there and applies it,
// and the same event pushed again afterwards through the gateway changes
// nothing.
func TestDingTalkFailedListThroughStack(t *testing.T) {
	st := realStack(t)
	fake := st.ding.fake
	delays := fake.RetryDelays()
	fake.SetRetryDelays(time.Millisecond, 2*time.Millisecond)
	t.Cleanup(func() { fake.SetRetryDelays(delays...) })
	corp, _ := st.ding.firstUser()
	const user = "u-dev-2"
	db := stackStore(t, st)
	ctx := context.Background()
	key := tables.Key{tables.TenantKey(corp), user}
	if _, err := db.Get(ctx, tables.User.Name, key); !errors.Is(err, tables.ErrNotFound) {
		t.Fatalf("user row %v before the test: %v, want none", key, err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "function unavailable", http.StatusServiceUnavailable)
	}))
	defer down.Close()

	fields := map[string]any{"UserId": []string{user}}
	if err := fake.Push(ctx, down.URL, corp, "user_add_org", fields); err == nil {
		t.Fatal("push to a refusing callback succeeded")
	}
	if n := fake.FailedCount(corp); n != 1 {
		t.Fatalf("failed list holds %d events, want 1", n)
	}
	trigger(t, st, "dingtalk-callback", "drain")
	row, err := db.Get(ctx, tables.User.Name, key)
	if err != nil || row.String("status") != "active" {
		t.Fatalf("after the drain: %v, %v; want the user active", row, err)
	}
	if n := fake.FailedCount(corp); n != 0 {
		t.Errorf("failed list holds %d events after the drain, want 0", n)
	}

	if err := fake.Push(ctx, st.gatewayURL+callbackPath, corp, "user_add_org",
		fields); err != nil {
		t.Fatal(err)
	}
	trigger(t, st, "dingtalk-callback", "drain")
	again, err := db.Get(ctx, tables.User.Name, key)
	if err != nil || again.Ver() != row.Ver() {
		t.Errorf("redelivery: ver %d → %v, %v; want unchanged", row.Ver(), again, err)
	}
}
