package projects

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/tables"
)

func TestProjectLifecycle(t *testing.T) {
	st := newStack(t)
	req := CreateRequest{Name: "校园一卡通升级", Department: "5", Year: 2026,
		Budget: 800_000_00, Partners: []OrgRef{{Corp: sup, Name: "Acme"}},
		Members: []MemberInput{{Corp: sup, UserID: "a-pm", Role: "supplier"},
			{Corp: uni, UserID: "u-dev-1", Role: "member"}}}
	var d ProjectDetail
	st.must(appsLead, "POST", "/api/projects", req, http.StatusCreated, &d,
		"Idempotency-Key", "create-1")
	p := d.Project
	if p.Corp != uni || p.Status != "planning" || p.Risk != "low" || p.Ver != 1 ||
		p.Owner != appsLead || p.Role != "lead" || len(d.Members) != 3 {
		t.Fatalf("created %+v with %d members, want a planning project led by the caller",
			p, len(d.Members))
	}
	var again ProjectDetail
	st.must(appsLead, "POST", "/api/projects", req, http.StatusCreated, &again,
		"Idempotency-Key", "create-1")
	if again.Project.ID != p.ID {
		t.Errorf("replayed create = %s, want the first answer %s", again.Project.ID, p.ID)
	}
	req.Name = "another"
	if got, b := st.do(appsLead, "POST", "/api/projects", req, "Idempotency-Key",
		"create-1"); got != 422 {
		t.Errorf("key reused for another body = %d %s, want 422", got, b)
	}
	path := projectPath(d)

	var got ProjectDetail
	st.must(acmePM, "GET", path, nil, http.StatusOK, &got)
	if got.Project.Role != "supplier" || got.Project.Name != p.Name {
		t.Errorf("supplier's view = %+v, want role supplier", got.Project)
	}

	var up Project
	name := "校园一卡通二期"
	st.must(appsLead, "PATCH", path, UpdateRequest{Ver: 1, Name: &name,
		Risk: ptr("high")}, http.StatusOK, &up)
	if up.Name != name || up.Risk != "high" || up.Ver != 2 {
		t.Errorf("updated = %+v, want new name, high risk, ver 2", up)
	}
	var stale struct {
		Error struct {
			Code    string
			Details Project
		}
	}
	st.must(appsLead, "PATCH", path, UpdateRequest{Ver: 1, Name: ptr("x")},
		http.StatusConflict, &stale)
	if stale.Error.Code != "version_conflict" || stale.Error.Details.Ver != 2 ||
		stale.Error.Details.Name != name {
		t.Errorf("stale update = %+v, want version_conflict with the current project", stale)
	}
	st.must(appsLead, "POST", path+"/archive", VersionRequest{Ver: 2}, http.StatusOK, &up)
	if up.Status != "archived" || up.Ver != 3 {
		t.Errorf("archived = %+v, want status archived, ver 3", up)
	}

	var list ProjectList
	st.must(dev1, "GET", "/api/projects?status=archived", nil, http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != p.ID || list.Items[0].Role != "member" {
		t.Errorf("dev-1's archived projects = %+v, want the one project as member", list.Items)
	}
	st.must(dev1, "GET", "/api/projects?status=active", nil, http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Errorf("dev-1's active projects = %+v, want none", list.Items)
	}
	checkTrail(t, st, uni, "project.create", "member.add", "project.update")
	checkNotices(t, st, sup, []string{"a-pm"})
	checkNotices(t, st, uni, []string{"u-dev-1"})
}

func ptr[T any](v T) *T { return &v }

// checkTrail fails unless the tenant's activity trail has each verb.
func checkTrail(t *testing.T, st *stack, corp string, verbs ...string) {
	t.Helper()
	rows, _, err := st.db.Page(context.Background(), tables.Activity.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(corp)}})
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, r := range rows {
		have = append(have, r.String("verb"))
	}
	for _, v := range verbs {
		if !slices.Contains(have, v) {
			t.Errorf("activity of %s = %v, want %s among them", corp, have, v)
		}
	}
}

// checkNotices fails unless each of users has a pending notice in corp's
// outbox.
func checkNotices(t *testing.T, st *stack, corp string, users []string) {
	t.Helper()
	rows, _, err := st.db.Page(context.Background(), tables.Outbox.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(corp)}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rows {
		var us []string
		_ = json.Unmarshal([]byte(r.String("users")), &us)
		for _, u := range us {
			got[u] = r.String("state") == outbox.StatePending
		}
	}
	for _, u := range users {
		if !got[u] {
			t.Errorf("outbox of %s: no pending notice to %s (have %v)", corp, u, got)
		}
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	st := newStack(t)
	ok := func() CreateRequest {
		return CreateRequest{Name: "ok", Partners: []OrgRef{{Corp: sup}}}
	}
	tests := []struct {
		name   string
		as     string
		edit   func(*CreateRequest)
		status int
		field  string
	}{
		{"no name", appsLead, func(r *CreateRequest) { r.Name = "" }, 400, "name"},
		{"long name", appsLead, func(r *CreateRequest) { r.Name = strings.Repeat("名", 201) },
			400, "name"},
		{"bad date", appsLead, func(r *CreateRequest) { r.Start = "2026-13-01" }, 400, "start"},
		{"end before start", appsLead, func(r *CreateRequest) {
			r.Start, r.End = "2026-05-01", "2026-04-01"
		}, 400, "end"},
		{"bad risk", appsLead, func(r *CreateRequest) { r.Risk = "extreme" }, 400, "risk"},
		{"negative budget", appsLead, func(r *CreateRequest) { r.Budget = -1 }, 400, "budget"},
		{"unknown department", appsLead, func(r *CreateRequest) { r.Department = "99" }, 400,
			"department"},
		{"owner of another org", appsLead, func(r *CreateRequest) { r.Owner = acmePM }, 400,
			"owner"},
		{"member not in directory", appsLead, func(r *CreateRequest) {
			r.Members = []MemberInput{{Corp: uni, UserID: "ghost", Role: "member"}}
		}, 400, "members[0].userId"},
		{"member of a non-partner", appsLead, func(r *CreateRequest) {
			r.Partners = nil
			r.Members = []MemberInput{{Corp: sup, UserID: "a-dev", Role: "member"}}
		}, 400, "members[0].corp"},
		{"supplier as lead", appsLead, func(r *CreateRequest) {
			r.Members = []MemberInput{{Corp: sup, UserID: "a-dev", Role: "lead"}}
		}, 400, "members[0].role"},
		{"bad role", appsLead, func(r *CreateRequest) {
			r.Members = []MemberInput{{Corp: uni, UserID: "u-dev-1", Role: "owner"}}
		}, 400, "members[0].role"},
		{"external contact creates", extPM, func(*CreateRequest) {}, 403, ""},
	}
	for _, tt := range tests {
		r := ok()
		tt.edit(&r)
		got, b := st.do(tt.as, "POST", "/api/projects", r)
		var e struct {
			Error struct{ Details []FieldError }
		}
		_ = json.Unmarshal(b, &e)
		field := ""
		if len(e.Error.Details) > 0 {
			field = e.Error.Details[0].Field
		}
		if got != tt.status || field != tt.field {
			t.Errorf("%s: create = %d %s, want %d naming %q", tt.name, got, b, tt.status,
				tt.field)
		}
	}
	for _, table := range []string{tables.Project.Name, tables.Member.Name} {
		rows, _, err := st.db.Page(context.Background(), table, tables.Range{})
		if err != nil || len(rows) != 0 {
			t.Errorf("%s rows after refused creates = %d, %v; want none", table, len(rows), err)
		}
	}
}

func TestConcurrentUpdates(t *testing.T) {
	st := newStack(t)
	d := st.demoProject("并发")
	path := projectPath(d)
	st.as(appsLead)
	const n = 8
	var wg sync.WaitGroup
	status := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("name-%d", i)
			status[i], _ = st.do(appsLead, "PATCH", path, UpdateRequest{Ver: 1, Name: &name})
		}()
	}
	wg.Wait()
	won, lost := -1, 0
	for i, s := range status {
		switch s {
		case http.StatusOK:
			if won >= 0 {
				t.Errorf("updates %d and %d both won", won, i)
			}
			won = i
		case http.StatusConflict:
			lost++
		default:
			t.Errorf("update %d = %d, want 200 or 409", i, s)
		}
	}
	if won < 0 || lost != n-1 {
		t.Fatalf("%d racing updates: winner %d, %d conflicts; want one winner", n, won, lost)
	}
	var got ProjectDetail
	st.must(appsLead, "GET", path, nil, http.StatusOK, &got)
	if want := fmt.Sprintf("name-%d", won); got.Project.Name != want || got.Project.Ver != 2 {
		t.Errorf("after the race: %q ver %d, want the winner's %q at ver 2",
			got.Project.Name, got.Project.Ver, want)
	}
}

func TestIdempotentCreateRace(t *testing.T) {
	st := newStack(t)
	st.as(appsLead)
	req := CreateRequest{Name: "幂等", Members: []MemberInput{
		{Corp: uni, UserID: "u-dev-1", Role: "member"}}}
	const n = 6
	var wg sync.WaitGroup
	ids := make([]string, n)
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d ProjectDetail
			var b []byte
			codes[i], b = st.do(appsLead, "POST", "/api/projects", req, "Idempotency-Key", "k1")
			if json.Unmarshal(b, &d) == nil {
				ids[i] = d.Project.ID
			}
		}()
	}
	wg.Wait()
	created := map[string]bool{}
	for i, c := range codes {
		switch c {
		case http.StatusCreated:
			created[ids[i]] = true
		case http.StatusConflict: // the first is still running
		default:
			t.Errorf("request %d = %d, want 201 or 409", i, c)
		}
	}
	rows, _, err := st.db.Page(context.Background(), tables.Project.Name, tables.Range{})
	if err != nil || len(rows) != 1 || len(created) != 1 {
		t.Errorf("%d concurrent creates with one key: %d project rows, %d ids answered; "+
			"want one project", n, len(rows), len(created))
	}
}
