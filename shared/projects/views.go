package projects

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/runtime"
)

// Totals are the portfolio measures of a set of projects.
type Totals struct {
	Projects int     `json:"projects"`
	Budget   int64   `json:"budget"`
	Progress float64 `json:"progress"` // mean project progress, 0..1
	Tasks    int     `json:"tasks"`
	Open     int     `json:"open"`
	Overdue  int     `json:"overdue"`
	AtRisk   int     `json:"atRisk"`
	Estimate int64   `json:"estimate"`
	Logged   int64   `json:"logged"`
}

func totalsJSON(t plan.Totals) Totals {
	return Totals{Projects: t.Projects, Budget: t.Budget, Progress: t.Progress(),
		Tasks: t.Tasks, Open: t.Open, Overdue: t.Overdue, AtRisk: t.AtRisk,
		Estimate: t.Estimate, Logged: t.Logged}
}

// Group is one row of the executive view: the values of the groupBy
// dimensions, in order, and their totals.
type Group struct {
	Values []string `json:"values"`
	Totals Totals   `json:"totals"`
}

// PortfolioItem is one project of the executive drill-down.
type PortfolioItem struct {
	Corp       string  `json:"corp"`
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Status     string  `json:"status"`
	Department string  `json:"department,omitempty"`
	Year       int     `json:"year,omitempty"`
	Band       string  `json:"band"`
	Owner      string  `json:"owner,omitempty"`
	Risk       string  `json:"risk"`
	Budget     int64   `json:"budget"`
	Summary    Summary `json:"summary"`
}

// ExecutiveView answers GET /api/views/executive.
type ExecutiveView struct {
	Corp    string          `json:"corp"`
	GroupBy []string        `json:"groupBy"`
	Total   Totals          `json:"total"`
	Groups  []Group         `json:"groups"`
	Items   []PortfolioItem `json:"items,omitempty"`
	// Next is the cursor of the drill-down's next page, "" on the last.
	Next string `json:"next,omitempty"`
}

// DepartmentRow is one project of the department manager's view.
type DepartmentRow struct {
	PortfolioItem
	OverdueTasks []TaskRef       `json:"overdueTasks"`
	Risks        []MilestoneRisk `json:"risks"`
}

// TaskRef is a task in a view.
type TaskRef struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Due       string   `json:"due,omitempty"`
	Status    string   `json:"status"`
	Assignees []string `json:"assignees"`
}

// MilestoneRisk is a milestone at risk and why.
type MilestoneRisk struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Due      string   `json:"due"`
	Progress float64  `json:"progress"`
	Reasons  []string `json:"reasons"`
}

// DepartmentView answers GET /api/views/department.
type DepartmentView struct {
	Corp        string          `json:"corp"`
	Departments []string        `json:"departments"`
	Items       []DepartmentRow `json:"items"`
}

func (s *Service) item(sum plan.Summary) PortfolioItem {
	return PortfolioItem{Corp: sum.Corp, ID: sum.Project, Name: sum.Name,
		Status: string(sum.Status), Department: sum.Department, Year: sum.Year,
		Band: s.cfg.Bands.Of(sum.Budget), Owner: sum.Owner, Risk: string(sum.Risk),
		Budget: sum.Budget, Summary: *summaryJSON(sum)}
}

// portfolioQuery reads the dimension filters and groupBy of the query.
func portfolioQuery(r *http.Request) (plan.Query, bool, error) {
	q := r.URL.Query()
	pq := plan.Query{Filter: plan.Filter{}}
	for _, d := range plan.Dimensions {
		if vals := splitParam(q[string(d)]); len(vals) > 0 {
			pq.Filter[d] = vals
		}
	}
	for _, g := range splitParam(q["groupBy"]) {
		pq.GroupBy = append(pq.GroupBy, plan.Dimension(g))
	}
	for name := range q {
		known := slices.Contains(plan.Dimensions, plan.Dimension(name)) ||
			name == "groupBy" || name == "drill" || name == "limit" || name == "cursor"
		if !known {
			return pq, false, httpapi.Invalid(FieldError{Field: name,
				Rule: "unknown parameter; dimensions are " +
					"status, department, year, band, owner, risk"})
		}
	}
	if err := pq.Check(); err != nil {
		return pq, false, PlanError(err)
	}
	drill, err := strconv.ParseBool(cmp.Or(q.Get("drill"), "false"))
	if err != nil {
		return pq, false, httpapi.Invalid(FieldError{Field: "drill", Rule: "true or false"})
	}
	return pq, drill, nil
}

func (s *Service) executive(w http.ResponseWriter, r *http.Request, c caller) error {
	if !access.Can(c.Subject, access.ViewExecutive, access.Resource{OwnerCorp: c.Corp}) {
		return httpapi.Forbidden("see the organization's portfolio")
	}
	q, drill, err := portfolioQuery(r)
	if err != nil {
		return err
	}
	sums, err := s.portfolio(r.Context(), c.Corp)
	if err != nil {
		return err
	}
	res, err := plan.Portfolio(sums, s.cfg.Bands, q)
	if err != nil {
		return PlanError(err)
	}
	v := ExecutiveView{Corp: c.Corp, GroupBy: []string{}, Total: totalsJSON(res.Total),
		Groups: []Group{}}
	for _, d := range q.GroupBy {
		v.GroupBy = append(v.GroupBy, string(d))
	}
	for _, g := range res.Groups {
		v.Groups = append(v.Groups, Group{Values: g.Values, Totals: totalsJSON(g.Totals)})
	}
	if drill {
		if v.Items, v.Next, err = s.drill(r, sums, q.Filter); err != nil {
			return err
		}
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
	return nil
}

// drill lists a page of the projects passing f, ordered by name and id; the
// cursor is the name and id of the last one listed.
func (s *Service) drill(r *http.Request, sums []plan.Summary,
	f plan.Filter) ([]PortfolioItem, string, error) {
	limit, after, err := pageParams(r.URL.Query().Get("limit"), r.URL.Query().Get("cursor"))
	if err != nil {
		return nil, "", err
	}
	items, next := []PortfolioItem{}, ""
	for _, sum := range plan.Drill(sums, s.cfg.Bands, f) {
		pos := sum.Name + "\x00" + sum.Project
		if after != "" && pos <= after {
			continue
		}
		if len(items) == limit {
			last := items[limit-1]
			next = base64.RawURLEncoding.EncodeToString([]byte(last.Name + "\x00" + last.ID))
			break
		}
		items = append(items, s.item(sum))
	}
	return items, next, nil
}

// portfolio returns the summary of every project of corp: from the kept
// portfolio (one batch read), or, when it was not yet rebuilt today, from
// the project rows, rebuilding it.
//
// TODO(#6): rebuild each organization's portfolio from a daily timer, so
// that no view request pays for the day's first rebuild.
func (s *Service) portfolio(ctx context.Context, corp string) ([]plan.Summary, error) {
	today := s.today()
	sums, complete, err := s.store.Portfolio(ctx, corp, today)
	if err != nil || complete {
		return sums, err
	}
	since := time.Now()
	if sums, err = s.summaries(ctx, corp); err != nil {
		return nil, err
	}
	if err := s.store.RebuildPortfolio(ctx, corp, sums, today, since); err != nil {
		runtime.Logger(ctx).Warn("portfolio", "corp", corp, "error", err)
	}
	return sums, nil
}

// summaries returns the portfolio summary of every project of corp from
// the project rows (pages of up to 5,000), recomputing and storing those
// not computed today. A project whose rows do not make a valid plan is left
// out (and logged), so that one broken project does not hide the others.
func (s *Service) summaries(ctx context.Context, corp string) ([]plan.Summary, error) {
	stored, err := s.store.Summaries(ctx, corp)
	if err != nil {
		return nil, err
	}
	today := s.today()
	out := make([]plan.Summary, 0, len(stored))
	for _, ss := range stored {
		if ss.Summary != nil && ss.On == today {
			out = append(out, *ss.Summary)
			continue
		}
		sum, err := s.store.refreshColumn(ctx, corp, ss.Project, today)
		if errors.Is(err, plan.ErrInvalid) {
			runtime.Logger(ctx).Warn("portfolio", "corp", corp, "project", ss.Project,
				"error", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, nil
}

// managedDepts returns the departments c leads and every department below
// them, as strings.
func (s *Service) managedDepts(ctx context.Context, c caller) ([]string, error) {
	depts, err := s.dir.Depts(ctx, c.Corp)
	if err != nil {
		return nil, err
	}
	kids := map[int64][]int64{}
	for _, d := range depts {
		if d.Active {
			kids[d.ParentID] = append(kids[d.ParentID], d.ID)
		}
	}
	seen := map[int64]bool{}
	queue := slices.Clone(c.user.LeaderOf)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		queue = append(queue, kids[id]...)
	}
	var ids []int64
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return deptIDs(ids), nil
}

func (s *Service) department(w http.ResponseWriter, r *http.Request, c caller) error {
	if !access.Can(c.Subject, access.ViewDepartment, access.Resource{OwnerCorp: c.Corp}) {
		return httpapi.Forbidden("see department views")
	}
	ctx := r.Context()
	depts, err := s.managedDepts(ctx, c)
	if err != nil {
		return err
	}
	if want := splitParam(r.URL.Query()["department"]); len(want) > 0 {
		for _, d := range want {
			if !slices.Contains(depts, d) {
				return httpapi.Forbidden("see department " + strconv.Quote(d))
			}
		}
		depts = want
	}
	loaded, err := s.departmentPlans(ctx, c.Corp, depts)
	if err != nil {
		return err
	}
	plans, logged := make([]*plan.Plan, len(loaded)), map[string]int64{}
	for i, l := range loaded {
		plans[i] = l.Plan
		logged[l.Record.Project.ID] = l.Summary(s.today()).Logged
	}
	v := DepartmentView{Corp: c.Corp, Departments: nonNil(depts), Items: []DepartmentRow{}}
	for _, row := range plan.DepartmentView(plans, depts, s.today()) {
		row.Logged = logged[row.Project]
		v.Items = append(v.Items, departmentRow(s.item(row.Summary), row))
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
	return nil
}

// departmentPlans loads the plans of corp's projects owned by depts.
func (s *Service) departmentPlans(ctx context.Context, corp string,
	depts []string) ([]*Loaded, error) {
	recs, err := s.store.Projects(ctx, corp)
	if err != nil {
		return nil, err
	}
	var plans []*Loaded
	for _, rec := range recs {
		if !slices.Contains(depts, rec.Project.Department) {
			continue
		}
		l, err := s.store.Load(ctx, corp, rec.Project.ID)
		if err != nil {
			return nil, err
		}
		plans = append(plans, l)
	}
	return plans, nil
}

func departmentRow(it PortfolioItem, row plan.DepartmentRow) DepartmentRow {
	out := DepartmentRow{PortfolioItem: it, OverdueTasks: []TaskRef{},
		Risks: []MilestoneRisk{}}
	for _, t := range row.OverdueTasks {
		out.OverdueTasks = append(out.OverdueTasks, TaskRef{ID: t.ID, Title: t.Title,
			Due: t.Due.String(), Status: string(t.Status), Assignees: nonNil(t.Assignees)})
	}
	for _, m := range row.Risks {
		out.Risks = append(out.Risks, MilestoneRisk{ID: m.ID, Title: m.Title,
			Due: m.Due.String(), Progress: m.Progress, Reasons: nonNil(m.Reasons)})
	}
	return out
}
