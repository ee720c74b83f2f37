package cli

// The demo that `localdev up` seeds (DESIGN.md, Local cloud): the fake's university runs
// a project with its supplier company, in every role, written through the functions' own
// HTTP APIs behind the gateway, as the micro-app would write it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/timers"
	"github.com/xietong/xietong/shared/blob/blobtest"
	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tasksapi"
)

// demoMarker is the file in the data directory that records a finished seed.
const demoMarker = "demo.json"

// demoName is the demo project's name; a project of the lead by this name means the demo
// is there already.
const demoName = "智慧校园一网通办平台"

// demoUser is a user of the fake's seed whom the demo signs in as.
type demoUser struct {
	key  string // the demo's name for them, and the XT_<KEY> shell variable printed
	corp string
	user string
	role string // what they are in the demo
}

func (u demoUser) uid() string { return u.corp + ":" + u.user }

// demoUsers are the people of the demo, one or more per organization and project role.
var demoUsers = []demoUser{
	{"lead", dingfake.UniversityCorp, "u-apps-lead", "project lead"},
	{"infra", dingfake.UniversityCorp, "u-infra-lead", "lead of an internal project"},
	{"dev1", dingfake.UniversityCorp, "u-dev-1", "member"},
	{"dev2", dingfake.UniversityCorp, "u-dev-2", "member"},
	{"viewer", dingfake.UniversityCorp, "u-finance-head", "viewer (finance)"},
	{"supplier", dingfake.SupplierCorp, "a-pm", "supplier contact"},
	{"supdev", dingfake.SupplierCorp, "a-dev", "supplier engineer"},
	{"exec", dingfake.UniversityCorp, "u-president", "executive"},
	{"manager", dingfake.UniversityCorp, "u-it-director", "department manager, not a member"},
	{"staff", dingfake.UniversityCorp, "u-accountant", "staff, not a member"},
	{"supexec", dingfake.SupplierCorp, "a-ceo", "supplier's executive, not a member"},
}

func demoUserByKey(key string) demoUser {
	for _, u := range demoUsers {
		if u.key == key {
			return u
		}
	}
	panic("seed: no demo user " + key) // the tables below name only the users above
}

// demo is what the seed made; demoMarker holds it once the seed has finished.
type demo struct {
	Corp     string    `json:"corp"`
	Project  string    `json:"project"`
	Name     string    `json:"name"`
	Contract string    `json:"contract,omitempty"`
	Overdue  string    `json:"overdueTask,omitempty"`
	SeededAt time.Time `json:"seededAt"`

	// partial is set when the project exists without the marker (an interrupted seed).
	partial bool
	// api holds sessions of every demo user, signed in by this start.
	api *demoAPI
	// names are the users' display names by key.
	names map[string]string
}

// seedStep is one stage of the seed; it returns a short count of what it did.
type seedStep struct {
	name string
	run  func(sd *seeder, ctx context.Context) (string, error)
}

var seedSteps = []seedStep{
	{"directory", (*seeder).directory},
	{"sign-in", (*seeder).signIn},
	{"project", (*seeder).project},
	{"milestones", (*seeder).milestones},
	{"tasks", (*seeder).plan},
	{"workflow", (*seeder).workflow},
	{"work logs", (*seeder).records},
	{"contract", (*seeder).contract},
	{"portfolio", (*seeder).portfolio},
}

// errDemoThere stops the steps when the demo project exists already.
var errDemoThere = errors.New("seed: the demo is there already")

// seedDemo makes the demo unless the data directory holds it already, writing a progress
// line per step to w, and returns it with a session for every demo user. Seeding again
// changes nothing: a finished seed leaves demoMarker, and a demo project without one (an
// interrupted seed) is left as it is.
func (s *stack) seedDemo(ctx context.Context, w io.Writer) (*demo, error) {
	sd := &seeder{s: s, now: time.Now().In(plan.Zone), api: s.demoAPI(),
		d: &demo{Corp: dingfake.UniversityCorp, Name: demoName}, names: map[string]string{},
		tasks: map[string]*tasksapi.Task{}, ms: map[string]string{}}
	if d, err := readDemo(s.markerPath()); err == nil {
		sd.d = d
		if _, err := sd.signIn(ctx); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "seed: the demo is in %s already (project %s); skipped\n",
			s.cfg.proj.data, d.Project)
		return sd.finish(), nil
	}
	for i, st := range seedSteps {
		// One whole line per step, so that the functions' log lines do not split it.
		start := time.Now()
		what, err := st.run(sd, ctx)
		head := fmt.Sprintf("seed %d/%d %s ...", i+1, len(seedSteps), st.name)
		switch {
		case errors.Is(err, errDemoThere):
			fmt.Fprintf(w, "%s found %s without %s (an interrupted seed?); not seeding "+
				"again (localdev reset starts over)\n", head, sd.d.Project, demoMarker)
			sd.d.partial = true
			return sd.finish(), nil
		case err != nil:
			fmt.Fprintln(w, head, "FAILED")
			return nil, err
		}
		fmt.Fprintf(w, "%s %s, %dms\n", head, what, time.Since(start).Milliseconds())
	}
	sd.d.SeededAt = time.Now().UTC()
	if err := writeDemo(s.markerPath(), sd.d); err != nil {
		return nil, err
	}
	return sd.finish(), nil
}

func (s *stack) markerPath() string { return filepath.Join(s.cfg.proj.data, demoMarker) }

func readDemo(path string) (*demo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d demo
	if err := json.Unmarshal(b, &d); err != nil || d.Project == "" {
		return nil, fmt.Errorf("seed: read %q: not a demo record", path)
	}
	return &d, nil
}

func writeDemo(path string, d *demo) error {
	b, _ := json.MarshalIndent(d, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("seed: write %q: %w", path, err)
	}
	return nil
}

// seeder carries one seed's state from step to step.
type seeder struct {
	s     *stack
	now   time.Time // in plan.Zone, where dates are days
	api   *demoAPI
	d     *demo
	names map[string]string
	// milestones and tasks map the demo's references to what the API made.
	ms    map[string]string
	tasks map[string]*tasksapi.Task
}

func (sd *seeder) finish() *demo {
	sd.d.api, sd.d.names = sd.api, sd.names
	return sd.d
}

// day is the date offset days from today, as the API writes dates.
func (sd *seeder) day(offset int) string {
	return sd.now.AddDate(0, 0, offset).Format(time.DateOnly)
}

func (sd *seeder) projectPath() string {
	return "/api/projects/" + sd.d.Corp + "/" + sd.d.Project
}

func (sd *seeder) tasksPath() string {
	return "/api/tasks/" + sd.d.Corp + "/" + sd.d.Project + "/tasks"
}

// directory fills the directory from the fake the way production does: the
// dingtalk-callback function's nightly reconcile, fired now.
func (sd *seeder) directory(ctx context.Context) (string, error) {
	for _, j := range sd.s.timerJobs() {
		if j.Function != "dingtalk-callback" || !strings.Contains(j.Payload, `"reconcile"`) {
			continue
		}
		o := sd.s.invoke(ctx, j.Function, timers.Event(j, time.Now()))
		if o.failed {
			return "", fmt.Errorf("seed: reconcile %s/%s: %v", j.Function, j.Trigger, o.Error)
		}
		return "reconciled " + j.Function + "/" + j.Trigger, nil
	}
	return "", errors.New("seed: s.yaml has no dingtalk-callback reconcile timer")
}

// signIn signs every demo user in with a free-login code from the fake.
func (sd *seeder) signIn(ctx context.Context) (string, error) {
	for _, u := range demoUsers {
		code, err := sd.api.authCode(ctx, u)
		if err != nil {
			return "", err
		}
		var sess projects.SessionResponse
		if err := sd.api.call(ctx, "", "POST", "/api/auth/login", "",
			projects.LoginRequest{CorpID: u.corp, AuthCode: code}, &sess); err != nil {
			return "", err
		}
		sd.api.tokens[u.key], sd.names[u.key] = sess.Token, sess.User.Name
	}
	return fmt.Sprintf("%d users", len(demoUsers)), nil
}

// project creates the cross-organization project, unless the lead has it already.
func (sd *seeder) project(ctx context.Context) (string, error) {
	var list projects.ProjectList
	if err := sd.api.call(ctx, "lead", "GET", "/api/projects?limit=200", "", nil,
		&list); err != nil {
		return "", err
	}
	for _, p := range list.Items {
		if p.Name == demoName && p.Corp == sd.d.Corp {
			sd.d.Project = p.ID
			return "", errDemoThere
		}
	}
	req := projects.CreateRequest{Name: demoName, Department: "5", Year: sd.now.Year(),
		Budget: 128_000_000, Risk: "medium", Status: "active", Start: sd.day(-45),
		End: sd.day(75), Partners: []projects.OrgRef{{Corp: dingfake.SupplierCorp,
			Name: "Acme 软件有限公司"}}}
	for _, m := range []struct{ key, role string }{{"dev1", "member"}, {"dev2", "member"},
		{"viewer", "viewer"}, {"supplier", "supplier"}, {"supdev", "supplier"}} {
		u := demoUserByKey(m.key)
		req.Members = append(req.Members, projects.MemberInput{Corp: u.corp, UserID: u.user,
			Role: m.role})
	}
	var pd projects.ProjectDetail
	if err := sd.api.call(ctx, "lead", "POST", "/api/projects", "xt-demo-project", req,
		&pd); err != nil {
		return "", err
	}
	sd.d.Project = pd.Project.ID
	return fmt.Sprintf("%s with %d members", pd.Project.ID, len(pd.Members)), nil
}

// demoMilestones are the project's milestones, due days from today.
var demoMilestones = []struct {
	ref, title string
	due        int
}{
	{"design", "需求调研与方案评审", -20},
	{"build", "开发与系统集成", 25},
	{"launch", "上线试运行与验收", 60},
}

func (sd *seeder) milestones(ctx context.Context) (string, error) {
	for _, m := range demoMilestones {
		var out projects.Milestone
		if err := sd.api.call(ctx, "lead", "POST", sd.projectPath()+"/milestones",
			"xt-demo-ms-"+m.ref, projects.MilestoneRequest{Title: m.title, Due: sd.day(m.due)},
			&out); err != nil {
			return "", err
		}
		sd.ms[m.ref] = out.ID
	}
	return fmt.Sprintf("%d milestones", len(demoMilestones)), nil
}

// demoTask is one task of the plan; dates are days from today, users demo keys.
type demoTask struct {
	ref, parent, milestone, title string
	assignees                     []string
	priority                      string
	estimate                      int64 // minutes
	start, due                    int
	after                         []string
}

var demoTasks = []demoTask{
	{"req", "", "design", "需求调研与方案设计", []string{"dev1"}, "high", 0,
		-45, -22, nil},
	{"interview", "req", "", "教务处、学工处业务访谈", []string{"dev1"}, "normal", 960,
		-45, -38, nil},
	{"spec", "req", "", "需求规格说明书", []string{"supplier"}, "high", 1440, -38, -28, nil},
	{"arch", "req", "", "总体架构设计评审", []string{"dev2"}, "normal", 720, -30, -22, nil},
	{"build", "", "build", "统一身份认证与办事门户", []string{"dev2"}, "high", 0,
		-20, 25, []string{"req"}},
	{"sso", "build", "", "统一身份认证（CAS）对接", []string{"dev2"}, "high", 2400,
		-20, 5, nil},
	{"ding", "build", "", "钉钉免登与工作通知集成", []string{"supdev"}, "normal", 1920,
		-10, 15, nil},
	{"portal", "build", "", "办事大厅门户前端", []string{"dev1"}, "normal", 2880,
		-5, 25, nil},
	{"migrate", "", "build", "历史办件数据迁移", nil, "urgent", 1440, -14, -3, nil},
	{"uat", "", "launch", "上线试运行与用户验收", []string{"dev1", "supplier"}, "normal",
		2400, 30, 60, []string{"build"}},
}

// plan writes the tasks: tasks decomposed into subtasks, assigned, with dependencies,
// and saves it as the baseline.
func (sd *seeder) plan(ctx context.Context) (string, error) {
	for _, t := range demoTasks {
		req := tasksapi.CreateRequest{Parent: sd.taskID(t.parent),
			Milestone: sd.ms[t.milestone], Title: t.title, Priority: t.priority,
			Estimate: t.estimate, Start: sd.day(t.start), Due: sd.day(t.due)}
		for _, a := range t.assignees {
			req.Assignees = append(req.Assignees, demoUserByKey(a).uid())
		}
		for _, a := range t.after {
			req.After = append(req.After, sd.taskID(a))
		}
		var out tasksapi.Task
		if err := sd.api.call(ctx, "lead", "POST", sd.tasksPath(), "xt-demo-task-"+t.ref, req,
			&out); err != nil {
			return "", err
		}
		sd.tasks[t.ref] = &out
	}
	// The migration was planned unassigned; the lead hands it to the supplier's engineer.
	mig := sd.tasks["migrate"]
	if err := sd.taskCall(ctx, "lead", "migrate", "/assign", tasksapi.AssignRequest{
		Ver: mig.Ver, Assignees: []string{demoUserByKey("supdev").uid()}}); err != nil {
		return "", err
	}
	if err := sd.taskCall(ctx, "lead", "portal", "/dependencies", tasksapi.DependencyRequest{
		Ver: sd.tasks["portal"].Ver, After: sd.taskID("sso")}); err != nil {
		return "", err
	}
	var b tasksapi.Baseline
	if err := sd.api.call(ctx, "lead", "POST", strings.TrimSuffix(sd.tasksPath(), "/tasks")+
		"/baselines", "xt-demo-baseline", tasksapi.BaselineRequest{Name: "立项基线"},
		&b); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d tasks, baseline %s", len(demoTasks), b.ID), nil
}

func (sd *seeder) taskID(ref string) string {
	if t := sd.tasks[ref]; t != nil {
		return t.ID
	}
	return ""
}

// taskCall posts body to the task's sub-route as the user with key as, and keeps the
// task it answers with.
func (sd *seeder) taskCall(ctx context.Context, as, ref, sub string, body any) error {
	var out tasksapi.Task
	if err := sd.api.call(ctx, as, "POST", sd.tasksPath()+"/"+sd.taskID(ref)+sub, "", body,
		&out); err != nil {
		return err
	}
	sd.tasks[ref] = &out
	return nil
}

// demoMoves is the work so far, each move made by whoever would make it: assignees move
// their own work to review, a member or the lead passes it.
var demoMoves = []struct{ ref, as, to string }{
	{"interview", "dev1", "doing"}, {"interview", "dev1", "review"},
	{"interview", "lead", "done"},
	{"spec", "supplier", "doing"}, {"spec", "supplier", "review"}, {"spec", "lead", "done"},
	{"arch", "dev2", "doing"}, {"arch", "dev2", "review"}, {"arch", "dev1", "done"},
	{"req", "lead", "done"},
	{"build", "dev2", "doing"}, {"sso", "dev2", "doing"}, {"ding", "supdev", "doing"},
	{"migrate", "supdev", "doing"},
}

var demoProgress = []struct {
	ref, as string
	pct     int
}{{"sso", "dev2", 60}, {"ding", "supdev", 30}, {"migrate", "supdev", 40}}

// workflow moves the tasks along (some done, the migration overdue) and has the lead
// accept the first milestone.
func (sd *seeder) workflow(ctx context.Context) (string, error) {
	for _, m := range demoMoves {
		if err := sd.taskCall(ctx, m.as, m.ref, "/status", tasksapi.StatusRequest{
			Ver: sd.tasks[m.ref].Ver, Status: m.to}); err != nil {
			return "", err
		}
	}
	for _, p := range demoProgress {
		pct := p.pct
		if err := sd.taskCall(ctx, p.as, p.ref, "/progress", tasksapi.ProgressRequest{
			Ver: sd.tasks[p.ref].Ver, Progress: &pct}); err != nil {
			return "", err
		}
	}
	sd.d.Overdue = sd.taskID("migrate")
	var ms struct{ Items []projects.Milestone }
	if err := sd.api.call(ctx, "lead", "GET", sd.projectPath()+"/milestones", "", nil,
		&ms); err != nil {
		return "", err
	}
	for _, m := range ms.Items {
		if m.ID != sd.ms["design"] {
			continue
		}
		if err := sd.api.call(ctx, "lead", "POST", sd.projectPath()+"/milestones/"+m.ID+
			"/accept", "", projects.AcceptRequest{Ver: m.Ver}, nil); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d moves, milestone %s accepted", len(demoMoves),
		sd.ms["design"]), nil
}

// demoLogs is the time spent, by the person who did the work; days from today.
var demoLogs = []struct {
	ref, as string
	day     int
	minutes int64
	note    string
}{
	{"interview", "dev1", -44, 480, "教务处业务访谈"},
	{"interview", "dev1", -42, 420, "学工处业务访谈"},
	{"spec", "supplier", -35, 480, "需求规格说明书初稿"},
	{"spec", "supplier", -30, 360, "根据评审意见修订"},
	{"arch", "dev2", -25, 420, "架构评审材料"},
	{"sso", "dev2", -2, 360, "CAS 服务端部署"},
	{"sso", "dev2", -1, 300, "与教务系统联调"},
	{"ding", "supdev", -1, 240, "免登流程打通"},
	{"migrate", "supdev", -4, 420, "导出旧系统办件"},
	{"migrate", "supdev", 0, 120, "核对字段映射"},
}

var demoComments = []struct{ ref, as, body string }{
	{"spec", "supplier", "需求规格说明书 v1.2 已按评审意见修订，请审阅。"},
	{"migrate", "supdev",
		"旧系统导出的办件附件缺少编码信息，" +
			"需要教务处确认字段映射，预计延期 3 天。"},
	{"migrate", "lead",
		"已协调教务处本周五前给出映射表，请 Acme 同步调整迁移脚本。"},
}

// records writes the work logs and comments.
func (sd *seeder) records(ctx context.Context) (string, error) {
	for i, l := range demoLogs {
		path := sd.tasksPath() + "/" + sd.taskID(l.ref) + "/worklogs"
		req := tasksapi.WorkLogRequest{Minutes: l.minutes, Date: sd.day(l.day), Note: l.note}
		if err := sd.api.call(ctx, l.as, "POST", path, fmt.Sprintf("xt-demo-log-%d", i), req,
			nil); err != nil {
			return "", err
		}
	}
	for i, c := range demoComments {
		path := sd.tasksPath() + "/" + sd.taskID(c.ref) + "/comments"
		if err := sd.api.call(ctx, c.as, "POST", path, fmt.Sprintf("xt-demo-comment-%d", i),
			tasksapi.CommentRequest{Body: c.body}, nil); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d work logs, %d comments", len(demoLogs), len(demoComments)), nil
}

// contract has the lead draw up the contract with the supplier, and the supplier's
// contact upload the draft straight to OSS with a grant, as the micro-app does; the
// version appears when the OSS trigger has recorded it.
func (sd *seeder) contract(ctx context.Context) (string, error) {
	base := "/api/contracts/" + sd.d.Corp
	req := contracts.CreateRequest{ProjectID: sd.d.Project,
		Title: "一网通办平台建设及实施服务合同",
		Parties: []contracts.Party{{Corp: sd.d.Corp, Name: "东海示范大学"},
			{Corp: dingfake.SupplierCorp, Name: "Acme 软件有限公司"}},
		AmountFen: 128_000_000, Currency: "CNY",
		MilestoneIDs: []string{sd.ms["build"], sd.ms["launch"]}}
	var c contracts.Contract
	if err := sd.api.call(ctx, "lead", "POST", base, "xt-demo-contract", req, &c); err != nil {
		return "", err
	}
	sd.d.Contract = c.ID
	file := demoPDF("Campus one-stop service platform: construction contract (draft v1)")
	var g contracts.GrantResponse
	if err := sd.api.call(ctx, "supplier", "POST", base+"/"+c.ID+"/uploads", "",
		contracts.UploadRequest{Filename: "contract-v1.pdf", ContentType: contracts.TypePDF,
			Size: int64(len(file))}, &g); err != nil {
		return "", err
	}
	if _, err := blobtest.Post(ctx, g.Grant, blobtest.Upload{Filename: "contract-v1.pdf",
		ContentType: contracts.TypePDF, Body: bytes.NewReader(file)}); err != nil {
		return "", fmt.Errorf("seed: upload %q: %w", g.Grant.Key, err)
	}
	if err := sd.waitVersion(ctx, base+"/"+c.ID+"/versions"); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s with version 1 (%d bytes)", c.ID, len(file)), nil
}

// demoWiFi is a second, internal project of another department, so that the
// portfolio has more than one row: tasks with days from today, done or started.
var demoWiFi = []struct {
	title      string
	start, due int
	to         string // the status it has reached
}{
	{"教学楼无线 AP 部署", -60, -30, "done"},
	{"宿舍区无线 AP 部署", -25, 10, "doing"},
	{"无线网络优化与验收", 10, 30, ""},
}

// portfolio has the infrastructure group's leader run the internal project.
func (sd *seeder) portfolio(ctx context.Context) (string, error) {
	req := projects.CreateRequest{Name: "校园无线网络升级改造", Department: "4",
		Year: sd.now.Year(), Budget: 45_000_000, Risk: "low", Status: "active",
		Start: sd.day(-60), End: sd.day(30), Members: []projects.MemberInput{{
			Corp: sd.d.Corp, UserID: demoUserByKey("dev2").user, Role: "member"}}}
	var pd projects.ProjectDetail
	if err := sd.api.call(ctx, "infra", "POST", "/api/projects", "xt-demo-wifi", req,
		&pd); err != nil {
		return "", err
	}
	base := "/api/tasks/" + sd.d.Corp + "/" + pd.Project.ID + "/tasks"
	for i, w := range demoWiFi {
		var t tasksapi.Task
		if err := sd.api.call(ctx, "infra", "POST", base, fmt.Sprintf("xt-demo-wifi-%d", i),
			tasksapi.CreateRequest{Title: w.title, Assignees: []string{demoUserByKey("dev2").uid()},
				Estimate: 2400, Start: sd.day(w.start), Due: sd.day(w.due)}, &t); err != nil {
			return "", err
		}
		if w.to == "" {
			continue
		}
		if err := sd.api.call(ctx, "infra", "POST", base+"/"+t.ID+"/status", "",
			tasksapi.StatusRequest{Ver: t.Ver, Status: w.to}, nil); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%s with %d tasks", pd.Project.ID, len(demoWiFi)), nil
}

// waitVersion polls until the contract has a version: the OSS trigger runs
// asynchronously, as in the cloud.
func (sd *seeder) waitVersion(ctx context.Context, path string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var vs struct{ Versions []*contracts.Version }
		if err := sd.api.call(ctx, "lead", "GET", path, "", nil, &vs); err != nil {
			return err
		}
		if len(vs.Versions) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("seed: %s: no version 30s after the upload", path)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// demoPDF is a one-page PDF that shows text, with a correct cross-reference table.
func demoPDF(text string) []byte {
	content := fmt.Sprintf("BT /F1 14 Tf 72 760 Td (%s) Tj 0 -24 Td "+
		"(xietong localdev demo) Tj ET", text)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " +
			"/Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n",
		len(objs)+1, xref)
	return b.Bytes()
}

// demoAPI calls the micro-app API through the gateway as the demo's users.
type demoAPI struct {
	gateway, ding string
	client        *http.Client
	tokens        map[string]string // session tokens by demoUser.key
}

func (s *stack) demoAPI() *demoAPI {
	return &demoAPI{gateway: s.gatewayURL, ding: s.dingURL, tokens: map[string]string{},
		client: &http.Client{Timeout: 30 * time.Second}}
}

// callError is an answer the seed did not expect: the route, the status and the body.
type callError struct {
	Method, Path string
	Status       int
	Body         string
}

// Error names the route, the status and the body.
func (e *callError) Error() string {
	return fmt.Sprintf("seed: %s %s: %d %s", e.Method, e.Path, e.Status,
		strings.TrimSpace(e.Body))
}

// call sends body (JSON, when not nil) to path as the demo user with key as (no session
// when ""), with an Idempotency-Key when key is not "", and decodes a 2xx answer into out
// (when not nil). Any other answer is a *callError.
func (a *demoAPI) call(ctx context.Context, as, method, path, key string, body,
	out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return fmt.Errorf("seed: %s %s: %w", method, path, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, a.gateway+path, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("seed: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := a.tokens[as]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	status, answer, err := a.roundTrip(req)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return &callError{Method: method, Path: path, Status: status, Body: string(answer)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("seed: %s %s: decode %.200q: %w", method, path, answer, err)
	}
	return nil
}

func (a *demoAPI) roundTrip(req *http.Request) (int, []byte, error) {
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("seed: %s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("seed: %s %s: %w", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, raw, nil
}

// authCode asks the DingTalk fake for a free-login code, as dd.requestAuthCode gives
// the micro-app one.
func (a *demoAPI) authCode(ctx context.Context, u demoUser) (string, error) {
	b, _ := json.Marshal(map[string]string{"corpId": u.corp, "userId": u.user})
	req, err := http.NewRequestWithContext(ctx, "POST", a.ding+"/_fake/authcode",
		bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	status, answer, err := a.roundTrip(req)
	if err != nil {
		return "", err
	}
	var out struct{ Code string }
	if status != http.StatusOK || json.Unmarshal(answer, &out) != nil || out.Code == "" {
		return "", &callError{Method: "POST", Path: "<dingtalk>/_fake/authcode", Status: status,
			Body: string(answer)}
	}
	return out.Code, nil
}

// printDemo tells what the demo holds and how to look at it in each role.
func printDemo(w io.Writer, s *stack, d *demo) {
	fmt.Fprintf(w, "demo: %s (%s/%s)", d.Name, d.Corp, d.Project)
	if d.Contract != "" {
		fmt.Fprintf(w, ", contract %s", d.Contract)
	}
	if d.partial {
		fmt.Fprint(w, " — an interrupted seed; localdev reset seeds it afresh")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "sessions (2h; POST /api/auth/refresh renews one):")
	for _, u := range demoUsers {
		if d.api.tokens[u.key] != "" {
			fmt.Fprintf(w, "  XT_%-9s %s %s (%s), %s\n", strings.ToUpper(u.key), u.corp,
				u.user, d.names[u.key], u.role)
		}
	}
	tries := demoTries(s.gatewayURL, d)
	fmt.Fprintln(w, "try as each role (paste the exports first):")
	exported := map[string]bool{}
	for _, t := range tries {
		if tok := d.api.tokens[t.key]; tok != "" && !exported[t.key] {
			exported[t.key] = true
			fmt.Fprintf(w, "  export XT_%s=%s\n", strings.ToUpper(t.key), tok)
		}
	}
	for _, t := range tries {
		fmt.Fprintf(w, "  # %s\n  curl -s -H \"Authorization: Bearer $XT_%s\" '%s'\n",
			t.what, strings.ToUpper(t.key), t.url)
	}
}

type demoTry struct{ what, key, url string }

func demoTries(gw string, d *demo) []demoTry {
	prj := d.Corp + "/" + d.Project
	tries := []demoTry{
		{"the lead: plan, Gantt, critical path, workload", "lead",
			gw + "/api/tasks/" + prj + "/lead"},
		{"the lead: the task tree", "lead", gw + "/api/tasks/" + prj + "/tasks?view=tree"},
		{"the supplier's contact: my tasks across organizations", "supplier",
			gw + "/api/tasks/me"},
		{"a member: my work logs this week", "supdev", gw + "/api/tasks/me/worklogs"},
		{"the executive: the portfolio by department and status", "exec",
			gw + "/api/views/executive?groupBy=department,status&drill=true"},
		{"the department manager: projects, overdue tasks, milestones at risk", "manager",
			gw + "/api/views/department"},
		{"staff who are no member: the project is refused (403)", "staff",
			gw + "/api/projects/" + prj},
	}
	if d.Contract != "" {
		tries = append(tries, demoTry{"the supplier's contact: the contract's versions",
			"supplier", gw + "/api/contracts/" + d.Corp + "/" + d.Contract + "/versions"})
	}
	return tries
}
