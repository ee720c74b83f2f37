package projects

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// probe is one request standing for an action: harmless whether allowed
// or not (writes carry a stale version, creates an invalid body), so the
// project never changes while the matrix runs. ok lists the statuses that
// mean "allowed".
type probe struct {
	action access.Action
	method string
	path   func(project string) string
	body   any
	ok     []int
	// ownOrg marks organization-wide actions, which the API always applies
	// to the caller's own organization.
	ownOrg bool
}

var probes = []probe{
	{access.ProjectView, "GET", func(p string) string { return p }, nil, []int{200}, false},
	{access.ProjectView, "GET", func(p string) string { return p + "/members" }, nil,
		[]int{200}, false},
	{access.ProjectView, "GET", func(p string) string { return p + "/milestones" }, nil,
		[]int{200}, false},
	{access.ProjectUpdate, "PATCH", func(p string) string { return p },
		UpdateRequest{Ver: 999, Name: ptr("x")}, []int{409}, false},
	{access.ProjectArchive, "POST", func(p string) string { return p + "/archive" },
		VersionRequest{Ver: 999}, []int{409}, false},
	{access.MembersManage, "PATCH", func(p string) string { return p + "/members/" + appsLead },
		RoleRequest{Ver: 999, Role: "member"}, []int{409}, false},
	{access.MembersManage, "POST", func(p string) string { return p + "/partners" },
		PartnerRequest{Ver: 999, Corp: "dingthird"}, []int{409}, false},
	{access.MilestoneManage, "PATCH", func(p string) string { return p + "/milestones/M-1" },
		MilestoneEditRequest{Ver: 999, Title: ptr("x")}, []int{409}, false},
	{access.MilestoneManage, "POST", func(p string) string { return p + "/milestones" },
		MilestoneRequest{Title: "", Due: "2026-12-31"}, []int{400}, false},
	{access.MilestoneAccept, "POST",
		func(p string) string { return p + "/milestones/M-1/accept" },
		AcceptRequest{Ver: 999}, []int{409}, false},
	{access.ProjectCreate, "POST", func(string) string { return "/api/projects" },
		CreateRequest{Name: ""}, []int{400}, true},
	{access.OrgView, "GET", func(string) string { return "/api/orgs/" + uni }, nil,
		[]int{200}, false},
	{access.ViewExecutive, "GET", func(string) string { return "/api/views/executive" }, nil,
		[]int{200}, true},
	{access.ViewDepartment, "GET", func(string) string { return "/api/views/department" }, nil,
		[]int{200}, true},
}

// TestAuthorizationMatrix runs every probe for subjects of every
// organization role in the owning and in the partner organization, holding
// each project role in turn, and checks the answer against access.Can
// (whose own matrix test pins the rules).
func TestAuthorizationMatrix(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	// u-accountant is made the university's admin through the org_role column.
	row, err := st.db.Get(ctx, tables.User.Name, tables.Key{tables.TenantKey(uni),
		"u-accountant"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.Update(ctx, tables.User.Name, row.Key, row.Ver(),
		tables.Change{Set: tables.Cols{"org_role": "admin"}}); err != nil {
		t.Fatal(err)
	}
	d := st.demoProject("矩阵")
	path := projectPath(d)
	st.must(appsLead, "POST", path+"/milestones", MilestoneRequest{Title: "M",
		Due: "2026-12-31"}, http.StatusCreated, nil)

	subjects := []string{president, infraLead, dev2, accountant, extPM, acmeCEO, acmePM,
		acmeDev}
	roles := append(append([]access.ProjectRole{}, access.ProjectRoles...), access.NotMember)
	tried, allowed, skipped := 0, 0, 0
	for _, who := range subjects {
		c, err := st.svc.principal(ctx, strings.Split(who, ":")[0],
			strings.SplitN(who, ":", 2)[1])
		if err != nil {
			t.Fatalf("principal %s: %v", who, err)
		}
		for _, role := range roles {
			if role == access.Lead && c.Corp != uni {
				skipped++ // the domain never lets a partner's user lead
				continue
			}
			st.setRole(d.Project.ID, who, role)
			for _, pb := range probes {
				owner := uni
				if pb.ownOrg {
					owner = c.Corp
				}
				want := access.Can(c.Subject, pb.action,
					access.Resource{OwnerCorp: owner, ProjectRole: role})
				got, b := st.do(who, pb.method, pb.path(path), pb.body)
				tried++
				ok := containsInt(pb.ok, got)
				if ok {
					allowed++
				}
				if ok != want || !ok && got != http.StatusForbidden {
					t.Errorf("%s as %s (%q) %s %s = %d %s; want allowed=%v", who,
						c.OrgRole, role, pb.method, pb.path(path), got, b, want)
				}
			}
			tried++
			if got := st.lists(who, d.Project.ID); got != access.Can(c.Subject,
				access.ProjectView, access.Resource{OwnerCorp: uni, ProjectRole: role}) {
				t.Errorf("%s (%q): project listed = %v, want the ProjectView rule", who, role, got)
			}
		}
	}
	t.Logf("authorization matrix over HTTP: %d requests tried, %d allowed, %d refused, "+
		"%d impossible combinations skipped", tried, allowed, tried-allowed, skipped)
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// setRole writes uid's membership of project (owned by the university)
// directly, or removes it for NotMember.
func (st *stack) setRole(project, uid string, role access.ProjectRole) {
	st.t.Helper()
	ctx := context.Background()
	key := memberKey(uni, project, uid)
	if role == access.NotMember {
		if err := st.db.Delete(ctx, tables.Member.Name, key, 0); err != nil {
			st.t.Fatal(err)
		}
		return
	}
	corp, _, _ := strings.Cut(uid, ":")
	cols := memberCols(plan.Member{User: uid, Corp: corp, Name: "n", Role: plan.Role(role)})
	cols[tables.VerColumn] = int64(1)
	if err := st.db.Put(ctx, tables.Member.Name, key, cols); err != nil {
		st.t.Fatal(err)
	}
}

// lists reports whether uid's project list has project.
func (st *stack) lists(uid, project string) bool {
	st.t.Helper()
	var l ProjectList
	st.must(uid, "GET", "/api/projects", nil, http.StatusOK, &l)
	for _, p := range l.Items {
		if p.ID == project {
			return true
		}
	}
	return false
}
