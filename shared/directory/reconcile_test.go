package directory_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

// state renders corp's departments and users without versions, so that two
// directories with the same content compare equal.
func (e *env) state(t *testing.T, corp string) string {
	t.Helper()
	var lines []string
	depts, err := e.dir.Depts(context.Background(), corp)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range depts {
		lines = append(lines, fmt.Sprintf("dept %d %q parent=%d active=%v managers=%v",
			d.ID, d.Name, d.ParentID, d.Active, d.Managers))
	}
	for _, u := range e.users(t, corp) {
		lines = append(lines, fmt.Sprintf("user %+v", directory.View(directory.Viewer{}, u)))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestReconcileFillsAndIsIdempotent(t *testing.T) {
	e := newEnv(t)
	first := e.reconcile(t, univ)
	seed := dingfake.DefaultSeed()[0]
	if first.Users != len(seed.Users)+len(seed.External) || first.Depts != len(seed.Depts) {
		t.Errorf("first reconcile = %+v, want %d users and contacts, %d depts", first,
			len(seed.Users)+len(seed.External), len(seed.Depts))
	}
	if again := e.reconcile(t, univ); again.Total() != 0 {
		t.Errorf("second reconcile wrote %+v, want nothing", again)
	}
	o, err := e.dir.Org(context.Background(), univ)
	if err != nil || o.Name != "东海示范大学" {
		t.Errorf("Org = %+v, %v", o, err)
	}
}

// TestReconcileRepairsDrift damages the stored directory in every way a lost
// event would, and checks that one reconcile restores it and a second one
// finds nothing to do.
func TestReconcileRepairsDrift(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.reconcile(t, univ)
	tid := tables.TenantKey(univ)

	// A stale title: rewrite u-dev-1's row with other content.
	r, err := e.store.Get(ctx, tables.User.Name, tables.Key{tid, "u-dev-1"})
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(r.String("data"), "开发工程师", "实习生", 1)
	if _, err := e.store.Update(ctx, tables.User.Name, r.Key, r.Ver(), tables.Change{
		Set: tables.Cols{"data": data, "digest": "stale"}}); err != nil {
		t.Fatal(err)
	}
	// A lost user_leave_org: DingTalk no longer has u-accountant.
	e.fake.RemoveUser(univ, "u-accountant")
	// A lost user_add_org and org_dept_create.
	sec := dingfake.Dept{ID: 8, Name: "网络安全组", ParentID: 3}
	if err := e.fake.PutDept(univ, sec); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.PutUser(univ, dingfake.User{UserID: "u-sec", Name: "吴工",
		DeptIDs: []int64{8}, Active: true}); err != nil {
		t.Fatal(err)
	}
	// A lost department row.
	finance := tables.Key{tid, "0000000000000000006"}
	if err := e.store.Delete(ctx, tables.Dept.Name, finance, 0); err != nil {
		t.Fatal(err)
	}
	// A wrongly deactivated user.
	if _, err := e.dir.DeactivateUsers(ctx, univ, []string{"u-president"}); err != nil {
		t.Fatal(err)
	}

	ch := e.reconcile(t, univ)
	if want := (directory.Changes{Users: 3, Deactivated: 1, Depts: 2}); ch != want {
		t.Errorf("repair = %+v, want %+v", ch, want)
	}
	// The repaired copy equals one built from scratch, but for the row kept
	// of the user who left.
	clean := e.fresh(t)
	clean.reconcile(t, univ)
	got := e.state(t, univ)
	var kept []string
	for _, line := range strings.Split(got, "\n") {
		if !strings.Contains(line, "UserID:u-accountant ") {
			kept = append(kept, line)
		}
	}
	if want := clean.state(t, univ); strings.Join(kept, "\n") != want {
		t.Errorf("repaired directory:\n%s\nwant:\n%s", strings.Join(kept, "\n"), want)
	}
	if _, err := e.dir.Lookup(ctx, univ, "u-accountant"); !errors.Is(err, directory.ErrInactive) {
		t.Errorf("Lookup(u-accountant) = %v, want ErrInactive", err)
	}
	if u, err := e.dir.Lookup(ctx, univ, "u-dev-1"); err != nil || u.Title != "开发工程师" {
		t.Errorf("u-dev-1 = %q, %v; want title restored", u.Title, err)
	}
	if again := e.reconcile(t, univ); again.Total() != 0 {
		t.Errorf("reconcile after repair wrote %+v, want nothing", again)
	}
}
