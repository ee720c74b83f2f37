package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xietong/xietong/shared/tables"
)

// TestDingTalkEmitReachesDirectory pushes DingTalk events through the fake into the
// real dingtalk-callback binary (`localdev dingtalk emit`) and reads the directory
// row it writes; a repeated push changes nothing.
func TestDingTalkEmitReachesDirectory(t *testing.T) {
	st := realStack(t)
	corp, user := st.ding.firstUser()
	emit := func(args ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		all := append([]string{"emit", "--gateway", st.gatewayURL, "--corp", corp}, args...)
		if err := runDingTalk(&env{stdout: &out, stderr: &errOut}, all); err != nil {
			t.Fatalf("dingtalk %s: %v\n%s%s", strings.Join(all, " "), err, out.String(),
				errOut.String())
		}
	}
	db := stackStore(t, st)
	key := tables.Key{tables.TenantKey(corp), user}
	ctx := context.Background()

	emit("user_add_org", "UserId=["+user+"]")
	row := waitRow(t, db, key)
	if row.String("status") != "active" {
		t.Fatalf("after user_add_org: status %q, want active", row.String("status"))
	}
	emit("user_add_org", "UserId=["+user+"]")
	again, err := db.Get(ctx, tables.User.Name, key)
	if err != nil || again.Ver() != row.Ver() {
		t.Errorf("repeated push: ver %d → %v, %v; want unchanged", row.Ver(), again, err)
	}

	emit("user_leave_org", "UserId=["+user+"]")
	left, err := db.Get(ctx, tables.User.Name, key)
	if err != nil || left.String("status") == "active" {
		t.Errorf("after user_leave_org: %v, %v; want the user deactivated", left, err)
	}

	// The documents' envelope (userId, eventId) reaches the directory too:
	// DingTalk still lists the user, so user_add_org makes them active again.
	emit("--documented", "user_add_org", "UserId=["+user+"]")
	back, err := db.Get(ctx, tables.User.Name, key)
	if err != nil || back.String("status") != "active" {
		t.Errorf("after a documented user_add_org: %v, %v; want the user active", back, err)
	}
}

// waitRow reads key from the user table, allowing for work the callback queued.
func waitRow(t *testing.T, db *tables.Store, key tables.Key) *tables.Row {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if row, err := db.Get(context.Background(), tables.User.Name, key); err == nil {
			return row
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no user row %v after 20s", key)
	return nil
}

func TestParseFields(t *testing.T) {
	got, err := parseFields([]string{"UserId=[a, b]", "DeptId=[7]", "Name=x", "N=3"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"UserId": []any{"a", "b"}, "DeptId": []any{int64(7)},
		"Name": "x", "N": int64(3)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("parseFields (-want +got):\n%s", d)
	}
	if _, err := parseFields([]string{"novalue"}); err == nil {
		t.Errorf("parseFields(novalue) succeeded, want a usage error")
	}
}
