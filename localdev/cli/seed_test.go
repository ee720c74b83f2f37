package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tasksapi"
)

// TestSeedShowsEachRoleItsView seeds the demo into a local cloud running the real s.yaml
// and reads it back through the APIs as each role; then restarts the stack on the same
// data and seeds again (with the marker file, and without it) and finds nothing changed.
func TestSeedShowsEachRoleItsView(t *testing.T) {
	data := t.TempDir()
	st, stop := demoStack(t, data)
	ctx := context.Background()
	var out bytes.Buffer
	d, err := st.seedDemo(ctx, &out)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	for i := range seedSteps {
		if want := fmt.Sprintf("seed %d/%d %s ... ", i+1, len(seedSteps),
			seedSteps[i].name); !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, out.String())
		}
	}
	v := demoReader{t: t, ctx: ctx, d: d}
	t.Run("access", func(t *testing.T) { v.t = t; v.checkAccess() })
	t.Run("lead", func(t *testing.T) { v.t = t; v.checkLead() })
	t.Run("supplier", func(t *testing.T) { v.t = t; v.checkSupplier() })
	t.Run("staff", func(t *testing.T) { v.t = t; v.checkOutsider("staff") })
	t.Run("supplier executive", func(t *testing.T) { v.t = t; v.checkOutsider("supexec") })
	t.Run("executive", func(t *testing.T) { v.t = t; v.checkExecutive() })
	t.Run("department manager", func(t *testing.T) { v.t = t; v.checkDepartment() })
	v.t = t
	before := v.snapshot()
	stop()

	st, _ = demoStack(t, data) // a restart: same .localdev
	var again bytes.Buffer
	d2, err := st.seedDemo(ctx, &again)
	if err != nil || d2.Project != d.Project || !strings.Contains(again.String(), "skipped") {
		t.Fatalf("seed after restart = %v, %v\n%s; want project %s skipped", d2, err,
			again.String(), d.Project)
	}
	v.d = d2
	if diff := cmp.Diff(before, v.snapshot()); diff != "" {
		t.Errorf("seed after restart changed the demo (-before +after):\n%s", diff)
	}

	// Without the marker the seed finds the project and still writes nothing.
	if err := os.Remove(st.markerPath()); err != nil {
		t.Fatal(err)
	}
	d3, err := st.seedDemo(ctx, &again)
	if err != nil || !d3.partial || d3.Project != d.Project {
		t.Fatalf("seed without marker = %+v, %v; want the partial project %s", d3, err,
			d.Project)
	}
	if diff := cmp.Diff(before, v.snapshot()); diff != "" {
		t.Errorf("seed without marker changed the demo (-before +after):\n%s", diff)
	}
}

// demoStack runs the real s.yaml with realStack's binaries over emulators of its own on
// data, so that other tests' rows do not show in the demo's views; stop closes it (and
// runs at cleanup when not called).
func demoStack(t *testing.T, data string) (*stack, func()) {
	t.Helper()
	bins := realBinaries(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	st, err := startStack(context.Background(), stackConfig{
		proj: project{root: root, sfile: filepath.Join(root, "s.yaml"), data: data},
		addr: "127.0.0.1:0", maxInstances: 2, out: &syncBuffer{}, noTimers: true,
		binaries: bins,
	})
	if err != nil {
		t.Fatalf("start the demo stack: %v", err)
	}
	var once sync.Once
	stop := func() { once.Do(st.close) }
	t.Cleanup(stop)
	return st, stop
}

// demoReader reads the seeded demo through the gateway with the seed's sessions.
type demoReader struct {
	t   *testing.T
	ctx context.Context
	d   *demo
}

func (v demoReader) project() string { return "/api/projects/" + v.d.Corp + "/" + v.d.Project }
func (v demoReader) tasks() string   { return "/api/tasks/" + v.d.Corp + "/" + v.d.Project }
func (v demoReader) contract() string {
	return "/api/contracts/" + v.d.Corp + "/" + v.d.Contract
}

// get reads path as the demo user as into out, and fails unless it answers 200.
func (v demoReader) get(as, path string, out any) {
	v.t.Helper()
	if err := v.d.api.call(v.ctx, as, "GET", path, "", nil, out); err != nil {
		v.t.Fatalf("as %s: %v", as, err)
	}
}

// status is the status of GET path as the demo user as.
func (v demoReader) status(as, path string) int {
	v.t.Helper()
	err := v.d.api.call(v.ctx, as, "GET", path, "", nil, nil)
	var ce *callError
	switch {
	case err == nil:
		return 200
	case errors.As(err, &ce):
		return ce.Status
	}
	v.t.Fatalf("as %s: GET %s: %v", as, path, err)
	return 0
}

func (v demoReader) checkAccess() {
	for _, c := range []struct {
		as, path string
		want     int
	}{
		{"lead", v.project(), 200},
		{"viewer", v.tasks() + "/tasks", 200},
		{"supplier", v.project(), 200},
		{"supplier", v.contract() + "/versions", 200},
		{"exec", v.project(), 200},
		{"exec", v.tasks() + "/tasks", 200},
		{"staff", v.project(), 403},
		{"staff", v.tasks() + "/tasks", 403},
		{"staff", v.tasks() + "/lead", 403},
		{"staff", v.contract() + "/versions", 403},
		{"staff", "/api/views/executive", 403},
		{"supexec", v.project(), 403},
		{"supexec", v.tasks() + "/tasks", 403},
		{"supexec", v.contract(), 403},
	} {
		if got := v.status(c.as, c.path); got != c.want {
			v.t.Errorf("GET %s as %s = %d, want %d", c.path, c.as, got, c.want)
		}
	}
}

// checkLead: the lead sees the project, its members and milestones, and a plan with
// subtasks, done work, one overdue task, work logs and a milestone at risk.
func (v demoReader) checkLead() {
	var pd projects.ProjectDetail
	v.get("lead", v.project(), &pd)
	if pd.Project.Role != "lead" || len(pd.Members) != 6 || len(pd.Milestones) != 3 ||
		len(pd.Project.Partners) != 1 {
		v.t.Errorf("project = role %q, %d members, %d milestones, partners %v; want lead, 6, "+
			"3 and the supplier", pd.Project.Role, len(pd.Members), len(pd.Milestones),
			pd.Project.Partners)
	}
	var tl tasksapi.TaskList
	v.get("lead", v.tasks()+"/tasks", &tl)
	today := time.Now().In(plan.Zone).Format(time.DateOnly)
	var done, sub int
	var overdue []string
	for _, t := range tl.Items {
		done += b2int(t.Status == "done")
		sub += b2int(t.Parent != "")
		if t.Due < today && t.Status != "done" && t.Status != "cancelled" {
			overdue = append(overdue, t.ID)
		}
	}
	final := map[string]string{} // each task's last move in the seed
	for _, m := range demoMoves {
		final[m.ref] = m.to
	}
	wantDone := 0
	for _, to := range final {
		wantDone += b2int(to == "done")
	}
	if len(tl.Items) != len(demoTasks) || done != wantDone || wantDone == 0 || sub < 5 ||
		!slices.Equal(overdue, []string{v.d.Overdue}) {
		v.t.Errorf("tasks: %d, %d done, %d subtasks, overdue %v; want %d, %d, >= 5, [%s]",
			len(tl.Items), done, sub, overdue, len(demoTasks), wantDone, v.d.Overdue)
	}
	var lv tasksapi.LeadView
	v.get("lead", v.tasks()+"/lead", &lv)
	var logged int64
	for _, l := range lv.Workload {
		logged += l.Logged
	}
	if len(lv.Risks) == 0 || len(lv.Critical.Path) == 0 || logged == 0 {
		v.t.Errorf("lead view: risks %v, critical %v, %d minutes logged; want all non-empty",
			lv.Risks, lv.Critical, logged)
	}
}

// checkSupplier: the supplier's contact sees the one project it works in, its own open
// tasks there, and the contract with its uploaded version.
func (v demoReader) checkSupplier() {
	var pl projects.ProjectList
	v.get("supplier", "/api/projects", &pl)
	if len(pl.Items) != 1 || pl.Items[0].ID != v.d.Project || pl.Items[0].Role != "supplier" {
		v.t.Errorf("supplier's projects = %+v, want only %s as supplier", pl.Items, v.d.Project)
	}
	var mine tasksapi.MyTasks
	v.get("supplier", "/api/tasks/me", &mine)
	me := demoUserByKey("supplier").uid()
	for _, t := range mine.Items {
		if t.Project != v.d.Project || !slices.Contains(t.Assignees, me) {
			v.t.Errorf("supplier's task %s of %s, assignees %v: not its own demo task", t.ID,
				t.Project, t.Assignees)
		}
	}
	if len(mine.Items) == 0 {
		v.t.Error("the supplier's contact has no open task")
	}
	var vs struct{ Versions []*contracts.Version }
	v.get("supplier", v.contract()+"/versions", &vs)
	if len(vs.Versions) != 1 {
		v.t.Errorf("contract versions = %d, want 1", len(vs.Versions))
	}
}

// checkOutsider: a user who is no member (of the university or of the supplier) lists
// no project and has no task.
func (v demoReader) checkOutsider(as string) {
	var pl projects.ProjectList
	v.get(as, "/api/projects", &pl)
	for _, p := range pl.Items {
		if p.ID == v.d.Project {
			v.t.Errorf("%s lists the demo project", as)
		}
	}
	var mine tasksapi.MyTasks
	v.get(as, "/api/tasks/me", &mine)
	if len(mine.Items) != 0 {
		v.t.Errorf("%s has tasks %+v, want none", as, mine.Items)
	}
}

// checkExecutive: the university's executive sees the project in the portfolio, with
// its overdue task and milestone at risk, without being a member.
func (v demoReader) checkExecutive() {
	var ev projects.ExecutiveView
	v.get("exec", "/api/views/executive?groupBy=department,status&drill=true", &ev)
	var found *projects.PortfolioItem
	for i, it := range ev.Items {
		if it.ID == v.d.Project {
			found = &ev.Items[i]
		}
	}
	if found == nil || found.Summary.Overdue != 1 || found.Summary.AtRisk != 1 ||
		found.Summary.Logged == 0 || ev.Total.Projects != 2 || len(ev.Groups) != 2 {
		v.t.Errorf("executive view = %+v; want the demo project with 1 overdue, 1 at risk, "+
			"work logged, among 2 projects in 2 groups", ev)
	}
}

// checkDepartment: the IT office's director, who is no member, sees the project of the
// department below his with its overdue task.
func (v demoReader) checkDepartment() {
	var dv projects.DepartmentView
	v.get("manager", "/api/views/department", &dv)
	for _, row := range dv.Items {
		if row.ID != v.d.Project {
			continue
		}
		if len(row.OverdueTasks) != 1 || row.OverdueTasks[0].ID != v.d.Overdue {
			v.t.Errorf("department row overdue = %+v, want [%s]", row.OverdueTasks, v.d.Overdue)
		}
		return
	}
	v.t.Errorf("department view %+v lacks the demo project", dv)
}

// snapshot is what the demo's users see, to compare before and after a seed.
func (v demoReader) snapshot() []string {
	var out []string
	var pl projects.ProjectList
	v.get("lead", "/api/projects", &pl)
	for _, p := range pl.Items {
		out = append(out, fmt.Sprintf("project %s/%s ver %d", p.Corp, p.ID, p.Ver))
	}
	var tl tasksapi.TaskList
	v.get("lead", v.tasks()+"/tasks", &tl)
	for _, t := range tl.Items {
		out = append(out, fmt.Sprintf("task %s ver %d %s", t.ID, t.Ver, t.Status))
		var logs, comments struct{ Items []any }
		v.get("lead", v.tasks()+"/tasks/"+t.ID+"/worklogs", &logs)
		v.get("lead", v.tasks()+"/tasks/"+t.ID+"/comments", &comments)
		out = append(out, fmt.Sprintf("task %s: %d logs, %d comments", t.ID, len(logs.Items),
			len(comments.Items)))
	}
	var pd projects.ProjectDetail
	v.get("lead", v.project(), &pd)
	for _, m := range pd.Milestones {
		out = append(out, fmt.Sprintf("milestone %s ver %d", m.ID, m.Ver))
	}
	var cs struct{ Contracts []*contracts.Contract }
	v.get("lead", "/api/contracts/"+v.d.Corp+"?projectId="+v.d.Project, &cs)
	for _, c := range cs.Contracts {
		out = append(out, fmt.Sprintf("contract %s ver %d", c.ID, c.Ver))
	}
	return out
}

func b2int(b bool) int {
	if b {
		return 1
	}
	return 0
}
