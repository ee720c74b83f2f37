package projects

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// portfolio creates projects across departments 4 and 5 and returns them by
// name; "门户" has an overdue task and a milestone at risk.
func (st *stack) portfolio() map[string]ProjectDetail {
	st.t.Helper()
	out := map[string]ProjectDetail{}
	specs := []struct {
		as, name, dept, risk string
		year                 int
		budget               int64
	}{
		{appsLead, "门户", "5", "high", 2026, 50_000_00},
		{appsLead, "教务", "5", "low", 2025, 2_000_000_00},
		{infraLead, "机房", "4", "medium", 2026, 500_000_00},
		{infraLead, "网络", "4", "high", 2026, 20_000_000_00},
	}
	for _, sp := range specs {
		var d ProjectDetail
		st.must(sp.as, "POST", "/api/projects", CreateRequest{Name: sp.name,
			Department: sp.dept, Risk: sp.risk, Year: sp.year, Budget: sp.budget,
			Members: []MemberInput{{Corp: uni, UserID: "u-dev-2", Role: "member"}}},
			http.StatusCreated, &d)
		out[sp.name] = d
	}
	portal := out["门户"]
	var m Milestone
	st.must(appsLead, "POST", projectPath(portal)+"/milestones", MilestoneRequest{
		Title: "上线", Due: "2026-12-05"}, http.StatusCreated, &m)
	ctx := context.Background()
	for _, task := range []plan.Task{
		{ID: "T-1", Title: "登录改造", Milestone: m.ID, Due: plan.NewDate(2026, 12, 1),
			Assignees: []string{dev2}, Status: plan.Doing, Priority: plan.High, Ver: 1},
		{ID: "T-2", Title: "文档", Milestone: m.ID, Status: plan.Done, Priority: plan.Low,
			Ver: 1},
	} {
		if err := st.svc.Store().SaveTask(ctx, uni, portal.Project.ID, task); err != nil {
			st.t.Fatal(err)
		}
	}
	if _, err := st.svc.Store().RefreshSummary(ctx, uni, portal.Project.ID,
		plan.NewDate(2026, 12, 3)); err != nil {
		st.t.Fatal(err)
	}
	return out
}

func TestExecutiveView(t *testing.T) {
	st := newStack(t)
	st.portfolio()
	st.demoProject("合作") // dept 5, medium risk, with the supplier

	var v ExecutiveView
	st.must(president, "GET", "/api/views/executive?groupBy=department", nil,
		http.StatusOK, &v)
	if v.Total.Projects != 5 || len(v.Groups) != 2 {
		t.Fatalf("by department = %+v, want 5 projects in 2 groups", v)
	}
	byDept := map[string]Totals{}
	for _, g := range v.Groups {
		byDept[g.Values[0]] = g.Totals
	}
	if byDept["4"].Projects != 2 || byDept["5"].Projects != 3 ||
		byDept["4"].Budget != 20_500_000_00 {
		t.Errorf("groups = %+v, want 2 in dept 4 (budget 20.5M CNY), 3 in dept 5", byDept)
	}
	if v.Total.Overdue != 1 || v.Total.AtRisk != 1 || v.Total.Tasks != 2 {
		t.Errorf("total = %+v, want 1 overdue task and 1 milestone at risk of 2 tasks", v.Total)
	}

	st.must(president, "GET",
		"/api/views/executive?risk=high&year=2026&groupBy=band,risk&drill=true", nil,
		http.StatusOK, &v)
	var names []string
	for _, it := range v.Items {
		names = append(names, it.Name)
	}
	slices.Sort(names)
	if v.Total.Projects != 2 || !slices.Equal(names, []string{"网络", "门户"}) ||
		len(v.Groups) != 2 {
		t.Errorf("high-risk 2026 = %d projects %v in %d bands, want 网络 and 门户 in 2",
			v.Total.Projects, names, len(v.Groups))
	}

	seen := 0
	for cursor, pages := "", 0; pages < 5; pages++ {
		var page ExecutiveView
		st.must(president, "GET", "/api/views/executive?drill=true&limit=2&cursor="+cursor,
			nil, http.StatusOK, &page)
		seen += len(page.Items)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if seen != 5 {
		t.Errorf("drill-down pages listed %d projects, want 5", seen)
	}

	refused := []struct {
		name, as, query string
		code            int
	}{
		{"staff", dev2, "", 403},
		{"department manager", appsLead, "", 403},
		{"other org's executive sees only their own org", acmeCEO, "", 200},
		{"unknown dimension", president, "?colour=red", 400},
		{"repeated group", president, "?groupBy=risk,risk", 400},
		{"bad drill", president, "?drill=maybe", 400},
	}
	for _, tt := range refused {
		got, b := st.do(tt.as, "GET", "/api/views/executive"+tt.query, nil)
		if got != tt.code {
			t.Errorf("%s: executive view = %d %s, want %d", tt.name, got, b, tt.code)
		}
	}
	st.must(acmeCEO, "GET", "/api/views/executive", nil, http.StatusOK, &v)
	if v.Corp != sup || v.Total.Projects != 0 {
		t.Errorf("supplier executive's portfolio = %+v, want their own, empty", v)
	}
}

func TestDepartmentView(t *testing.T) {
	st := newStack(t)
	st.portfolio()
	names := func(v DepartmentView) []string {
		var out []string
		for _, it := range v.Items {
			out = append(out, it.Name)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		as    string
		query string
		want  []string
	}{
		{appsLead, "", []string{"教务", "门户"}},
		{infraLead, "", []string{"机房", "网络"}},
		{itDirector, "", []string{"教务", "机房", "网络", "门户"}},
		{itDirector, "?department=4", []string{"机房", "网络"}},
		{acmePM, "", nil},
	}
	for _, tt := range tests {
		var v DepartmentView
		st.must(tt.as, "GET", "/api/views/department"+tt.query, nil, http.StatusOK, &v)
		if got := names(v); !slices.Equal(got, tt.want) {
			t.Errorf("department view of %s%s = %v, want %v", tt.as, tt.query, got, tt.want)
		}
	}
	var v DepartmentView
	st.must(appsLead, "GET", "/api/views/department", nil, http.StatusOK, &v)
	for _, it := range v.Items {
		if it.Name != "门户" {
			continue
		}
		if len(it.OverdueTasks) != 1 || it.OverdueTasks[0].ID != "T-1" ||
			len(it.Risks) != 1 || it.Summary.Progress <= 0 {
			t.Errorf("门户 row = %+v, want T-1 overdue, M-1 at risk, some progress", it)
		}
	}
	for _, tt := range []struct{ as, query string }{
		{dev2, ""}, {appsLead, "?department=4"}, {extPM, ""},
	} {
		if got, b := st.do(tt.as, "GET", "/api/views/department"+tt.query, nil); got != 403 {
			t.Errorf("department view of %s%s = %d %s, want 403", tt.as, tt.query, got, b)
		}
	}
}

// TestPortfolioKeptOnWrite checks that the executive view reads a fixed
// number of rows once the day's portfolio is built, that writes keep it up
// to date, and that a new day or a lost shard rebuilds it from the rows.
func TestPortfolioKeptOnWrite(t *testing.T) {
	var c otstest.ReadCounter
	st := newStackVia(t, c.Wrap)
	ps := st.portfolio()
	view := func(query string) (ExecutiveView, int64) {
		t.Helper()
		st.as(president)
		before := c.N.Load()
		var v ExecutiveView
		st.must(president, "GET", "/api/views/executive"+query, nil, http.StatusOK, &v)
		return v, c.N.Load() - before
	}
	if v, _ := view(""); v.Total.Projects != 4 {
		t.Fatalf("first view: %d projects, want 4", v.Total.Projects)
	}
	if _, reads := view(""); reads != 2 {
		t.Errorf("second view read %d times, want 2 (the user with their role, portfolio)",
			reads)
	}
	p := ps["教务"]
	st.must(appsLead, "PATCH", projectPath(p), UpdateRequest{Ver: 1, Risk: ptr("high")},
		http.StatusOK, nil)
	st.demoProject("新项目")
	v, reads := view("?risk=high&drill=true")
	if v.Total.Projects != 3 || reads != 2 {
		t.Errorf("after writes: %d high-risk projects in %d reads, want 3 in 2",
			v.Total.Projects, reads)
	}
	if v, _ := view(""); v.Total.Projects != 5 {
		t.Errorf("after a create: %d projects, want 5", v.Total.Projects)
	}

	ctx := context.Background()
	if err := st.db.Delete(ctx, tables.Portfolio.Name, portfolioKey(uni, shardOf(p.Project.ID)),
		0); err != nil {
		t.Fatal(err)
	}
	if v, reads := view(""); v.Total.Projects != 5 || reads <= 2 {
		t.Errorf("after losing a shard: %d projects in %d reads, want 5 from a rebuild",
			v.Total.Projects, reads)
	}
	st.clock.Advance(24 * time.Hour)
	st.tokens = map[string]string{}
	if v, _ := view(""); v.Total.Projects != 5 || v.Total.Overdue != 1 {
		t.Errorf("next day: %+v, want 5 projects, 1 overdue task", v.Total)
	}
	if _, reads := view(""); reads != 2 {
		t.Errorf("next day, second view read %d times, want 2", reads)
	}
}

// TestExecutiveViewSkipsBrokenProject checks that a project row that makes
// no valid plan (here one with only a name) is left out of the portfolio
// instead of failing the executive view of the whole organization.
func TestExecutiveViewSkipsBrokenProject(t *testing.T) {
	st := newStack(t)
	st.portfolio()
	if _, err := st.db.Create(context.Background(), tables.Project.Name,
		projectKey(uni, "P-BROKEN"), tables.Cols{colName: "broken"}); err != nil {
		t.Fatal(err)
	}
	st.as(president)
	var v ExecutiveView
	st.must(president, "GET", "/api/views/executive?drill=true", nil, http.StatusOK, &v)
	for _, it := range v.Items {
		if it.ID == "P-BROKEN" {
			t.Errorf("the broken project is in the portfolio: %+v", it)
		}
	}
	if v.Total.Projects != 4 {
		t.Errorf("portfolio of %d projects, want the 4 valid ones", v.Total.Projects)
	}
}
