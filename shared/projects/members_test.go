package projects

import (
	"context"
	"net/http"
	"testing"

	"github.com/xietong/xietong/shared/plan"
)

func TestMembers(t *testing.T) {
	st := newStack(t)
	d := st.demoProject("成员")
	path := projectPath(d)

	var m Member
	add := MemberInput{Corp: sup, UserID: "a-dev", Role: "supplier"}
	st.must(appsLead, "POST", path+"/members", add, http.StatusCreated, &m,
		"Idempotency-Key", "add-a-dev")
	if m.UID != acmeDev || m.Role != "supplier" || m.Ver != 1 || m.User == nil ||
		m.User.Name != "Bo Wu" {
		t.Fatalf("added %+v, want a-dev as supplier with its directory entry", m)
	}
	st.must(appsLead, "POST", path+"/members", add, http.StatusCreated, &m,
		"Idempotency-Key", "add-a-dev")
	if got, b := st.do(appsLead, "POST", path+"/members", add); got != 409 {
		t.Errorf("adding a member twice = %d %s, want 409", got, b)
	}
	checkNotices(t, st, sup, []string{"a-dev"})

	st.must(appsLead, "PATCH", path+"/members/"+acmeDev, RoleRequest{Ver: 1, Role: "member"},
		http.StatusOK, &m)
	if m.Role != "member" || m.Ver != 2 {
		t.Errorf("role change = %+v, want member at ver 2", m)
	}
	if got, b := st.do(appsLead, "PATCH", path+"/members/"+acmeDev,
		RoleRequest{Ver: 1, Role: "viewer"}); got != 409 || errorCode(b) != "version_conflict" {
		t.Errorf("stale role change = %d %s, want 409 version_conflict", got, b)
	}
	if got, b := st.do(appsLead, "PATCH", path+"/members/"+acmeDev,
		RoleRequest{Ver: 2, Role: "lead"}); got != 400 {
		t.Errorf("supplier-company lead = %d %s, want 400", got, b)
	}
	if got, b := st.do(appsLead, "PATCH", path+"/members/"+appsLead,
		RoleRequest{Ver: 1, Role: "member"}); got != 400 {
		t.Errorf("only lead stepping down = %d %s, want 400", got, b)
	}
	if got, b := st.do(acmeDev, "GET", path, nil); got != 200 {
		t.Errorf("new member reads the project = %d %s, want 200", got, b)
	}

	// A member with open tasks stays; without, they go.
	if err := st.svc.Store().SaveTask(context.Background(), uni, d.Project.ID, plan.Task{
		ID: "T-1", Title: "接口联调", Assignees: []string{acmeDev}, Status: plan.Doing,
		Priority: plan.Normal, Ver: 1}); err != nil {
		t.Fatal(err)
	}
	if got, b := st.do(appsLead, "DELETE", path+"/members/"+acmeDev+"?ver=2", nil); got != 400 {
		t.Errorf("removing a member with open tasks = %d %s, want 400", got, b)
	}
	st.must(appsLead, "DELETE", path+"/members/"+dev1+"?ver=1", nil, http.StatusNoContent, nil)
	if got, _ := st.do(dev1, "GET", path, nil); got != 403 {
		t.Errorf("removed member reads the project = %d, want 403", got)
	}
	var list struct{ Items []Member }
	st.must(acmeDev, "GET", path+"/members", nil, http.StatusOK, &list)
	if len(list.Items) != 5 {
		t.Errorf("members = %d, want 5 (lead, president, a-pm, ext contact, a-dev)",
			len(list.Items))
	}
	checkTrail(t, st, uni, "member.add", "member.role", "member.remove")

	var pr Project
	st.must(appsLead, "POST", path+"/partners", PartnerRequest{Ver: 1, Corp: "dingthird",
		Name: "Third"}, http.StatusOK, &pr)
	if len(pr.Partners) != 2 || pr.Ver != 2 {
		t.Errorf("partners = %+v ver %d, want two at ver 2", pr.Partners, pr.Ver)
	}
}

func TestMilestones(t *testing.T) {
	st := newStack(t)
	d := st.demoProject("里程碑")
	path := projectPath(d)
	var m Milestone
	req := MilestoneRequest{Title: "上线验收", Due: "2026-12-20"}
	st.must(appsLead, "POST", path+"/milestones", req, http.StatusCreated, &m,
		"Idempotency-Key", "ms-1")
	if m.ID != "M-1" || m.Ver != 1 || m.Due != "2026-12-20" {
		t.Fatalf("milestone = %+v, want M-1 ver 1", m)
	}
	st.must(appsLead, "POST", path+"/milestones", req, http.StatusCreated, &m,
		"Idempotency-Key", "ms-1")
	st.must(appsLead, "POST", path+"/milestones", MilestoneRequest{Title: "二期",
		Due: "2027-03-01"}, http.StatusCreated, &m)
	if m.ID != "M-2" {
		t.Errorf("second milestone = %s, want M-2 (the replay made none)", m.ID)
	}
	bad := []struct {
		name string
		as   string
		body any
		code int
	}{
		{"no due", appsLead, MilestoneRequest{Title: "x"}, 400},
		{"bad due", appsLead, MilestoneRequest{Title: "x", Due: "12/20"}, 400},
		{"no title", appsLead, MilestoneRequest{Due: "2026-12-20"}, 400},
		{"member", dev1, req, 403},
		{"supplier", acmePM, req, 403},
		{"executive not lead", president, req, 403},
	}
	for _, tt := range bad {
		if got, b := st.do(tt.as, "POST", path+"/milestones", tt.body); got != tt.code {
			t.Errorf("%s: create milestone = %d %s, want %d", tt.name, got, b, tt.code)
		}
	}

	mp := path + "/milestones/M-1"
	st.must(appsLead, "PATCH", mp, MilestoneEditRequest{Ver: 1, Due: ptr("2026-12-24")},
		http.StatusOK, &m)
	if m.Due != "2026-12-24" || m.Ver != 2 {
		t.Errorf("edited = %+v, want due 2026-12-24 ver 2", m)
	}
	if got, b := st.do(appsLead, "PATCH", mp, MilestoneEditRequest{Ver: 1,
		Title: ptr("y")}); got != 409 || errorCode(b) != "version_conflict" {
		t.Errorf("stale edit = %d %s, want 409", got, b)
	}
	if err := st.svc.Store().SaveTask(context.Background(), uni, d.Project.ID, plan.Task{
		ID: "T-1", Title: "压测", Milestone: "M-1", Status: plan.Todo, Priority: plan.High,
		Ver: 1}); err != nil {
		t.Fatal(err)
	}
	if got, b := st.do(appsLead, "POST", mp+"/accept", AcceptRequest{Ver: 2}); got != 422 ||
		errorCode(b) != "incomplete" {
		t.Errorf("accept with an open task = %d %s, want 422 incomplete", got, b)
	}
	st.must(appsLead, "POST", mp+"/accept",
		AcceptRequest{Ver: 2, Override: "压测延后至二期"},
		http.StatusOK, &m)
	if m.AcceptedBy != appsLead || m.Ver != 3 || m.AcceptedAt == nil {
		t.Errorf("accepted = %+v, want accepted by the lead at ver 3", m)
	}
	if got, b := st.do(appsLead, "PATCH", mp, MilestoneEditRequest{Ver: 3,
		Title: ptr("z")}); got != 400 {
		t.Errorf("editing an accepted milestone = %d %s, want 400", got, b)
	}
	var list struct{ Items []Milestone }
	st.must(acmePM, "GET", path+"/milestones", nil, http.StatusOK, &list)
	if len(list.Items) != 2 || list.Items[0].ID != "M-1" || list.Items[1].ID != "M-2" {
		t.Errorf("milestones = %+v, want M-1, M-2", list.Items)
	}
	checkTrail(t, st, uni, "milestone.create", "milestone.update", "milestone.accept")
	checkNotices(t, st, sup, []string{"a-pm"})
	checkNotices(t, st, uni, []string{"u-dev-1", "u-president"})
}
