package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/reports"
	"github.com/xietong/xietong/shared/tables"
	"github.com/xietong/xietong/shared/tasksapi"
)

// The users of the reports stack test. No other stack test makes them lead or
// assignee, so their reports hold only what this test made.
var (
	rsLead   = demoUser{"rs-lead", dingfake.UniversityCorp, "u-finance-head", "lead"}
	rsMember = demoUser{"rs-member", dingfake.UniversityCorp, "u-accountant", "member"}
	rsExec   = demoUser{"rs-exec", dingfake.UniversityCorp, "u-president", "executive"}
)

// rsEval is a supplier evaluation as the ledger indexes it.
type rsEval struct {
	supplierCorp, name string
	index, score       int64
	at                 time.Time
}

// TestReportsThroughLocalStack creates a project through the APIs (a task due
// today, a blocked one, an hour and a half logged yesterday; the notify function
// gives the project a group chat), writes supplier evaluations into the ledger
// index, fires the reports function's daily, weekly and monthly timers as
// `localdev trigger` does, drains the outbox with the notify function, and checks
// that each report lands in the DingTalk fake's inbox (and the weekly one in the
// project's chat) once, with figures computed here from that data; firing
// everything again adds nothing.
func TestReportsThroughLocalStack(t *testing.T) {
	st := realStack(t)
	stackTrigger(t, st, "dingtalk-callback", "reconcile")
	api := stackSignIn(t, st, rsLead, rsMember)
	ctx := context.Background()
	call := func(as demoUser, method, path string, body, out any) {
		t.Helper()
		if err := api.call(ctx, as.key, method, path, "", body, out); err != nil {
			t.Fatalf("as %s: %v", as.key, err)
		}
	}

	now := time.Now()
	today := plan.DateOf(now)
	name := fmt.Sprintf("财务报表项目 %d", now.UnixNano())
	var pd projects.ProjectDetail
	call(rsLead, "POST", "/api/projects", projects.CreateRequest{Name: name,
		Department: "6", Year: 2026, Budget: 2_000_000, Status: "active",
		Members: []projects.MemberInput{{Corp: rsMember.corp, UserID: rsMember.user,
			Role: "member"}}}, &pd)
	tasks := "/api/tasks/" + rsLead.corp + "/" + pd.Project.ID + "/tasks"
	newTask := func(title string, due plan.Date) tasksapi.Task {
		var out tasksapi.Task
		call(rsLead, "POST", tasks, tasksapi.CreateRequest{Title: title, Estimate: 480,
			Due: due.String(), Assignees: []string{rsMember.uid()}}, &out)
		return out
	}
	dueToday := newTask("月结对账", today)
	blocked := newTask("凭证归档", today+5)
	call(rsLead, "POST", tasks+"/"+blocked.ID+"/status",
		tasksapi.StatusRequest{Ver: blocked.Ver, Status: "blocked"}, nil)
	const logged = 90 // minutes, yesterday: inside the weekly report's seven days
	call(rsMember, "POST", tasks+"/"+dueToday.ID+"/worklogs",
		tasksapi.WorkLogRequest{Minutes: logged, Date: (today - 1).String()}, nil)

	// The notify function creates the project's group chat and records its id
	// on the project row; the weekly report goes to that chat too.
	stackTrigger(t, st, "notify", "drain")
	chat := rsChatID(t, st, pd.Project.ID)

	month := reports.Period(reports.Monthly, now)
	first, err := time.ParseInLocation("2006-01", month, plan.Zone)
	if err != nil {
		t.Fatal(err)
	}
	evals := []rsEval{
		{"rs-supplier-a", "甲供应商", 41, 90, first.AddDate(0, 0, 2)},
		{"rs-supplier-a", "甲供应商", 17, 70, first.AddDate(0, 0, 20)},
		{"rs-supplier-a", "甲供应商", 5, 10, first.AddDate(0, 0, -3)}, // the month before
	}
	rsWriteEvals(t, st, evals)

	want := []psNotice{
		{rsMember, "今日任务 " + today.String(),
			"今日到期 1 · 已逾期 0 · 受阻 1 · 待我审核 0"},
		{rsLead, "项目周报 " + reports.Period(reports.Weekly, now), name},
		{rsLead, "项目周报 " + reports.Period(reports.Weekly, now),
			fmt.Sprintf("近 7 天工时** %.1fh", float64(logged)/60)},
		{rsLead, "部门周报 " + reports.Period(reports.Weekly, now),
			"项目 1 · 逾期任务 0 · 风险里程碑 0"},
		{rsExec, "月度项目报告 " + month, fmt.Sprintf("项目 %d ·", rsProjects(t, st))},
		{rsExec, "月度项目报告 " + month, rsEvalLine(evals, first)},
	}
	for round := 1; round <= 2; round++ {
		for _, k := range reports.Kinds {
			stackTrigger(t, st, "reports", string(k))
		}
		stackTrigger(t, st, "notify", "drain")
		week := "项目周报 " + reports.Period(reports.Weekly, now) + " · " + name
		if got := rsChatCount(st, rsLead, chat, week); got != 1 {
			t.Errorf("round %d: chat %s has %d messages %q, want 1", round, chat, got, week)
		}
		for _, n := range want {
			if got := n.count(st); got != 1 {
				t.Errorf("round %d: %s has %d notices %q with %q, want 1", round,
					n.to.key, got, n.title, n.body)
			}
		}
	}
	if t.Failed() {
		for _, u := range []demoUser{rsLead, rsMember, rsExec} {
			for _, e := range st.ding.fake.Inbox(u.user) {
				t.Logf("inbox of %s: %s", u.key, strings.Join(jsonStrings(e.Content), "\n"))
			}
		}
	}
}

// rsChatID reads the group chat id of the university's project id.
func rsChatID(t *testing.T, st *stack, id string) string {
	t.Helper()
	row, err := stackStore(t, st).Get(context.Background(), tables.Project.Name,
		tables.Key{tables.TenantKey(dingfake.UniversityCorp), id})
	if err != nil {
		t.Fatal(err)
	}
	chat := row.String("chat_id")
	if chat == "" {
		t.Fatalf("project %s has no chat_id after a drain", id)
	}
	return chat
}

// rsChatCount is how many messages of chat in u's inbox carry title.
func rsChatCount(st *stack, u demoUser, chat, title string) int {
	n := 0
	for _, e := range st.ding.fake.Inbox(u.user) {
		if e.Kind == dingfake.KindChat && e.ChatID == chat &&
			strings.Contains(strings.Join(jsonStrings(e.Content), "\n"), title) {
			n++
		}
	}
	return n
}

// rsWriteEvals writes evaluations of the university's suppliers into the
// ledger index, in the shape the ledger function writes them.
func rsWriteEvals(t *testing.T, st *stack, evals []rsEval) {
	t.Helper()
	db := stackStore(t, st)
	for _, e := range evals {
		key := tables.Key{tables.TenantKey(dingfake.UniversityCorp), reports.EvaluationKind,
			fmt.Sprintf("%s/%020d", e.supplierCorp, e.index)}
		err := db.Put(context.Background(), tables.LedgerIndex.Name, key, tables.Cols{
			"supplier": e.name, "score": e.score, "contract_id": "", "index": e.index,
			"at_ms": e.at.UnixMilli(), "evaluator_corp": dingfake.UniversityCorp})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// rsEvalLine is the line the monthly report should give the supplier of
// evals: its evaluations in the month from first, their average and lowest
// score, and the first entry's index.
func rsEvalLine(evals []rsEval, first time.Time) string {
	var n, sum, low int64
	var idx []int64
	for _, e := range evals {
		if e.at.Before(first) || !e.at.Before(first.AddDate(0, 1, 0)) {
			continue
		}
		if n == 0 || e.score < low {
			low = e.score
		}
		n, sum = n+1, sum+e.score
		idx = append(idx, e.index)
	}
	return fmt.Sprintf("%s：评价 %d 次，平均 %.1f 分，最低 %d 分；条目 [#%d](",
		evals[0].name, n, float64(sum)/float64(n), low, slices.Min(idx))
}

// rsProjects counts the university's projects: the monthly report covers every
// project of the organization, other tests' included. Bare project rows that
// tests seed straight into the table (a name, no organization) make no plan
// and are left out of reports, so only rows naming their organization count.
func rsProjects(t *testing.T, st *stack) int {
	t.Helper()
	n := 0
	for row, err := range stackStore(t, st).Scan(context.Background(), tables.Project.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(dingfake.UniversityCorp)}}) {
		if err != nil {
			t.Fatal(err)
		}
		if row.String("corp") != "" {
			n++
		}
	}
	return n
}
