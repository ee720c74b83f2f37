package tasksapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/plan"
)

func TestTaskLifecycle(t *testing.T) {
	st := newStack(t)
	p1 := st.uniProject()

	a := st.createTask(director, p1, CreateRequest{Title: "部署网关", Milestone: "M-1",
		Assignees: []string{dev1}, Priority: "high", Estimate: 480, Start: "2026-12-04",
		Due: "2026-12-08"})
	if a.ID != "T-1" || a.Ver != 1 || a.Status != "todo" || a.Milestone != "M-1" {
		t.Fatalf("created %+v", a)
	}
	b := st.createTask(director, p1, CreateRequest{Title: "联调", After: []string{"T-1"},
		Assignees: []string{acmeDev}, Due: "2026-12-10"})

	// Update, assign, progress and status, each under the version read.
	var got Task
	st.must(200, director, "PATCH", p1+"/tasks/T-1", map[string]any{"ver": 1,
		"title": "部署 API 网关"}).decode(t, &got)
	if got.Title != "部署 API 网关" || got.Ver != 2 {
		t.Fatalf("after PATCH: %+v", got)
	}
	st.must(200, director, "POST", p1+"/tasks/T-1/assign", AssignRequest{Ver: 2,
		Assignees: []string{dev1, dev2}}).decode(t, &got)
	st.must(200, dev1, "POST", p1+"/tasks/T-1/status", StatusRequest{Ver: 3,
		Status: "doing"}).decode(t, &got)
	st.must(200, dev1, "POST", p1+"/tasks/T-1/progress", map[string]any{"ver": 4,
		"progress": 60}).decode(t, &got)
	if got.Status != "doing" || got.Progress != 60 || got.Ver != 5 || got.StartedAt == nil {
		t.Fatalf("after status and progress: %+v", got)
	}
	if !slices.Equal(got.Moves, []string{"todo", "review", "blocked"}) {
		t.Errorf("moves for dev1 = %v, want [todo review blocked]", got.Moves)
	}

	// The supplier may not start T-2 while its predecessor is open.
	a2 := st.do(acmeDev, "POST", p1+"/tasks/T-2/status", StatusRequest{Ver: b.Ver,
		Status: "doing"}, "")
	if a2.status != 422 || !strings.Contains(string(a2.body), "predecessor") {
		t.Errorf("supplier start before predecessor = %d %s, want 422", a2.status, a2.body)
	}

	// Dependencies: remove and add back.
	st.must(200, director, "DELETE", p1+"/tasks/T-2/dependencies/T-1?ver=1", nil).decode(t, &got)
	if len(got.After) != 0 || got.Ver != 2 {
		t.Fatalf("after removing the dependency: %+v", got)
	}
	st.must(200, director, "POST", p1+"/tasks/T-2/dependencies",
		DependencyRequest{Ver: 2, After: "T-1"}).decode(t, &got)
	if !slices.Equal(got.After, []string{"T-1"}) {
		t.Fatalf("after adding the dependency: %+v", got)
	}

	// Move T-2 under a phase task, then back to the top level with a
	// milestone (one write for both changes).
	st.createTask(director, p1, CreateRequest{Title: "阶段二"})
	st.must(200, director, "POST", p1+"/tasks/T-2/move", map[string]any{"ver": 3,
		"parent": "T-3"}).decode(t, &got)
	if got.Parent != "T-3" || got.Ver != 4 {
		t.Fatalf("after move: %+v", got)
	}
	st.must(200, director, "POST", p1+"/tasks/T-2/move", map[string]any{"ver": 4,
		"parent": "", "milestone": "M-1"}).decode(t, &got)
	if got.Parent != "" || got.Milestone != "M-1" || got.Ver != 5 {
		t.Fatalf("after move back: %+v", got)
	}

	// Comments and work logs.
	st.must(201, acmeDev, "POST", p1+"/tasks/T-2/comments", CommentRequest{Body: "环境已就绪"})
	var cs struct{ Items []Comment }
	st.must(200, dev1, "GET", p1+"/tasks/T-2/comments", nil).decode(t, &cs)
	if len(cs.Items) != 1 || cs.Items[0].Author != acmeDev || cs.Items[0].ID != "C-1" {
		t.Fatalf("comments = %+v", cs.Items)
	}
	var wl WorkLog
	st.must(201, dev1, "POST", p1+"/tasks/T-1/worklogs", WorkLogRequest{Minutes: 90,
		Date: "2026-12-03", Note: "配置路由"}).decode(t, &wl)
	if wl.User != dev1 || wl.OnBehalf || wl.ID != "W-1" {
		t.Fatalf("work log = %+v", wl)
	}
	var logs struct {
		Items   []WorkLog
		Minutes int64
	}
	st.must(200, director, "GET", p1+"/tasks/T-1/worklogs", nil).decode(t, &logs)
	if logs.Minutes != 90 || len(logs.Items) != 1 {
		t.Fatalf("task logs = %+v", logs)
	}

	// List and get.
	var list TaskList
	st.must(200, acmePM, "GET", p1+"/tasks?limit=1", nil).decode(t, &list)
	if len(list.Items) != 1 || list.Next == "" {
		t.Fatalf("page 1 = %+v", list)
	}
	st.must(200, acmePM, "GET", p1+"/tasks?limit=1&cursor="+list.Next, nil).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != "T-2" || list.Next == "" {
		t.Fatalf("page 2 = %+v", list)
	}
	st.must(200, acmePM, "GET", p1+"/tasks?limit=1&cursor="+list.Next, nil).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != "T-3" || list.Next != "" {
		t.Fatalf("page 3 = %+v", list)
	}
	st.must(200, acmePM, "GET", p1+"/tasks/T-1", nil).decode(t, &got)
	if got.Title != "部署 API 网关" || got.Ver != 5 {
		t.Fatalf("GET T-1 = %+v", got)
	}

	// Baseline, then a slip, then the variance.
	var bl Baseline
	st.must(201, director, "POST", p1+"/baselines", BaselineRequest{Name: "基线 1"}).decode(t,
		&bl)
	st.must(200, director, "PATCH", p1+"/tasks/T-1", map[string]any{"ver": 5,
		"due": "2026-12-11"})
	var vr VarianceResponse
	st.must(200, dev1, "GET", p1+"/baselines/"+bl.ID+"/variance", nil).decode(t, &vr)
	i := slices.IndexFunc(vr.Items, func(v Variance) bool { return v.ID == "T-1" })
	if i < 0 || vr.Items[i].FinishDays != 3 || vr.Items[i].ActualEffort != 90 {
		t.Fatalf("variance = %+v", vr.Items)
	}

	st.checkTrail(t, uni, map[plan.Verb]int{plan.TaskCreated: 3, plan.TaskUpdated: 3,
		plan.TaskAssigned: 3, plan.TaskStatusChanged: 1, plan.TaskProgressSet: 1,
		plan.DependencyAdded: 1, plan.DependencyRemoved: 1, plan.TaskMoved: 2,
		plan.CommentAdded: 1, plan.WorkLogged: 1, plan.BaselineSaved: 1})

	// Notices: T-1 assigned to dev1 (create) and dev2 (assign); T-2 to the
	// supplier's own user, through the supplier's app; dev1's status change
	// to the other assignee and to the creator.
	got2 := noticeTitles(st, uni)
	for _, want := range []string{"你有新任务：部署网关 → u-dev-1",
		"你有新任务：部署 API 网关 → u-dev-2",
		"任务状态变更：部署 API 网关 → u-dev-2,u-it-director"} {
		if !slices.Contains(got2, want) {
			t.Errorf("university notices %q lack %q", got2, want)
		}
	}
	if got := noticeTitles(st, sup); !slices.Contains(got, "你有新任务：联调 → a-dev") {
		t.Errorf("supplier notices %q lack the assignment of T-2 to a-dev", got)
	}
}

// noticeTitles lists "title → users" of corp's outbox.
func noticeTitles(st *stack, corp string) []string {
	var out []string
	for _, r := range st.outbox(corp) {
		users := strings.Trim(strings.ReplaceAll(r.String("users"), `"`, ""), "[]")
		out = append(out, r.String("title")+" → "+users)
	}
	return out
}

// checkTrail compares the counts of task verbs in corp's trail.
func (st *stack) checkTrail(t *testing.T, corp string, want map[plan.Verb]int) {
	t.Helper()
	trail, err := st.store.Trail(context.Background(), corp, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[plan.Verb]int{}
	for _, e := range trail {
		if _, ok := want[e.Verb]; ok {
			got[e.Verb]++
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("trail verbs = %v, want %v", got, want)
	}
}

func TestDecompositionRollup(t *testing.T) {
	st := newStack(t)
	p1 := st.uniProject()
	root := st.createTask(director, p1, CreateRequest{Title: "系统上线", Milestone: "M-1"})
	mid := st.createTask(director, p1, CreateRequest{Title: "数据迁移", Parent: root.ID})
	leafA := st.createTask(director, p1, CreateRequest{Title: "导出", Parent: mid.ID,
		Estimate: 60, Assignees: []string{dev1}})
	leafB := st.createTask(director, p1, CreateRequest{Title: "导入", Parent: mid.ID,
		Estimate: 180, Assignees: []string{dev1}})
	other := st.createTask(director, p1, CreateRequest{Title: "培训", Parent: root.ID,
		Estimate: 240})

	st.must(200, dev1, "POST", p1+"/tasks/"+leafA.ID+"/status",
		StatusRequest{Ver: 1, Status: "doing"})
	st.must(200, director, "POST", p1+"/tasks/"+leafA.ID+"/status",
		StatusRequest{Ver: 2, Status: "done"})
	st.must(200, dev1, "POST", p1+"/tasks/"+leafB.ID+"/progress",
		map[string]any{"ver": 1, "progress": 50})
	// A summary task's progress is rolled up, not reported.
	a := st.do(director, "POST", p1+"/tasks/"+mid.ID+"/progress",
		map[string]any{"ver": 1, "progress": 10}, "")
	if a.status != 400 || !strings.Contains(string(a.body), `"field":"progress"`) {
		t.Errorf("progress on a summary task = %d %s, want 400 naming progress", a.status,
			a.body)
	}

	var list TaskList
	st.must(200, dev2, "GET", p1+"/tasks?view=tree", nil).decode(t, &list)
	if len(list.Tree) != 1 || len(list.Tree[0].Subtasks) != 2 ||
		len(list.Tree[0].Subtasks[0].Subtasks) != 2 {
		t.Fatalf("tree shape = %+v", list.Tree)
	}
	// Leaves: 1 (done, 60 min) and 0.5 (180 min): the migration is
	// (60 + 90) / 240 = 0.625; with training (0, 240 min) the root is
	// (150 + 0) / 480 = 0.3125, and so is the project.
	want := map[string]float64{leafA.ID: 1, leafB.ID: 0.5, mid.ID: 0.625, other.ID: 0,
		root.ID: 0.3125}
	var walk func([]TreeNode, int)
	depth := 0
	walk = func(ns []TreeNode, d int) {
		if len(ns) > 0 {
			depth = max(depth, d)
		}
		for _, n := range ns {
			if w, ok := want[n.ID]; ok && n.Rollup != w {
				t.Errorf("rollup of %s (%s) = %v, want %v", n.ID, n.Title, n.Rollup, w)
			}
			walk(n.Subtasks, d+1)
		}
	}
	walk(list.Tree, 1)
	if depth != 3 || list.Progress != 0.3125 {
		t.Errorf("depth %d, project progress %v; want 3 and 0.3125", depth, list.Progress)
	}
	var lead LeadView
	st.must(200, director, "GET", p1+"/lead", nil).decode(t, &lead)
	if len(lead.Milestones) != 1 || lead.Milestones[0].Progress != 0.3125 {
		t.Errorf("milestone progress = %+v, want 0.3125", lead.Milestones)
	}
}

func TestCycleRefused(t *testing.T) {
	st := newStack(t)
	p1 := st.uniProject()
	st.createTask(director, p1, CreateRequest{Title: "A"})
	st.createTask(director, p1, CreateRequest{Title: "B", After: []string{"T-1"}})
	st.createTask(director, p1, CreateRequest{Title: "C", After: []string{"T-2"}})
	st.createTask(director, p1, CreateRequest{Title: "A.1", Parent: "T-1"})

	tests := []struct {
		name, path string
		body       any
		cycle      []string
	}{
		{"dependency loop", "/tasks/T-1/dependencies", DependencyRequest{Ver: 1, After: "T-3"},
			[]string{"T-1", "T-2", "T-3"}},
		{"parent under own child", "/tasks/T-1/move", map[string]any{"ver": 1, "parent": "T-4"},
			[]string{"T-1", "T-4"}},
	}
	for _, tt := range tests {
		a := st.do(director, "POST", p1+tt.path, tt.body, "")
		var e struct {
			Error struct {
				Code    string
				Details CycleDetails
			}
		}
		a.decode(t, &e)
		if a.status != 422 || e.Error.Code != "cycle" {
			t.Errorf("%s: %d %s, want 422 cycle", tt.name, a.status, a.body)
			continue
		}
		if c := e.Error.Details.Cycle; !closedLoopThrough(c, tt.cycle) {
			t.Errorf("%s: cycle %v, want a closed loop through %v", tt.name, c, tt.cycle)
		}
	}
	var got Task
	st.must(200, director, "GET", p1+"/tasks/T-1", nil).decode(t, &got)
	if got.Ver != 1 || len(got.After) != 0 || got.Parent != "" {
		t.Errorf("T-1 after refusals = %+v, want unchanged", got)
	}
}

// closedLoopThrough reports whether cycle starts and ends with ids[0] and
// passes through every id of ids. (A loop through a summary task may pass
// it twice: at its start and at its finish.)
func closedLoopThrough(cycle, ids []string) bool {
	if len(cycle) < 2 || cycle[0] != ids[0] || cycle[len(cycle)-1] != ids[0] {
		return false
	}
	for _, id := range ids {
		if !slices.Contains(cycle, id) {
			return false
		}
	}
	return true
}

func TestTransitionsByRole(t *testing.T) {
	st := newStack(t)
	p1 := st.uniProject()
	st.createTask(director, p1, CreateRequest{Title: "供应商任务",
		Assignees: []string{acmeDev}})
	st.createTask(director, p1, CreateRequest{Title: "开发任务", Assignees: []string{dev2}})
	st.must(200, acmeDev, "POST", p1+"/tasks/T-1/status", StatusRequest{Ver: 1,
		Status: "doing"})
	st.must(200, acmeDev, "POST", p1+"/tasks/T-1/status", StatusRequest{Ver: 2,
		Status: "review"})

	tests := []struct {
		who, task, to string
		ver           int64
		status        int
		code          string
	}{
		{acmeDev, "T-1", "done", 3, 422, "transition_not_allowed"},  // suppliers never pass
		{acmeDev, "T-2", "doing", 1, 422, "transition_not_allowed"}, // not theirs
		{dev1, "T-2", "doing", 1, 422, "transition_not_allowed"},    // not theirs
		{dev1, "T-2", "cancelled", 1, 422, "transition_not_allowed"},
		{dev2, "T-2", "done", 1, 422, "transition_not_allowed"}, // only from review
		{dev1, "T-1", "bogus", 3, 400, "invalid_input"},
		{president, "T-1", "done", 3, 403, "forbidden"}, // executive, no member
		{clerk, "T-1", "done", 3, 403, "forbidden"},
	}
	for _, tt := range tests {
		a := st.do(tt.who, "POST", p1+"/tasks/"+tt.task+"/status",
			StatusRequest{Ver: tt.ver, Status: tt.to}, "")
		if a.status != tt.status || a.errorCode() != tt.code {
			t.Errorf("%s moves %s to %s = %d %s, want %d %s", tt.who, tt.task, tt.to, a.status,
				a.body, tt.status, tt.code)
		}
	}
	// A member passes review; then the task is done.
	var got Task
	st.must(200, dev1, "POST", p1+"/tasks/T-1/status", StatusRequest{Ver: 3,
		Status: "done"}).decode(t, &got)
	if got.Status != "done" || got.FinishedAt == nil {
		t.Errorf("after review passed: %+v", got)
	}
}

func TestInvalidInputChangesNothing(t *testing.T) {
	st := newStack(t)
	p1 := st.uniProject()
	st.createTask(director, p1, CreateRequest{Title: "任务"})
	long := strings.Repeat("长", plan.MaxTitle+1)
	tests := []struct {
		method, path string
		body         any
		field        string
	}{
		{"POST", "/tasks", map[string]any{"title": "x", "colour": "red"}, "colour"},
		{"POST", "/tasks", map[string]any{"title": "x", "due": "2026-13-01"}, "due"},
		{"POST", "/tasks", map[string]any{"title": long}, "title"},
		{"POST", "/tasks", map[string]any{"title": "x", "estimate": "lots"}, "estimate"},
		{"POST", "/tasks", map[string]any{"title": "x", "assignees": []string{clerk}},
			"assignees[0]"},
		{"POST", "/tasks", map[string]any{"title": "x", "start": "2026-12-09",
			"due": "2026-12-01"}, "due"},
		{"PATCH", "/tasks/T-1", map[string]any{"title": "y"}, "ver"},
		{"PATCH", "/tasks/T-1", map[string]any{"ver": 1, "priority": "asap"}, "priority"},
		{"POST", "/tasks/T-1/progress", map[string]any{"ver": 1, "progress": 140}, "progress"},
		{"POST", "/tasks/T-1/worklogs", map[string]any{"minutes": 30, "date": "2026-12-09"},
			"date"},
		{"POST", "/tasks/T-1/worklogs", map[string]any{"minutes": 0, "date": "2026-12-02"},
			"minutes"},
		{"POST", "/bulk", map[string]any{"items": []any{}}, "items"},
		{"GET", "/tasks?limit=0", nil, "limit"},
	}
	for _, tt := range tests {
		a := st.do(director, tt.method, p1+tt.path, tt.body, "")
		if a.status != 400 || !strings.Contains(string(a.body), `"field":"`+tt.field+`"`) {
			t.Errorf("%s %s %v = %d %s, want 400 naming %s", tt.method, tt.path, tt.body,
				a.status, a.body, tt.field)
		}
	}
	var list TaskList
	st.must(200, director, "GET", p1+"/tasks", nil).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Ver != 1 || list.Items[0].Progress != 0 {
		t.Errorf("tasks after refusals = %+v, want T-1 unchanged", list.Items)
	}
	if a := st.do(director, "GET", p1+"/tasks/T-1/worklogs", nil, ""); strings.Contains(
		string(a.body), "W-") {
		t.Errorf("a refused work log was written: %s", a.body)
	}
}

func TestBulk(t *testing.T) {
	st := newStack(t)
	p1 := st.uniProject()
	for i := range 3 {
		st.createTask(director, p1, CreateRequest{Title: fmt.Sprint("任务 ", i)})
	}
	var res BulkResponse
	st.must(200, director, "POST", p1+"/bulk", map[string]any{"items": []map[string]any{
		{"task": "T-1", "ver": 1, "status": "doing", "assignees": []string{dev1}},
		{"task": "T-2", "ver": 7, "status": "doing"},
		{"task": "T-3", "ver": 1, "progress": 30, "status": "bogus"},
		{"task": "T-9", "ver": 1, "status": "doing"},
		{"task": "T-3", "ver": 1, "due": "2026-12-20", "priority": "urgent"},
	}}).decode(t, &res)
	want := []int{200, 409, 400, 404, 200}
	for i, r := range res.Results {
		if r.Status != want[i] {
			t.Errorf("item %d (%s) = %d %+v, want %d", i, r.Task, r.Status, r.Error, want[i])
		}
	}
	var t3 Task
	st.must(200, director, "GET", p1+"/tasks/T-3", nil).decode(t, &t3)
	if t3.Progress != 0 || t3.Due != "2026-12-20" || t3.Ver != 2 {
		t.Errorf("T-3 = %+v, want the failed item undone and the last one applied", t3)
	}
	var t2 Task
	if res.Results[1].Error == nil {
		t.Fatal("no error on the stale item")
	}
	st.must(200, director, "GET", p1+"/tasks/T-2", nil).decode(t, &t2)
	if t2.Status != "todo" || t2.Ver != 1 {
		t.Errorf("T-2 = %+v, want untouched", t2)
	}
}
