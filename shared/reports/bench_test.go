package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tables"
)

// The shape of a benchmark project.
const (
	benchTasks      = 50
	benchMembers    = 4 // a lead and three developers
	benchMilestones = 3
	benchLogsNew    = 5 // work logs in the weekly window
	benchLogsOld    = 5 // older work logs, filtered out by the server
	benchLeads      = 5 // projects per lead
)

// seedBench writes n projects of the benchmark shape straight into the
// tables with BatchWrite (rows as shared/projects writes them): a project
// row carrying its roster (projects.RosterCols), members, milestones,
// tasks, one baseline and work logs.
func (st *stack) seedBench(n int, today plan.Date) {
	st.t.Helper()
	var writes []tables.Write
	flush := func(force bool) {
		if len(writes) < 2000 && !force {
			return
		}
		errs, err := st.db.BatchWrite(context.Background(), writes)
		if err != nil {
			st.t.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				st.t.Fatal(e)
			}
		}
		writes = writes[:0]
	}
	for i := range n {
		writes = append(writes, benchProject(i, today)...)
		flush(false)
	}
	flush(true)
}

// rowsIn counts the university's rows in table.
func (st *stack) rowsIn(table string) int64 {
	st.t.Helper()
	var n int64
	for _, err := range st.db.Scan(context.Background(), table, tenantRange(uni)) {
		if err != nil {
			st.t.Fatal(err)
		}
		n++
	}
	return n
}

func put(table string, key tables.Key, cols tables.Cols) tables.Write {
	cols[tables.VerColumn] = int64(1)
	return tables.Write{Op: tables.OpPut, Table: table, Key: key, Cols: cols}
}

func benchProject(i int, today plan.Date) []tables.Write {
	tid, id := tables.TenantKey(uni), fmt.Sprintf("pb%05d", i)
	lead := fmt.Sprintf("%s:u-lead-%03d", uni, i/benchLeads)
	begin := today - 60
	users := []string{lead}
	for j := 1; j < benchMembers; j++ {
		users = append(users, fmt.Sprintf("%s:u-dev-%04d", uni, (i*3+j)%500))
	}
	var ws []tables.Write
	var members []plan.Member
	for j, u := range users {
		role := "member"
		if j == 0 {
			role = "lead"
		}
		ws = append(ws, put(tables.Member.Name, tables.Key{tid, id, u}, tables.Cols{
			"role": role, "status": "active", "uidh": tables.SaltedKey(u), "corp": uni,
			"user_id": u[len(uni)+1:], "name": "成员" + u[len(uni)+1:]}))
		members = append(members, plan.Member{User: u, Corp: uni, Name: "成员" + u[len(uni)+1:],
			Role: plan.Role(role)})
	}
	var milestones []plan.Milestone
	for m := 1; m <= benchMilestones; m++ {
		ms := plan.Milestone{ID: fmt.Sprintf("M-%d", m), Title: fmt.Sprintf("里程碑 %d", m),
			Due: begin + plan.Date(40*m), Ver: 1}
		ws = append(ws, put(tables.Milestone.Name, tables.Key{tid, id, ms.ID},
			tables.Cols{"title": ms.Title, "due": ms.Due.String(), "accepted_by": "",
				"override": "", "accepted_ms": int64(0)}))
		milestones = append(milestones, ms)
	}
	cols := tables.Cols{
		"name": "项目 " + id, "corp": uni, "org_name": "东海示范大学", "partners": "[]",
		"department": fmt.Sprint(4 + i%2), "owner": lead, "year": int64(2026),
		"budget": int64(1+i%20) * 10_000_000, "risk": "low", "status": "active",
		"start": begin.String(), "end": (today + 60).String(), "created_by": lead,
		"created_ms": begin.Time().UnixMilli(), "updated_ms": begin.Time().UnixMilli()}
	maps.Copy(cols, projects.RosterCols(members, milestones))
	ws = append(ws, put(tables.Project.Name, tables.Key{tid, id}, cols))
	var base []plan.BaselineTask
	for j := 1; j <= benchTasks; j++ {
		t := benchTask(j, users, begin, today)
		ws = append(ws, put(tables.Task.Name, tables.Key{tid, id, t.ID}, projects.TaskCols(t)))
		base = append(base, plan.BaselineTask{ID: t.ID, Milestone: t.Milestone, Title: t.Title,
			Due: t.Due - plan.Date(j%3), Estimate: t.Estimate, Status: plan.Todo})
	}
	tasks, _ := json.Marshal(base)
	ws = append(ws, put(tables.Baseline.Name, tables.Key{tid, id, "B-1"}, tables.Cols{
		"name": "基线", "saved_by": lead, "saved_on": begin.String(), "tasks": string(tasks),
		"milestones": "[]"}))
	for j := 1; j <= benchLogsNew+benchLogsOld; j++ {
		d := today - plan.Date(j%7+1)
		if j > benchLogsNew {
			d = today - 30
		}
		task := fmt.Sprintf("T-%d", j)
		ws = append(ws, put(tables.Worklog.Name, tables.Key{tid, id + "/" + task,
			fmt.Sprintf("W-%d", j)}, tables.Cols{"uid": users[j%len(users)],
			"day": d.String(), "minutes": int64(60 + j*10), "note": "", "logged_by": users[0],
			"at_ms": d.Time().UnixMilli(), "project_id": id, "task": task}))
	}
	return ws
}

// benchTask is task j: a mix of statuses, due dates spread over the
// project, chained to its predecessor every third task.
func benchTask(j int, users []string, begin, today plan.Date) plan.Task {
	statuses := []plan.Status{plan.Done, plan.Done, plan.Done, plan.Done, plan.Doing,
		plan.Doing, plan.Review, plan.Blocked, plan.Todo, plan.Todo}
	t := plan.Task{ID: fmt.Sprintf("T-%d", j), Title: fmt.Sprintf("任务 %d", j),
		Milestone: fmt.Sprintf("M-%d", 1+j%benchMilestones), Priority: plan.Normal,
		Estimate: int64(240 + 60*(j%13)), Status: statuses[j%len(statuses)],
		Assignees: []string{users[1+j%(len(users)-1)]}, Due: begin + plan.Date(j*2),
		CreatedBy: users[0], CreatedAt: begin.Time(), Ver: 1}
	if j%3 == 0 && j > 1 {
		t.After = []string{fmt.Sprintf("T-%d", j-1)}
	}
	if t.Status == plan.Done {
		t.StartedAt = (begin + plan.Date(j)).Time()
		t.FinishedAt = (today - plan.Date(j%25)).Time()
	}
	return t
}

// BenchmarkWeeklyOrgReport runs the weekly report of an organization of
// 100 and 1,000 projects of 50 tasks (all its lead and department-manager
// reports, charts included), reporting the Tablestore rows read per task.
func BenchmarkWeeklyOrgReport(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			var c otstest.ReadCounter
			st := newStackVia(b, Config{}, c.Wrap)
			at := start.AddDate(0, 0, 4) // Monday 2026-12-07
			t0 := time.Now()
			st.seedBench(n, plan.DateOf(at))
			seed := time.Since(t0)
			b.Logf("seeded %d projects, %d tasks, %d rows with BatchWrite in %v", n,
				n*benchTasks, n*(1+benchMembers+benchMilestones+benchTasks+1+benchLogsNew+
					benchLogsOld), seed.Round(time.Millisecond))
			// Loading and composing alone (no charts, no OSS, no outbox).
			t1 := time.Now()
			if _, err := st.svc.composer(context.Background(), uni, Weekly, at,
				Period(Weekly, at), &counter{}); err != nil {
				b.Fatal(err)
			}
			load := time.Since(t1)
			c.N.Store(0)
			var rows, recipients int64
			byTable := map[string]int64{}
			b.ResetTimer()
			for i := range b.N {
				res, err := st.svc.Run(context.Background(), uni, Weekly, at.AddDate(0, 0, 7*i))
				if err != nil || !res.Done {
					b.Fatalf("run: %+v, %v", res, err)
				}
				rows += res.RowsRead
				for t, n := range res.RowsByTable {
					byTable[t] += n
				}
				recipients += int64(res.Recipients)
			}
			b.StopTimer()
			tasks := float64(n * benchTasks)
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
			b.ReportMetric(float64(rows)/float64(b.N)/tasks, "rows_per_task")
			// The profile: rows read per task from each table.
			for t, read := range byTable {
				b.ReportMetric(float64(read)/float64(b.N)/tasks, "rows_per_task_"+t)
			}
			// Rows the server scans but its filters drop (work logs before the
			// week) are read all the same in
			// Tablestore's terms; this counts them too.
			dropped := st.rowsIn(tables.Worklog.Name) - byTable[tables.Worklog.Name]/int64(b.N)
			b.ReportMetric((float64(rows)/float64(b.N)+float64(dropped))/tasks,
				"scanned_rows_per_task")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(n),
				"ms_per_project")
			b.ReportMetric(float64(c.N.Load())/float64(b.N), "reads/op")
			b.ReportMetric(float64(recipients)/float64(b.N), "reports/op")
			b.ReportMetric(seed.Seconds(), "seed-s")
			b.ReportMetric(float64(load.Milliseconds()), "load-ms")
		})
	}
}
