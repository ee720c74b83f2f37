package tasksapi

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// MyTask is one open task assigned to the caller, in any project of any
// organization.
type MyTask struct {
	Corp        string   `json:"corp"`
	OrgName     string   `json:"orgName,omitempty"`
	Project     string   `json:"project"`
	ProjectName string   `json:"projectName"`
	Role        string   `json:"role"`
	ID          string   `json:"id"`
	Parent      string   `json:"parent,omitempty"`
	Milestone   string   `json:"milestone,omitempty"`
	Title       string   `json:"title"`
	Status      string   `json:"status"`
	Priority    string   `json:"priority"`
	Start       string   `json:"start,omitempty"`
	Due         string   `json:"due,omitempty"`
	Estimate    int64    `json:"estimate"`
	Progress    int      `json:"progress"`
	Assignees   []string `json:"assignees"`
	Ver         int64    `json:"ver"`
	Moves       []string `json:"moves"`
}

// MyTasks answers GET /api/tasks/me: the caller's open tasks by due date
// (undated last), then higher priority first. Next is the opaque cursor of
// the following page, absent on the last.
type MyTasks struct {
	Items []MyTask `json:"items"`
	Next  string   `json:"next,omitempty"`
}

// MyWeek answers GET /api/tasks/me/worklogs: the work the caller did (logged
// by them or for them) in one ISO week, across projects and organizations.
type MyWeek struct {
	Week    string    `json:"week"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Minutes int64     `json:"minutes"`
	Items   []WorkLog `json:"items"`
}

func (s *Service) me(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	q := r.URL.Query()
	limit, err := limitOf(q.Get("limit"))
	if err != nil {
		return err
	}
	start, err := mirrorCursor(c.UID, q.Get("cursor"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	rows, next, err := s.store.UserTasks(ctx, c.UID, start, limit)
	if err != nil {
		return err
	}
	items, err := s.myTasks(ctx, c, rows)
	if err != nil {
		return err
	}
	out := MyTasks{Items: items}
	if next != nil {
		out.Next = mirrorCursorFor(next)
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

// mirrorCursorFor encodes the key a page of the mirror stops at; only its
// last two parts, so a cursor never leaves the caller's own list.
func mirrorCursorFor(k tables.Key) string {
	sk, _ := k[2].(string)
	ref, _ := k[3].(string)
	return base64.RawURLEncoding.EncodeToString([]byte(sk + "\n" + ref))
}

func mirrorCursor(uid, s string) (tables.Key, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	sk, ref, ok := strings.Cut(string(b), "\n")
	if err != nil || !ok {
		return nil, httpapi.Invalid(FieldError{Field: "cursor",
			Rule: "not a cursor this API returned"})
	}
	corp, user, _ := strings.Cut(uid, ":")
	return tables.Key{tables.TenantKey(corp), user, sk, ref}, nil
}

// myTasks checks mirror rows against the task rows they copy: a row whose
// task is gone, closed, no longer the caller's, or in a project the caller
// left is dropped from the answer and deleted; a row older than its task is
// rewritten, and one under a sort key the task no longer has is deleted.
// The answer is therefore as fresh as the task rows.
func (s *Service) myTasks(ctx context.Context, c projects.Principal,
	rows []projects.MirrorRow) ([]MyTask, error) {
	roles, refs, err := s.memberships(ctx, c.UID)
	if err != nil {
		return nil, err
	}
	names, err := s.projectNames(ctx, refs)
	if err != nil {
		return nil, err
	}
	var keys []tables.Key
	var live []projects.MirrorRow
	for _, m := range rows {
		if roles[m.Corp+"/"+m.Project] != "" {
			keys = append(keys, tables.Key{tables.TenantKey(m.Corp), m.Project, m.Task})
			live = append(live, m)
		}
	}
	res, err := s.db.BatchGet(ctx, tables.Task.Name, keys)
	if err != nil {
		return nil, err
	}
	var out []MyTask
	var stale []tables.Key
	seen := map[string]bool{}
	for i, m := range live {
		ref := m.Corp + "/" + m.Project + "/" + m.Task
		t, ok := mine(res[i], c.UID)
		if ok && !seen[ref] {
			seen[ref] = true
			role := roles[m.Corp+"/"+m.Project]
			out = append(out, myTask(m, names[m.Corp+"/"+m.Project], role, t, c.UID))
		}
		if !ok {
			stale = append(stale, m.Key)
			continue
		}
		want := projects.MirrorKey(c.UID, m.Corp, m.Project, &t)
		if want.String() != m.Key.String() {
			stale = append(stale, m.Key) // the task's due date or priority moved
		}
		if t.Ver != m.TaskVer {
			s.repair(ctx, m, t)
		}
	}
	s.dropStale(ctx, rows, live, stale)
	slices.SortStableFunc(out, func(a, b MyTask) int {
		return cmp.Or(compareDue(a.Due, b.Due), cmp.Compare(prioRank(b.Priority),
			prioRank(a.Priority)))
	})
	if out == nil {
		out = []MyTask{}
	}
	return out, nil
}

// mine decodes a task row read for uid's list; ok is false when the task is
// gone, closed or no longer assigned to uid.
func mine(r tables.Result, uid string) (plan.Task, bool) {
	if r.Err != nil || r.Row == nil {
		return plan.Task{}, false
	}
	t, err := projects.TaskFrom(r.Row)
	if err != nil || t.Status.Closed() || !slices.Contains(t.Assignees, uid) {
		return plan.Task{}, false
	}
	return t, true
}

// memberships returns the caller's role per "corp/project" and the list.
func (s *Service) memberships(ctx context.Context, uid string) (map[string]string,
	[]projects.Membership, error) {
	ms, err := s.store.Memberships(ctx, uid)
	if err != nil {
		return nil, nil, err
	}
	roles := map[string]string{}
	for _, m := range ms {
		roles[m.Corp+"/"+m.Project] = string(m.Role)
	}
	return roles, ms, nil
}

// projectNames reads the names of the projects refs, by "corp/project".
func (s *Service) projectNames(ctx context.Context,
	refs []projects.Membership) (map[string]projects.Record, error) {
	recs, err := s.store.Records(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]projects.Record, len(recs))
	for _, r := range recs {
		out[r.Project.Org.Corp+"/"+r.Project.ID] = r
	}
	return out, nil
}

func (s *Service) repair(ctx context.Context, m projects.MirrorRow, t plan.Task) {
	if err := s.store.MirrorTask(ctx, m.Corp, m.Project, m.ProjectName, nil, &t); err != nil {
		runtime.Logger(ctx).Warn("mirror repair", "task", m.Task, "error", err)
	}
}

// dropStale deletes the rows of the page that no live task accounts for:
// those of projects the caller left and those found stale.
func (s *Service) dropStale(ctx context.Context, rows, live []projects.MirrorRow,
	stale []tables.Key) {
	if len(rows) != len(live) {
		for _, m := range rows {
			if !slices.ContainsFunc(live, func(l projects.MirrorRow) bool {
				return l.Key.String() == m.Key.String()
			}) {
				stale = append(stale, m.Key)
			}
		}
	}
	if len(stale) == 0 {
		return
	}
	if err := s.store.DropMirror(ctx, stale); err != nil {
		runtime.Logger(ctx).Warn("mirror drop", "rows", len(stale), "error", err)
	}
}

func myTask(m projects.MirrorRow, rec projects.Record, role string, t plan.Task,
	uid string) MyTask {
	out := MyTask{Corp: m.Corp, OrgName: rec.Project.Org.Name, Project: m.Project,
		ProjectName: cmp.Or(rec.Project.Name, m.ProjectName), Role: role, ID: t.ID,
		Parent: t.Parent, Milestone: t.Milestone, Title: t.Title, Status: string(t.Status),
		Priority: string(t.Priority), Start: t.Start.String(), Due: t.Due.String(),
		Estimate: t.Estimate, Progress: t.Progress, Assignees: nonNil(t.Assignees),
		Ver: t.Ver, Moves: []string{}}
	for _, mv := range plan.Moves(plan.Role(role), t.Status, slices.Contains(t.Assignees, uid)) {
		out.Moves = append(out.Moves, string(mv))
	}
	return out
}

func compareDue(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return strings.Compare(a, b)
}

func prioRank(p string) int { return plan.Priority(p).Rank() }

func (s *Service) myLogs(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	from, err := weekStart(r.URL.Query().Get("week"), s.today())
	if err != nil {
		return err
	}
	to := from + 6
	ctx := r.Context()
	logs, err := s.store.UserWorkLogs(ctx, c.UID, from, to)
	if err != nil {
		return err
	}
	_, refs, err := s.memberships(ctx, c.UID)
	if err != nil {
		return err
	}
	names, err := s.projectNames(ctx, refs)
	if err != nil {
		return err
	}
	out := MyWeek{Week: from.Week().String(), From: from.String(), To: to.String(),
		Items: []WorkLog{}}
	for _, l := range logs {
		wl := workLogJSON(l.WorkLog)
		wl.Corp, wl.Project = l.Corp, l.Project
		wl.ProjName = names[l.Corp+"/"+l.Project].Project.Name
		out.Items = append(out.Items, wl)
		out.Minutes += l.Minutes
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

// weekStart returns the Monday of ISO week s ("2026-W49"), or of today's
// week when s is empty.
func weekStart(s string, today plan.Date) (plan.Date, error) {
	if s == "" {
		return today - plan.Date((int(today.Weekday())+6)%7), nil
	}
	var y, wk int
	if _, err := fmt.Sscanf(s, "%4d-W%2d", &y, &wk); err != nil || wk < 1 || wk > 53 ||
		len(s) != 8 || y < 2000 || y > 2100 {
		return 0, httpapi.Invalid(FieldError{Field: "week",
			Rule: "an ISO week YYYY-Www, e.g. 2026-W49"})
	}
	jan4 := plan.NewDate(y, time.January, 4)
	mon := jan4 - plan.Date((int(jan4.Weekday())+6)%7) + plan.Date(7*(wk-1))
	if mon.Week().Week != wk {
		return 0, httpapi.Invalid(FieldError{Field: "week",
			Rule: fmt.Sprintf("%d has no week %d", y, wk)})
	}
	return mon, nil
}
