package tasksapi

import (
	"encoding/json"
	"net/http"
	"testing"
)

// probe is one request of the cross-tenant matrix.
type probe struct {
	kind, method, path string // kind: read, write, list, view
	body               any
}

// probes are the requests tried on a project (prefix) and its task T-1.
func probes(prefix string) []probe {
	t1 := prefix + "/tasks/T-1"
	return []probe{
		{"list", "GET", prefix + "/tasks", nil},
		{"list", "GET", prefix + "/tasks?view=tree", nil},
		{"read", "GET", t1, nil},
		{"read", "GET", t1 + "/comments", nil},
		{"read", "GET", t1 + "/worklogs", nil},
		{"read", "GET", prefix + "/baselines", nil},
		{"read", "GET", prefix + "/baselines/B-1/variance", nil},
		{"view", "GET", prefix + "/lead", nil},
		{"write", "POST", prefix + "/tasks", CreateRequest{Title: "闯入"}},
		{"write", "PATCH", t1, map[string]any{"ver": 1, "title": "改"}},
		{"write", "POST", t1 + "/assign", AssignRequest{Ver: 1, Assignees: []string{}}},
		{"write", "POST", t1 + "/move", map[string]any{"ver": 1, "parent": ""}},
		{"write", "POST", t1 + "/status", StatusRequest{Ver: 1, Status: "cancelled"}},
		{"write", "POST", t1 + "/progress", map[string]any{"ver": 1, "progress": 5}},
		{"write", "POST", t1 + "/dependencies", DependencyRequest{Ver: 1, After: "T-2"}},
		{"write", "DELETE", t1 + "/dependencies/T-2?ver=1", nil},
		{"write", "POST", prefix + "/bulk", map[string]any{"items": []map[string]any{
			{"task": "T-1", "ver": 1, "status": "cancelled"}}}},
		{"write", "POST", t1 + "/worklogs", WorkLogRequest{Minutes: 5, Date: "2026-12-03"}},
		{"write", "POST", t1 + "/comments", CommentRequest{Body: "看看"}},
		{"write", "POST", prefix + "/baselines", BaselineRequest{Name: "偷偷"}},
	}
}

// TestCrossTenantRefused tries every route on both organizations' projects
// as users who must not get through: non-members of either organization,
// executives of the other organization, members of the other project only,
// owner executives and viewers writing, and paths that name the project
// under the wrong organization. Every attempt is refused and nothing changes.
func TestCrossTenantRefused(t *testing.T) {
	st := newStack(t)
	p1, p2 := st.uniProject(), st.supProject()
	for _, p := range []string{p1, p2} {
		lead := director
		if p == p2 {
			lead = acmePM
		}
		st.createTask(lead, p, CreateRequest{Title: "一", Assignees: []string{dev1}})
		st.createTask(lead, p, CreateRequest{Title: "二", After: []string{"T-1"}})
		st.must(201, lead, "POST", p+"/baselines", BaselineRequest{Name: "基线"})
	}
	wrongCorp := "/api/tasks/" + sup + "/P1"
	cases := []struct {
		who, prefix string
		kinds       []string // the kinds that must be refused
	}{
		{clerk, p1, []string{"read", "list", "view", "write"}},   // same org, not a member
		{clerk, p2, []string{"read", "list", "view", "write"}},   // other org
		{acmeCEO, p1, []string{"read", "list", "view", "write"}}, // other org's executive
		{president, p2, []string{"read", "list", "view", "write"}},
		{acmeDev, p2, []string{"read", "list", "view", "write"}}, // member of P1 only
		{president, p1, []string{"write"}},                       // owner executive: reads only
		{acmeCEO, p2, []string{"write"}},
		{dev2, p2, []string{"view", "write"}}, // viewer
		{acmeDev, p1, []string{"view"}},       // supplier: no lead view
		{director, wrongCorp, []string{"read", "list", "view", "write"}},
		{acmePM, wrongCorp, []string{"read", "list", "view", "write"}},
	}
	before := st.snapshotTasks(t, p1, p2)
	tried, refusals := 0, 0
	for _, c := range cases {
		for _, pr := range probes(c.prefix) {
			if !containsKind(c.kinds, pr.kind) {
				continue
			}
			tried++
			a := st.do(c.who, pr.method, pr.path, pr.body, "")
			if !refused(a) {
				t.Errorf("%s %s %s as %s = %d %s, want refused", pr.kind, pr.method, pr.path,
					c.who, a.status, a.body)
				continue
			}
			refusals++
		}
	}
	// Cross-project references: a P1 task named from P2.
	for _, pr := range []probe{
		{"write", "POST", p2 + "/tasks", CreateRequest{Title: "x", Parent: "T-9"}},
		{"write", "POST", p2 + "/tasks/T-1/dependencies", DependencyRequest{Ver: 1,
			After: "T-7"}},
		{"read", "GET", p2 + "/tasks/T-3", nil},
	} {
		tried++
		if a := st.do(dev1, pr.method, pr.path, pr.body, ""); a.status != 400 &&
			a.status != 404 {
			t.Errorf("%s %s as %s = %d %s, want 400 or 404", pr.method, pr.path, dev1,
				a.status, a.body)
		} else {
			refusals++
		}
	}
	if after := st.snapshotTasks(t, p1, p2); after != before {
		t.Errorf("state moved:\n before %s\n after  %s", before, after)
	}
	t.Logf("cross-tenant and cross-project attempts: %d tried, %d refused", tried, refusals)
}

// refused reports whether an answer is a refusal: a 4xx other than a
// version conflict, or a bulk answer whose every item is one.
func refused(a answer) bool {
	if a.status == http.StatusOK {
		var res BulkResponse
		if json.Unmarshal(a.body, &res) != nil || len(res.Results) == 0 {
			return false
		}
		for _, r := range res.Results {
			if r.Status < 400 || r.Status >= 500 || r.Status == http.StatusConflict {
				return false
			}
		}
		return true
	}
	return a.status >= 400 && a.status < 500 && a.status != http.StatusConflict
}

func containsKind(kinds []string, k string) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// snapshotTasks renders the tasks, logs and comments of the projects, as
// their leads see them.
func (st *stack) snapshotTasks(t *testing.T, prefixes ...string) string {
	t.Helper()
	out := ""
	for i, p := range prefixes {
		lead := []string{director, acmePM}[i]
		out += string(st.must(200, lead, "GET", p+"/tasks", nil).body)
		out += string(st.must(200, lead, "GET", p+"/tasks/T-1/worklogs", nil).body)
		out += string(st.must(200, lead, "GET", p+"/tasks/T-1/comments", nil).body)
		out += string(st.must(200, lead, "GET", p+"/baselines", nil).body)
	}
	return out
}
