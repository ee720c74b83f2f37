package directory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/tables"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/directory"
)

func TestOrgRole(t *testing.T) {
	tests := []struct {
		u        directory.User
		override string
		want     access.OrgRole
	}{
		{directory.User{Boss: true, Admin: true}, "", access.Executive},
		{directory.User{Kind: directory.KindExternal, Boss: true}, "", access.External},
		{directory.User{LeaderOf: []int64{3}, Admin: true}, "", access.DeptManager},
		{directory.User{Admin: true}, "", access.Admin},
		{directory.User{Roles: []string{"executive"}}, "", access.Executive},
		{directory.User{}, "", access.Staff},
		{directory.User{}, "executive", access.Executive},
		{directory.User{Boss: true}, "bogus", access.Executive},
	}
	for _, tt := range tests {
		if got := tt.u.OrgRole(tt.override); got != tt.want {
			t.Errorf("OrgRole(%+v, %q) = %s, want %s", tt.u, tt.override, got, tt.want)
		}
	}
}

// TestPrincipal reads users as the functions authorize them: the derived
// role, an admin's override in the org_role column, and refusals of users
// who left or whom the directory does not know.
func TestPrincipal(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	corp := dingfake.UniversityCorp
	e.reconcile(t, corp)
	if _, role, err := e.dir.Principal(ctx, corp, "u-president"); err != nil ||
		role != access.Executive {
		t.Errorf("president: role %q, %v; want executive", role, err)
	}
	row, err := e.store.Get(ctx, tables.User.Name, tables.Key{tables.TenantKey(corp), "u-dev-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Update(ctx, tables.User.Name, row.Key, row.Ver(), tables.Change{
		Set: tables.Cols{directory.ColOrgRole: string(access.Executive)}}); err != nil {
		t.Fatal(err)
	}
	if u, role, err := e.dir.Principal(ctx, corp, "u-dev-1"); err != nil ||
		role != access.Executive || u.UserID != "u-dev-1" {
		t.Errorf("overridden: %s role %q, %v; want executive", u.UserID, role, err)
	}
	if _, err := e.dir.DeactivateUsers(ctx, corp, []string{"u-dev-1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.dir.Principal(ctx, corp, "u-dev-1"); !errors.Is(err,
		directory.ErrInactive) {
		t.Errorf("left: %v; want ErrInactive", err)
	}
	if _, _, err := e.dir.Principal(ctx, corp, "u-nobody"); !errors.Is(err,
		directory.ErrNotFound) {
		t.Errorf("unknown: %v; want ErrNotFound", err)
	}
}
