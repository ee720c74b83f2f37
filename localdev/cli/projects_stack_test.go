package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/blob/blobtest"
	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tasksapi"
)

// The users of the projects stack tests, by the key their sessions are kept under.
// None of them is used by the other tests that share realStack, so the views below
// hold only what these tests made.
var (
	psLead     = demoUser{"ps-lead", dingfake.UniversityCorp, "u-apps-lead", "lead"}
	psStaff    = demoUser{"ps-staff", dingfake.UniversityCorp, "u-dev-1", "member"}
	psExec     = demoUser{"ps-exec", dingfake.UniversityCorp, "u-president", "executive"}
	psManager  = demoUser{"ps-manager", dingfake.UniversityCorp, "u-infra-lead", "manager"}
	psOutsider = demoUser{"ps-outsider", dingfake.UniversityCorp, "u-accountant", "staff"}
	psOther    = demoUser{"ps-other", dingfake.UniversityCorp, "u-dev-2", "other project"}
	psSupplier = demoUser{"ps-supplier", dingfake.SupplierCorp, "a-pm", "supplier"}
	psPartner  = demoUser{"ps-partner", dingfake.SupplierCorp, "a-dev", "partner member"}
	psSupExec  = demoUser{"ps-supexec", dingfake.SupplierCorp, "a-ceo", "partner executive"}
)

// TestProjectsThroughLocalStack signs in users of the university and of its supplier
// company with free-login codes minted at the DingTalk fake, has the university's lead
// create a project with the supplier as partner, decompose the work and assign a
// supplier contact, reads every role's view through the gateway, and drains the
// outbox with the notify function's timer: each notice lands in the fake's inbox
// once, and a second drain sends nothing more.
func TestProjectsThroughLocalStack(t *testing.T) {
	st := realStack(t)
	stackTrigger(t, st, "dingtalk-callback", "reconcile")
	api := stackSignIn(t, st, psLead, psStaff, psExec, psManager, psOutsider, psSupplier,
		psPartner, psSupExec)
	ctx := context.Background()
	call := func(as demoUser, method, path, key string, body, out any) {
		t.Helper()
		if err := api.call(ctx, as.key, method, path, key, body, out); err != nil {
			t.Fatalf("as %s: %v", as.key, err)
		}
	}

	name := fmt.Sprintf("跨组织项目 %d", time.Now().UnixNano())
	var pd projects.ProjectDetail
	call(psLead, "POST", "/api/projects", "ps-create", projects.CreateRequest{Name: name,
		Department: "4", Year: 2026, Budget: 3_000_000, Risk: "medium", Status: "active",
		Partners: []projects.OrgRef{{Corp: dingfake.SupplierCorp}},
		Members: []projects.MemberInput{
			{Corp: psStaff.corp, UserID: psStaff.user, Role: "member"},
			{Corp: psPartner.corp, UserID: psPartner.user, Role: "member"}}}, &pd)
	p := pd.Project.ID
	prj := "/api/projects/" + psLead.corp + "/" + p
	call(psLead, "POST", prj+"/members", "ps-add-supplier", projects.MemberInput{
		Corp: psSupplier.corp, UserID: psSupplier.user, Role: "supplier"}, nil)

	// The work: a task for the member, decomposed into a subtask assigned to the
	// supplier's contact afterwards, and a subtask of that for the partner's engineer.
	tasks := "/api/tasks/" + psLead.corp + "/" + p + "/tasks"
	newTask := func(key, parent, title string, who ...demoUser) tasksapi.Task {
		req := tasksapi.CreateRequest{Parent: parent, Title: title, Estimate: 480,
			Due: time.Now().AddDate(0, 0, 20).Format(time.DateOnly)}
		for _, u := range who {
			req.Assignees = append(req.Assignees, u.uid())
		}
		var out tasksapi.Task
		call(psLead, "POST", tasks, key, req, &out)
		return out
	}
	top := newTask("ps-top", "", "接口联调", psStaff)
	sub := newTask("ps-sub", top.ID, "单点登录对接")
	call(psLead, "POST", tasks+"/"+sub.ID+"/assign", "", tasksapi.AssignRequest{
		Ver: sub.Ver, Assignees: []string{psSupplier.uid()}}, &sub)
	leaf := newTask("ps-leaf", sub.ID, "证书部署", psPartner)

	v := psViews{t: t, api: api, project: p, path: prj}
	v.lead([]string{top.ID, sub.ID, leaf.ID}, []string{psLead.uid(), psStaff.uid(),
		psPartner.uid(), psSupplier.uid()})
	v.mine(psStaff, []string{p + "/" + top.ID})
	v.mine(psSupplier, []string{p + "/" + sub.ID})
	v.mine(psPartner, []string{p + "/" + leaf.ID})
	v.mine(psExec, nil)
	v.projects(psSupplier, []string{p}, "supplier")
	v.projects(psPartner, []string{p}, "member")
	v.projects(psOutsider, nil, "")
	v.projects(psSupExec, nil, "")
	v.executive()
	v.department()
	for _, u := range []demoUser{psOutsider, psSupExec} {
		if got := v.status(u, prj); got != http.StatusForbidden &&
			got != http.StatusNotFound {
			t.Errorf("GET the project as %s = %d, want 403 or 404", u.key, got)
		}
	}

	want := []psNotice{
		{psStaff, "你已加入项目：" + name, "创建"},
		{psPartner, "你已加入项目：" + name, "创建"},
		{psSupplier, "你已加入项目：" + name, "角色"},
		{psStaff, "你有新任务：" + top.Title, ""},
		{psSupplier, "你有新任务：" + sub.Title, ""},
		{psPartner, "你有新任务：" + leaf.Title, ""},
	}
	for round := 1; round <= 2; round++ {
		stackTrigger(t, st, "notify", "drain")
		for _, n := range want {
			if got := n.count(st); got != 1 {
				t.Errorf("after drain %d: %s has %d notices %q (%s), want 1", round,
					n.to.key, got, n.title, n.body)
			}
		}
	}
}

// psViews reads one project's role views through the gateway.
type psViews struct {
	t       *testing.T
	api     *demoAPI
	project string
	path    string // /api/projects/{corp}/{id}
}

func (v psViews) get(as demoUser, path string, out any) {
	v.t.Helper()
	if err := v.api.call(context.Background(), as.key, "GET", path, "", nil, out); err != nil {
		v.t.Fatalf("as %s: %v", as.key, err)
	}
}

func (v psViews) status(as demoUser, path string) int {
	v.t.Helper()
	return stackStatus(v.t, v.api, as, "GET", path, nil)
}

// lead checks the lead's view: the plan's tasks in the Gantt data and the members.
func (v psViews) lead(tasks, members []string) {
	v.t.Helper()
	var lv tasksapi.LeadView
	v.get(psLead, "/api/tasks/"+psLead.corp+"/"+v.project+"/lead", &lv)
	var gantt, uids []string
	for _, g := range lv.Gantt {
		if g.Kind == "task" {
			gantt = append(gantt, g.ID)
		}
	}
	for _, m := range lv.Members {
		uids = append(uids, m.UID)
	}
	sortedDiff(v.t, "lead view's Gantt tasks", tasks, gantt)
	sortedDiff(v.t, "lead view's members", members, uids)
}

// mine checks that u's open tasks, across projects and organizations, are want
// ("project/task").
func (v psViews) mine(u demoUser, want []string) {
	v.t.Helper()
	var mt tasksapi.MyTasks
	v.get(u, "/api/tasks/me", &mt)
	var got []string
	for _, it := range mt.Items {
		got = append(got, it.Project+"/"+it.ID)
	}
	sortedDiff(v.t, u.key+"'s tasks", want, got)
}

// projects checks the projects u lists among the test's project (want is [project]
// or nil) and u's role in it.
func (v psViews) projects(u demoUser, want []string, role string) {
	v.t.Helper()
	var pl projects.ProjectList
	v.get(u, "/api/projects?limit=200", &pl)
	var got []string
	for _, it := range pl.Items {
		if it.ID != v.project {
			continue
		}
		got = append(got, it.ID)
		if it.Role != role {
			v.t.Errorf("%s lists the project with role %q, want %q", u.key, it.Role, role)
		}
	}
	sortedDiff(v.t, u.key+"'s projects", want, got)
}

// executive checks that the university's executive, who is no member, has the project
// in the portfolio's drill-down and may open it, and that the partner's executive
// does not have it in his own organization's portfolio.
func (v psViews) executive() {
	v.t.Helper()
	var ev projects.ExecutiveView
	v.get(psExec, "/api/views/executive?groupBy=department&department=4&drill=true", &ev)
	var ids []string
	for _, it := range ev.Items {
		ids = append(ids, it.ID)
		if it.Corp != psExec.corp || it.Department != "4" {
			v.t.Errorf("executive drill-down has %s of %s in department %q", it.ID, it.Corp,
				it.Department)
		}
	}
	if !slices.Contains(ids, v.project) || ev.Total.Projects != len(ids) {
		v.t.Errorf("executive view of department 4 = %v (total %d), want %s among them",
			ids, ev.Total.Projects, v.project)
	}
	var pd projects.ProjectDetail
	v.get(psExec, v.path, &pd)
	if pd.Project.ID != v.project || pd.Project.Role != "" {
		v.t.Errorf("the executive reads %s with role %q, want %s with none", pd.Project.ID,
			pd.Project.Role, v.project)
	}
	var sup projects.ExecutiveView
	v.get(psSupExec, "/api/views/executive?drill=true", &sup)
	for _, it := range sup.Items {
		if it.ID == v.project || it.Corp != psSupExec.corp {
			v.t.Errorf("the partner's executive sees %s of %s", it.ID, it.Corp)
		}
	}
}

// department checks that the manager of department 4, who is no member, sees the
// project in his department view, and that staff may not open that view.
func (v psViews) department() {
	v.t.Helper()
	var dv projects.DepartmentView
	v.get(psManager, "/api/views/department", &dv)
	var ids []string
	for _, it := range dv.Items {
		ids = append(ids, it.ID)
	}
	if !slices.Contains(dv.Departments, "4") || !slices.Contains(ids, v.project) {
		v.t.Errorf("department view = departments %v, projects %v; want 4 and %s",
			dv.Departments, ids, v.project)
	}
	if got := v.status(psOutsider, "/api/views/department"); got != http.StatusForbidden {
		v.t.Errorf("department view as staff = %d, want 403", got)
	}
}

// sortedDiff reports a difference between want and got, in any order.
func sortedDiff(t *testing.T, what string, want, got []string) {
	t.Helper()
	want, got = slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// psNotice is a work notice a user should have: its title and a part of its body.
type psNotice struct {
	to          demoUser
	title, body string
}

// count is how many delivered (not dropped) notices of the fake's inbox are n.
func (n psNotice) count(st *stack) int {
	c := 0
	for _, e := range st.ding.fake.Inbox(n.to.user) {
		if e.Kind != dingfake.KindNotice || e.CorpID != n.to.corp || e.Dropped {
			continue
		}
		text := strings.Join(jsonStrings(e.Content), "\n")
		if strings.Contains(text, n.title) && strings.Contains(text, n.body) {
			c++
		}
	}
	return c
}

// jsonStrings returns every string value in the JSON document raw.
func jsonStrings(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
			if strings.HasPrefix(v, "{") { // a JSON message inside a string field
				out = append(out, jsonStrings(json.RawMessage(v))...)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// stackSignIn signs users in through the gateway as the micro-app does: a free-login
// code minted at the DingTalk fake, exchanged at POST /api/auth/login. The sessions
// are kept by each user's key.
func stackSignIn(t testing.TB, st *stack, users ...demoUser) *demoAPI {
	t.Helper()
	api, ctx := st.demoAPI(), context.Background()
	for _, u := range users {
		code, err := api.authCode(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var sess projects.SessionResponse
		if err := api.call(ctx, "", "POST", "/api/auth/login", "",
			projects.LoginRequest{CorpID: u.corp, AuthCode: code}, &sess); err != nil {
			t.Fatalf("sign in %s: %v", u.key, err)
		}
		api.tokens[u.key] = sess.Token
	}
	return api
}

// stackStatus is the status of method path (with body, JSON, when not nil) as u.
func stackStatus(t testing.TB, api *demoAPI, u demoUser, method, path string,
	body any) int {
	t.Helper()
	err := api.call(context.Background(), u.key, method, path, "", body, nil)
	var ce *callError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &ce):
		return ce.Status
	}
	t.Fatalf("as %s: %s %s: %v", u.key, method, path, err)
	return 0
}

// stackTrigger fires a timer trigger of the stack through its admin route, as
// `localdev invoke --trigger` does, and fails unless the function succeeded.
func stackTrigger(t testing.TB, st *stack, function, trigger string) {
	t.Helper()
	q := url.Values{"function": {function}, "trigger": {trigger}}
	resp, err := http.Post(st.gatewayURL+"/_localdev/trigger?"+q.Encode(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("trigger %s/%s = %d %s", function, trigger, resp.StatusCode, body)
	}
}

// TestProjectsRefuseOutsidersThroughLocalStack tries every kind of access to one
// project (read, write, list, view, download of its contract's file) through the
// gateway as users of the other organization and as users of another project of the
// same organization: each attempt is refused with 403 or 404, lists and views leave
// the project out, and the project reads the same afterwards.
func TestProjectsRefuseOutsidersThroughLocalStack(t *testing.T) {
	st := realStack(t)
	stackTrigger(t, st, "dingtalk-callback", "reconcile")
	api := stackSignIn(t, st, psLead, psStaff, psManager, psOther, psOutsider, psPartner,
		psSupExec)
	f := newPSFixture(t, st, api)
	before := f.snapshot()

	attackers := []demoUser{psSupExec, psPartner, psOther, psManager, psOutsider}
	tried := 0
	for _, u := range attackers {
		for _, a := range f.attempts() {
			tried++
			got := stackStatus(t, api, u, a.method, a.path, a.body)
			if got != http.StatusForbidden && got != http.StatusNotFound {
				t.Errorf("%s %s %s as %s (%s) = %d, want 403 or 404", a.kind, a.method,
					a.path, u.key, u.role, got)
			}
		}
		for _, l := range f.listings() {
			tried++
			var raw json.RawMessage
			err := api.call(context.Background(), u.key, "GET", l, "", nil, &raw)
			var ce *callError
			switch {
			case errors.As(err, &ce) && (ce.Status == 403 || ce.Status == 404):
			case err != nil:
				t.Errorf("list %s as %s: %v", l, u.key, err)
			case strings.Contains(string(raw), f.project):
				t.Errorf("list %s as %s (%s) shows %s: %s", l, u.key, u.role, f.project, raw)
			}
		}
	}
	t.Logf("tried %d", tried)
	if diff := cmp.Diff(before, f.snapshot()); diff != "" {
		t.Errorf("the refused attempts changed the project (-before +after):\n%s", diff)
	}
}

// psFixture is a project of the university's lead (department 5) with a member, a
// milestone, a task with a work log and a comment, and a contract with one file
// version; and another project of the same organization (department 4) whose lead
// and member are among the outsiders.
type psFixture struct {
	t        *testing.T
	api      *demoAPI
	project  string
	task     tasksapi.Task
	contract string
	ms       projects.Milestone
	ver      int64
}

func newPSFixture(t *testing.T, st *stack, api *demoAPI) *psFixture {
	t.Helper()
	ctx := context.Background()
	call := func(as demoUser, method, path, key string, body, out any) {
		t.Helper()
		if err := api.call(ctx, as.key, method, path, key, body, out); err != nil {
			t.Fatalf("as %s: %v", as.key, err)
		}
	}
	var a, b projects.ProjectDetail
	call(psLead, "POST", "/api/projects", "ps-matrix-a", projects.CreateRequest{
		Name: "门禁系统改造", Department: "5", Members: []projects.MemberInput{
			{Corp: psStaff.corp, UserID: psStaff.user, Role: "member"}}}, &a)
	call(psManager, "POST", "/api/projects", "ps-matrix-b", projects.CreateRequest{
		Name: "机房扩容", Department: "4", Members: []projects.MemberInput{
			{Corp: psOther.corp, UserID: psOther.user, Role: "member"}}}, &b)
	f := &psFixture{t: t, api: api, project: a.Project.ID, ver: a.Project.Ver}
	call(psLead, "POST", f.prj()+"/milestones", "ps-matrix-ms", projects.MilestoneRequest{
		Title: "验收", Due: time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}, &f.ms)
	call(psLead, "POST", f.tasks(), "ps-matrix-task", tasksapi.CreateRequest{Title: "布线",
		Assignees: []string{psStaff.uid()}}, &f.task)
	call(psStaff, "POST", f.tasks()+"/"+f.task.ID+"/worklogs", "ps-matrix-log",
		tasksapi.WorkLogRequest{Minutes: 60, Date: time.Now().Format(time.DateOnly)}, nil)
	call(psStaff, "POST", f.tasks()+"/"+f.task.ID+"/comments", "ps-matrix-comment",
		tasksapi.CommentRequest{Body: "已完成一半"}, nil)
	f.contract = psContract(t, st, api, f.project)
	return f
}

// psContract makes a contract of project with one uploaded version, through the
// gateway and the OSS emulator.
func psContract(t *testing.T, st *stack, api *demoAPI, project string) string {
	t.Helper()
	c := apiClient{t: t, base: st.gatewayURL + "/api/contracts/" + psLead.corp,
		token: api.tokens[psLead.key]}
	var k contracts.Contract
	c.call(201, "POST", "", contracts.CreateRequest{ProjectID: project, Title: "门禁合同",
		Parties: []contracts.Party{{Corp: psLead.corp, Name: "University"}}, AmountFen: 100,
		Currency: "CNY"}, &k)
	var g contracts.GrantResponse
	c.call(201, "POST", "/"+k.ID+"/uploads",
		contracts.UploadRequest{Filename: "m.pdf", ContentType: "application/pdf"}, &g)
	if _, err := blobtest.Post(context.Background(), g.Grant, blobtest.Upload{
		Filename: "m.pdf", ContentType: "application/pdf",
		Body: bytes.NewReader(demoPDF("access control contract"))}); err != nil {
		t.Fatalf("PostObject: %v", err)
	}
	c.waitVersions(k.ID, 1)
	return k.ID
}

func (f *psFixture) prj() string   { return "/api/projects/" + psLead.corp + "/" + f.project }
func (f *psFixture) plan() string  { return "/api/tasks/" + psLead.corp + "/" + f.project }
func (f *psFixture) tasks() string { return f.plan() + "/tasks" }
func (f *psFixture) con() string   { return "/api/contracts/" + psLead.corp + "/" + f.contract }

// psAttempt is one request an outsider makes.
type psAttempt struct {
	kind, method, path string
	body               any
}

// attempts are the requests on the project, its plan and its contract, with bodies
// that would succeed for its lead, so that only authorization refuses them.
func (f *psFixture) attempts() []psAttempt {
	task := f.tasks() + "/" + f.task.ID
	day := time.Now().Format(time.DateOnly)
	title := "改掉"
	return []psAttempt{
		{"read", "GET", f.prj(), nil},
		{"read", "GET", f.prj() + "/members", nil},
		{"read", "GET", f.prj() + "/milestones", nil},
		{"read", "GET", f.tasks(), nil},
		{"read", "GET", task, nil},
		{"read", "GET", task + "/worklogs", nil},
		{"read", "GET", task + "/comments", nil},
		{"read", "GET", f.plan() + "/baselines", nil},
		{"read", "GET", f.con(), nil},
		{"read", "GET", f.con() + "/versions", nil},
		{"list", "GET", "/api/contracts/" + psLead.corp + "?projectId=" + f.project, nil},
		{"view", "GET", f.plan() + "/lead", nil},
		{"view", "GET", "/api/views/department?department=5", nil},
		{"download", "GET", f.con() + "/versions/1/download", nil},
		{"write", "PATCH", f.prj(), projects.UpdateRequest{Ver: f.ver, Name: &title}},
		{"write", "POST", f.prj() + "/archive", projects.VersionRequest{Ver: f.ver}},
		{"write", "POST", f.prj() + "/members", projects.MemberInput{Corp: psOutsider.corp,
			UserID: psOutsider.user, Role: "lead"}},
		{"write", "POST", f.prj() + "/partners", projects.PartnerRequest{Ver: f.ver,
			Corp: dingfake.SupplierCorp}},
		{"write", "POST", f.prj() + "/milestones", projects.MilestoneRequest{Title: title,
			Due: day}},
		{"write", "PATCH", f.prj() + "/milestones/" + f.ms.ID,
			projects.MilestoneEditRequest{Ver: f.ms.Ver, Title: &title}},
		{"write", "POST", f.prj() + "/milestones/" + f.ms.ID + "/accept",
			projects.AcceptRequest{Ver: f.ms.Ver, Override: "x"}},
		{"write", "POST", f.tasks(), tasksapi.CreateRequest{Title: title}},
		{"write", "PATCH", task, tasksapi.UpdateRequest{Ver: f.task.Ver, Title: &title}},
		{"write", "POST", task + "/status", tasksapi.StatusRequest{Ver: f.task.Ver,
			Status: "doing"}},
		{"write", "POST", task + "/assign", tasksapi.AssignRequest{Ver: f.task.Ver,
			Assignees: []string{psOutsider.uid()}}},
		{"write", "POST", task + "/worklogs", tasksapi.WorkLogRequest{Minutes: 30,
			Date: day}},
		{"write", "POST", task + "/comments", tasksapi.CommentRequest{Body: title}},
		{"write", "POST", f.plan() + "/baselines", tasksapi.BaselineRequest{Name: title}},
		{"write", "POST", f.con() + "/status", map[string]any{"status": "under_approval",
			"ver": 1}},
		{"write", "POST", f.con() + "/uploads", contracts.UploadRequest{Filename: "x.pdf",
			ContentType: "application/pdf"}},
	}
}

// listings are the lists and views an outsider may open, which must leave the
// project out (or refuse).
func (f *psFixture) listings() []string {
	return []string{"/api/projects?limit=200", "/api/tasks/me", "/api/tasks/me/worklogs",
		"/api/views/executive?drill=true&limit=200", "/api/views/department"}
}

// snapshot is the project as its lead reads it: every version and count an
// outsider's write would move.
func (f *psFixture) snapshot() []string {
	f.t.Helper()
	ctx := context.Background()
	var out []string
	read := func(path string, v any) string {
		f.t.Helper()
		var raw json.RawMessage
		if err := f.api.call(ctx, psLead.key, "GET", path, "", nil, &raw); err != nil {
			f.t.Fatal(err)
		}
		if v != nil {
			json.Unmarshal(raw, v)
		}
		return string(raw)
	}
	var pd projects.ProjectDetail
	read(f.prj(), &pd)
	out = append(out, fmt.Sprintf("project ver %d %s %s members %d milestones %d",
		pd.Project.Ver, pd.Project.Name, pd.Project.Status, len(pd.Members),
		len(pd.Milestones)))
	for _, m := range pd.Milestones {
		out = append(out, fmt.Sprintf("milestone %s ver %d %s", m.ID, m.Ver, m.Title))
	}
	var tl tasksapi.TaskList
	read(f.tasks(), &tl)
	for _, t := range tl.Items {
		out = append(out, fmt.Sprintf("task %s ver %d %s %s %v", t.ID, t.Ver, t.Title,
			t.Status, t.Assignees))
	}
	task := f.tasks() + "/" + f.task.ID
	out = append(out, read(task+"/worklogs", nil), read(task+"/comments", nil),
		read(f.plan()+"/baselines", nil), read(f.con(), nil), read(f.con()+"/versions", nil))
	return out
}

// TestProjectApprovalThroughLocalStack follows a project's initiation approval through
// the real dingtalk-callback binary: an OA instance for the project is started in the
// DingTalk fake, its approvers agree, and `localdev dingtalk emit` pushes the bpms
// event three times (then a contradicting one): the project shows the outcome,
// written once, and the pushes after the first change nothing.
func TestProjectApprovalThroughLocalStack(t *testing.T) {
	st := realStack(t)
	stackTrigger(t, st, "dingtalk-callback", "reconcile")
	api := stackSignIn(t, st, psLead, psStaff)
	var pd projects.ProjectDetail
	if err := api.call(context.Background(), psLead.key, "POST", "/api/projects",
		"ps-approval", projects.CreateRequest{Name: "一卡通系统立项", Department: "5",
			Members: []projects.MemberInput{{Corp: psStaff.corp, UserID: psStaff.user,
				Role: "member"}}}, &pd); err != nil {
		t.Fatal(err)
	}
	path := "/api/projects/" + psLead.corp + "/" + pd.Project.ID + "/approval"
	if got := stackStatus(t, api, psStaff, "GET", path, nil); got != http.StatusNotFound {
		t.Fatalf("approval before any = %d, want 404", got)
	}
	inst := psAskApproval(t, st, api, pd.Project.ID)
	if _, err := st.ding.fake.ResolveApproval(inst, "agree"); err != nil {
		t.Fatal(err)
	}
	var first projects.Approval
	var ver int64
	for i, result := range []string{"agree", "agree", "agree", "refuse"} {
		psEmitFinish(t, st, inst, result)
		var got projects.Approval
		if err := api.call(context.Background(), psStaff.key, "GET", path, "", nil,
			&got); err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
		var now projects.ProjectDetail
		if err := api.call(context.Background(), psLead.key, "GET",
			"/api/projects/"+psLead.corp+"/"+pd.Project.ID, "", nil, &now); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, ver = got, now.Project.Ver
			if got.InstanceID != inst || got.Outcome != "approved" || got.Finished == nil {
				t.Fatalf("after the push: approval %+v, want %s approved", got, inst)
			}
			continue
		}
		if diff := cmp.Diff(first, got); diff != "" || now.Project.Ver != ver {
			t.Errorf("push %d (%s) changed the project: ver %d → %d, approval (-first +now):"+
				"\n%s", i+1, result, ver, now.Project.Ver, diff)
		}
	}
}

// psAskApproval has the lead ask for the approval of project id through the
// gateway and returns the OA instance the projects function started.
func psAskApproval(t *testing.T, st *stack, api *demoAPI, id string) string {
	t.Helper()
	var a projects.Approval
	err := api.call(context.Background(), psLead.key, "POST",
		"/api/projects/"+psLead.corp+"/"+id+"/approval", "", nil, &a)
	if err != nil {
		t.Fatal(err)
	}
	if a.InstanceID == "" || a.Outcome != "running" {
		t.Fatalf("ask for approval = %+v, want a running instance", a)
	}
	return a.InstanceID
}

// psEmitFinish pushes the bpms_instance_change that finishes instance with result
// into the dingtalk-callback function, and drains its queue, so that whatever the
// push started has been applied.
func psEmitFinish(t *testing.T, st *stack, instance, result string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := runDingTalk(&env{stdout: &out, stderr: &errOut}, []string{"emit",
		"--gateway", st.gatewayURL, "--corp", psLead.corp, "bpms_instance_change",
		"processInstanceId=" + instance, "type=finish", "result=" + result,
		"processCode=PROC-XT-PROJECT-INIT"}); err != nil {
		t.Fatalf("emit: %v\n%s%s", err, out.String(), errOut.String())
	}
	stackTrigger(t, st, "dingtalk-callback", "drain")
}
