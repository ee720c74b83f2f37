package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/directory"
)

// The seeded executives' numbers (university president: hidden and senior;
// supplier CEO: hidden and senior) and a staff member's.
const (
	presidentMobile = "13800000001"
	acmeCEOMobile   = "13900000001"
	devMobile       = "13800000005"
)

func viewer(t *testing.T, e *env, corp, id string) directory.Viewer {
	t.Helper()
	v, err := e.dir.Viewer(context.Background(), corp, id)
	if err != nil {
		t.Fatalf("Viewer(%s, %s): %v", corp, id, err)
	}
	return v
}

// TestProtection checks who sees a protected executive's mobile number
// through View, the one function every endpoint answers with.
func TestProtection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.reconcile(t, univ)
	e.reconcile(t, acme)
	if err := e.dir.SetPolicy(ctx, univ, directory.Policy{
		MobileViewers: []string{"u-it-director"},
		Protected:     []string{"u-finance-head"}}); err != nil {
		t.Fatal(err)
	}
	president, err := e.dir.Lookup(ctx, univ, "u-president")
	if err != nil {
		t.Fatal(err)
	}
	finance, _ := e.dir.Lookup(ctx, univ, "u-finance-head")
	dev, _ := e.dir.Lookup(ctx, univ, "u-dev-1")

	tests := []struct {
		name   string
		viewer directory.Viewer
		user   directory.User
		want   string
	}{
		{"staff sees no executive number", viewer(t, e, univ, "u-dev-1"), president, ""},
		{"allowed viewer sees it", viewer(t, e, univ, "u-it-director"), president,
			presidentMobile},
		{"the executive sees their own", viewer(t, e, univ, "u-president"), president,
			presidentMobile},
		{"partner org's CEO sees nothing", viewer(t, e, acme, "a-ceo"), president, ""},
		{"system viewer (exports, reports)", directory.Viewer{}, president, ""},
		{"forged viewer struct", directory.Viewer{CorpID: univ, UserID: "u-dev-2"},
			president, ""},
		{"org's own protected list", viewer(t, e, univ, "u-dev-1"), finance, ""},
		{"unprotected staff number is shown", viewer(t, e, acme, "a-pm"), dev, devMobile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := directory.View(tt.viewer, tt.user)
			if p.Mobile != tt.want {
				t.Errorf("View(%s:%s, %s).Mobile = %q, want %q", tt.viewer.CorpID,
					tt.viewer.UserID, tt.user.UserID, p.Mobile, tt.want)
			}
			b, _ := json.Marshal(p)
			if tt.want == "" && strings.Contains(string(b), presidentMobile) {
				t.Errorf("View JSON carries the number: %s", b)
			}
		})
	}
}

// TestNoReadLeaksMobile checks every read the directory offers: no User
// value, however an endpoint encodes it, carries a protected number, and
// ViewAll for a staff viewer shows none.
func TestNoReadLeaksMobile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.reconcile(t, univ)
	e.reconcile(t, acme)
	var all []directory.User
	for _, corp := range []string{univ, acme} {
		all = append(all, e.users(t, corp)...)
	}
	u, _ := e.dir.Lookup(ctx, univ, "u-president")
	all = append(all, u)
	for _, u := range all {
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{presidentMobile, acmeCEOMobile, devMobile} {
			if strings.Contains(string(b), m) {
				t.Errorf("json of User %s carries a mobile number: %s", u.UserID, b)
			}
		}
	}
	staff := viewer(t, e, univ, "u-dev-1")
	b, _ := json.Marshal(directory.ViewAll(staff, all))
	for _, m := range []string{presidentMobile, acmeCEOMobile} {
		if strings.Contains(string(b), m) {
			t.Errorf("ViewAll for staff shows protected number %s", m)
		}
	}
	if !strings.Contains(string(b), devMobile) {
		t.Errorf("ViewAll hides an unprotected number too; the test would prove nothing")
	}
}

// TestLeaverLosesAccess: a user who left is refused as a viewer at once.
func TestLeaverLosesAccess(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.reconcile(t, univ)
	if _, err := e.dir.DeactivateUsers(ctx, univ, []string{"u-it-director"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.dir.Viewer(ctx, univ, "u-it-director"); !errors.Is(err, directory.ErrInactive) {
		t.Errorf("Viewer(leaver) = %v, want ErrInactive", err)
	}
	if _, err := e.dir.Lookup(ctx, univ, "nobody"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("Lookup(nobody) = %v, want ErrNotFound", err)
	}
}
