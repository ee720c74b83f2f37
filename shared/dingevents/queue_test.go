package dingevents_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/tables"
)

// TestDeadRowsDoNotBlockTheQueue puts more dead queue rows ahead of a live
// one than a small drain reads: the drain still reaches the live row.
func TestDeadRowsDoNotBlockTheQueue(t *testing.T) {
	s := newStack(t, ots.Config{})
	ctx := context.Background()
	tid := tables.TenantKey(univ)
	for i := range 20 {
		if _, err := s.store.Create(ctx, tables.Outbox.Name,
			tables.Key{tid, fmt.Sprintf("cb/a-dead-%02d", i)}, tables.Cols{
				"kind": "dingtalk-callback", "event": []byte(`{"EventType":"x"}`),
				"state": "dead", "attempts": int64(12), "next_ms": int64(0)}); err != nil {
			t.Fatal(err)
		}
	}
	seedUser(t, s, "u-behind", nil)
	if _, err := s.store.Create(ctx, tables.Outbox.Name, tables.Key{tid, "cb/z-live"},
		tables.Cols{"kind": "dingtalk-callback",
			"event": []byte(`{"EventType":"user_add_org","UserId":["u-behind"]}`),
			"state": "queued", "attempts": int64(0),
			"next_ms": s.clock.Now().UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.handler.Drain(ctx, univ, 1)
	if err != nil || rep.Done != 1 {
		t.Fatalf("Drain(max 1) behind 20 dead rows = %+v, %v; want 1 done", rep, err)
	}
	mustUser(t, s, univ, "u-behind")
}
