package projects

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestRefusals(t *testing.T) {
	st := newStack(t)
	d := st.demoProject("拒绝")
	path := projectPath(d)
	other := "/api/projects/" + sup + "/" + d.Project.ID
	missing := "/api/projects/" + uni + "/p0000000000000000000"
	long := strings.Repeat("x", 70<<10)
	tests := []struct {
		name, as, method, path string
		body                   any
		status                 int
		field                  string
	}{
		{"bad start", appsLead, "PATCH", path, map[string]any{"ver": 1, "start": "2026-02-30"},
			400, "start"},
		{"bad risk", appsLead, "PATCH", path, map[string]any{"ver": 1, "risk": "x"}, 400, "risk"},
		{"no ver", appsLead, "PATCH", path, map[string]any{"name": "n"}, 400, "ver"},
		{"unknown field", appsLead, "PATCH", path, map[string]any{"ver": 1, "colour": "red"},
			400, "colour"},
		{"wrong type", appsLead, "PATCH", path, map[string]any{"ver": 1, "year": "2026"}, 400,
			"year"},
		{"oversized name", appsLead, "PATCH", path, map[string]any{"ver": 1,
			"name": strings.Repeat("名", 300)}, 400, "name"},
		{"owner of the partner", appsLead, "PATCH", path, map[string]any{"ver": 1,
			"owner": acmePM}, 400, "owner"},
		{"archive by update", appsLead, "PATCH", path, map[string]any{"ver": 1,
			"status": "archived"}, 400, "status"},
		{"body too large", appsLead, "PATCH", path, map[string]any{"ver": 1, "name": long},
			413, ""},
		{"member of a non-partner", appsLead, "POST", path + "/members",
			MemberInput{Corp: "dingthird", UserID: "x", Role: "member"}, 400, "userId"},
		{"bad member uid", appsLead, "PATCH", path + "/members/nobody",
			RoleRequest{Ver: 1, Role: "member"}, 400, "uid"},
		{"unknown member", appsLead, "PATCH", path + "/members/" + dev2,
			RoleRequest{Ver: 1, Role: "member"}, 404, ""},
		{"remove without ver", appsLead, "DELETE", path + "/members/" + dev1, nil, 400, "ver"},
		{"bad milestone id", appsLead, "PATCH", path + "/milestones/x",
			MilestoneEditRequest{Ver: 1}, 400, "mid"},
		{"unknown milestone", appsLead, "PATCH", path + "/milestones/M-9",
			MilestoneEditRequest{Ver: 1}, 404, ""},
		{"project under another corp", appsLead, "GET", other, nil, 403, ""},
		{"missing project, executive", president, "GET", missing, nil, 404, ""},
		{"missing project, outsider", dev2, "GET", missing, nil, 403, ""},
		{"another org's record", appsLead, "GET", "/api/orgs/" + sup, nil, 403, ""},
		{"bad corp", appsLead, "GET", "/api/projects/bad%20corp/x", nil, 400, "corp"},
		{"bad limit", appsLead, "GET", "/api/projects?limit=0", nil, 400, "limit"},
		{"bad cursor", appsLead, "GET", "/api/projects?cursor=@@", nil, 400, "cursor"},
		{"no route", appsLead, "GET", "/api/projects/a/b/c/d", nil, 404, ""},
	}
	for _, tt := range tests {
		got, b := st.do(tt.as, tt.method, tt.path, tt.body)
		var e struct {
			Error struct {
				Code    string
				Details []FieldError
			}
		}
		_ = json.Unmarshal(b, &e)
		field := ""
		if len(e.Error.Details) > 0 {
			field = e.Error.Details[0].Field
		}
		if got != tt.status || field != tt.field || e.Error.Code == "" {
			t.Errorf("%s: %s %s = %d %.200s, want %d naming %q", tt.name, tt.method, tt.path,
				got, b, tt.status, tt.field)
		}
	}
	var after ProjectDetail
	st.must(appsLead, "GET", path, nil, http.StatusOK, &after)
	if after.Project.Ver != 1 || after.Project.Name != "拒绝" || len(after.Members) != 5 {
		t.Errorf("after refusals: ver %d %q with %d members, want the project unchanged",
			after.Project.Ver, after.Project.Name, len(after.Members))
	}
	t.Logf("%d refusals checked", len(tests))
}

func TestListPages(t *testing.T) {
	st := newStack(t)
	for _, n := range []string{"一", "二", "三"} {
		st.demoProject(n)
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		var l ProjectList
		st.must(dev1, "GET", "/api/projects?limit=2&cursor="+cursor, nil, http.StatusOK, &l)
		pages++
		for _, p := range l.Items {
			if seen[p.ID] {
				t.Errorf("project %s listed twice", p.ID)
			}
			seen[p.ID] = true
		}
		if l.Next == "" || pages > 3 {
			break
		}
		cursor = l.Next
	}
	if len(seen) != 3 || pages != 2 {
		t.Errorf("paged list: %d projects in %d pages, want 3 in 2", len(seen), pages)
	}
	var l ProjectList
	st.must(president, "GET", "/api/projects?department=5&year=2026", nil, http.StatusOK, &l)
	if len(l.Items) != 3 || l.Items[0].Role != "viewer" {
		t.Errorf("president's list = %d items (%+v), want 3 as viewer", len(l.Items), l.Items)
	}
	st.must(acmeCEO, "GET", "/api/projects", nil, http.StatusOK, &l)
	if len(l.Items) != 0 {
		t.Errorf("supplier executive lists %d university projects, want 0", len(l.Items))
	}
}
