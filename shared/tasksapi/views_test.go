package tasksapi

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tables"
)

func ids(items []MyTask) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Project+"/"+it.ID)
	}
	return out
}

func TestStaffViewAcrossOrgs(t *testing.T) {
	st := newStack(t)
	p1, p2 := st.uniProject(), st.supProject()
	mine := []string{dev1}
	st.createTask(director, p1, CreateRequest{Title: "网关", Assignees: mine, Due: "2026-12-08",
		Priority: "high"})
	st.createTask(director, p1, CreateRequest{Title: "证书", Assignees: mine, Due: "2026-12-05"})
	st.createTask(director, p1, CreateRequest{Title: "已完成", Assignees: mine})
	st.createTask(director, p1, CreateRequest{Title: "转交", Assignees: mine, Due: "2026-12-04"})
	st.createTask(acmePM, p2, CreateRequest{Title: "接口对接", Assignees: mine,
		Due: "2026-12-06"})
	st.createTask(acmePM, p2, CreateRequest{Title: "文档", Assignees: mine})
	st.createTask(acmePM, p2, CreateRequest{Title: "别人的", Assignees: []string{acmePM},
		Due: "2026-12-01"})
	st.must(200, director, "POST", p1+"/tasks/T-3/status", StatusRequest{Ver: 1,
		Status: "done"})
	st.must(200, director, "POST", p1+"/tasks/T-4/assign", AssignRequest{Ver: 1,
		Assignees: []string{dev2}})

	want := []string{"P1/T-2", "P2/T-1", "P1/T-1", "P2/T-2"}
	var got MyTasks
	st.must(200, dev1, "GET", "/api/tasks/me", nil).decode(t, &got)
	if !slices.Equal(ids(got.Items), want) {
		t.Fatalf("my tasks = %v, want %v", ids(got.Items), want)
	}
	if c := got.Items[1]; c.Corp != sup || c.ProjectName != "项目 P2" || c.Role != "member" {
		t.Errorf("supplier-owned task = %+v", c)
	}

	// Pages of two.
	var page MyTasks
	st.must(200, dev1, "GET", "/api/tasks/me?limit=2", nil).decode(t, &page)
	first := ids(page.Items)
	st.must(200, dev1, "GET", "/api/tasks/me?limit=2&cursor="+page.Next, nil).decode(t, &page)
	if all := append(first, ids(page.Items)...); !slices.Equal(all, want) || page.Next != "" {
		t.Errorf("pages = %v (next %q), want %v", all, page.Next, want)
	}

	// A lost mirror write is repaired; a stray row is dropped by readers.
	ctx := context.Background()
	rows, _, err := st.store.UserTasks(ctx, dev1, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.store.DropMirror(ctx, []tables.Key{rows[0].Key}); err != nil {
		t.Fatal(err)
	}
	st.must(200, dev1, "GET", "/api/tasks/me", nil).decode(t, &got)
	if len(got.Items) != 3 {
		t.Fatalf("after losing a mirror row: %v", ids(got.Items))
	}
	if n, err := st.store.RepairMirror(ctx, uni, "P1"); err != nil || n != 1 {
		t.Errorf("RepairMirror = %d, %v; want 1 row written", n, err)
	}
	stray := tables.Key{tables.TenantKey(uni), "u-dev-1", "o/2026-11-01/1",
		tables.TenantKey(sup) + "/P2/T-3"}
	if err := st.db.Put(ctx, tables.UserTask.Name, stray, tables.Cols{"task_ver": int64(1),
		"corp": sup, "project_id": "P2", "task": "T-3"}); err != nil {
		t.Fatal(err)
	}
	st.must(200, dev1, "GET", "/api/tasks/me", nil).decode(t, &got)
	if !slices.Equal(ids(got.Items), want) {
		t.Errorf("after repair and a stray row = %v, want %v", ids(got.Items), want)
	}
	if rows, _, _ := st.store.UserTasks(ctx, dev1, nil, 0); len(rows) != 4 {
		t.Errorf("mirror rows = %d, want 4 (the stray one deleted)", len(rows))
	}
	// The supplier's own user sees only their own list.
	st.must(200, acmePM, "GET", "/api/tasks/me", nil).decode(t, &got)
	if !slices.Equal(ids(got.Items), []string{"P2/T-3"}) {
		t.Errorf("a-pm's tasks = %v", ids(got.Items))
	}
}

func TestLeadViewCriticalPath(t *testing.T) {
	st := newStack(t)
	p1 := st.uniProject()
	st.createTask(director, p1, CreateRequest{Title: "需求", Estimate: 480,
		Assignees: []string{dev1}, Start: "2026-12-03", Due: "2026-12-03"})
	st.createTask(director, p1, CreateRequest{Title: "开发", Estimate: 960,
		After: []string{"T-1"}, Assignees: []string{dev1}, Due: "2026-12-07"})
	st.createTask(director, p1, CreateRequest{Title: "采购", Estimate: 120,
		Assignees: []string{dev2}, Due: "2026-12-04"})
	st.createTask(director, p1, CreateRequest{Title: "上线", Estimate: 240,
		After: []string{"T-2"}, Due: "2026-12-08"})
	st.must(201, director, "POST", p1+"/baselines", BaselineRequest{Name: "初始"})

	var v LeadView
	st.must(200, director, "GET", p1+"/lead?baseline=B-1", nil).decode(t, &v)
	if !slices.Equal(v.Critical.Path, []string{"T-1", "T-2", "T-4"}) || v.Critical.Length != 1680 {
		t.Errorf("critical path = %+v, want T-1 T-2 T-4 over 1680 minutes", v.Critical)
	}
	slack := map[string]int64{}
	for _, g := range v.Gantt {
		if g.Kind == "task" {
			slack[g.ID] = g.Slack
		}
	}
	if fmt.Sprint(slack) != "map[T-1:0 T-2:0 T-3:1560 T-4:0]" {
		t.Errorf("slack = %v", slack)
	}
	if len(v.Variance) != 5 || len(v.Workload) == 0 || len(v.Members) != 5 ||
		len(v.Baselines) != 1 {
		t.Errorf("lead view: %d variance rows, %d loads, %d members, %d baselines",
			len(v.Variance), len(v.Workload), len(v.Members), len(v.Baselines))
	}
	st.must(200, president, "GET", p1+"/lead", nil) // the owner's executive
	st.must(403, dev1, "GET", p1+"/lead", nil)
}

func TestWorkLogOnBehalf(t *testing.T) {
	st := newStack(t)
	p1, p2 := st.uniProject(), st.supProject()
	st.createTask(director, p1, CreateRequest{Title: "巡检", Assignees: []string{dev1}})
	st.createTask(acmePM, p2, CreateRequest{Title: "对接", Assignees: []string{dev1}})

	other := WorkLogRequest{User: dev1, Minutes: 60, Date: "2026-12-02"}
	if a := st.do(dev2, "POST", p1+"/tasks/T-1/worklogs", other, ""); a.status != 403 {
		t.Errorf("a member logging for another = %d %s, want 403", a.status, a.body)
	}
	var wl WorkLog
	st.must(201, director, "POST", p1+"/tasks/T-1/worklogs", other).decode(t, &wl)
	if !wl.OnBehalf || wl.User != dev1 || wl.LoggedBy != director {
		t.Errorf("lead's log for dev1 = %+v", wl)
	}
	st.must(201, dev1, "POST", p2+"/tasks/T-1/worklogs", WorkLogRequest{Minutes: 45,
		Date: "2026-12-03"})
	st.must(201, dev1, "POST", p1+"/tasks/T-1/worklogs", WorkLogRequest{Minutes: 30,
		Date: "2026-11-27"})

	trail, err := st.store.Trail(context.Background(), uni, 0)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(trail, func(e projects.TrailEntry) bool {
		return e.Verb == plan.WorkLogged &&
			e.Actor == director
	})
	if i < 0 || trail[i].OnBehalf != dev1 {
		t.Errorf("trail entry of the lead's log: %+v", trail)
	}

	var week MyWeek
	st.must(200, dev1, "GET", "/api/tasks/me/worklogs?week=2026-W49", nil).decode(t, &week)
	if week.From != "2026-11-30" || week.Minutes != 105 || len(week.Items) != 2 ||
		week.Items[0].Project != "P1" || week.Items[1].Corp != sup {
		t.Errorf("week 49 = %+v", week)
	}
	st.must(200, dev1, "GET", "/api/tasks/me/worklogs", nil).decode(t, &week)
	if week.Week != "2026-W49" {
		t.Errorf("default week = %s, want this week 2026-W49", week.Week)
	}
	st.must(200, dev1, "GET", "/api/tasks/me/worklogs?week=2026-W48", nil).decode(t, &week)
	if week.Minutes != 30 || week.Items[0].ProjName != "项目 P1" {
		t.Errorf("week 48 = %+v", week)
	}
	st.must(400, dev1, "GET", "/api/tasks/me/worklogs?week=2026-49", nil)
}
