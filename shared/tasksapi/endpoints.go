package tasksapi

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tables"
)

// List limits.
const (
	defaultLimit = 100
	maxLimit     = 500
)

func (s *Service) create(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req CreateRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	in := plan.NewTask{Parent: req.Parent, Milestone: req.Milestone, Title: req.Title,
		Description: req.Description, Assignees: req.Assignees,
		Priority: plan.Priority(req.Priority), Estimate: req.Estimate,
		Start: parseDate("start", req.Start, &errs), Due: parseDate("due", req.Due, &errs),
		After: req.After}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	corp, id, err := pathProject(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	role, err := s.authorize(ctx, c, corp, id, true)
	if err != nil {
		return err
	}
	return s.idempotent(w, r, c, http.StatusCreated, req, func() (any, error) {
		return s.insert(ctx, c, corp, id, role, in)
	})
}

// insert numbers the new task from the project's counter, so concurrent
// creates never share an id, and writes it.
func (s *Service) insert(ctx context.Context, c projects.Principal, corp, id string,
	role access.ProjectRole, in plan.NewTask) (*Task, error) {
	if _, err := s.store.Project(ctx, corp, id); errors.Is(err, tables.ErrNotFound) {
		return nil, httpapi.Err(http.StatusNotFound, "project_not_found", "no such project")
	}
	n, err := s.store.NextNumber(ctx, corp, id, projects.ColNextTask)
	if err != nil {
		return nil, err
	}
	pj, err := s.load(ctx, corp, id, role, false, func(sn *plan.Snapshot) {
		sn.Seq.Task = n - 1
	})
	if err != nil {
		return nil, err
	}
	t, acts, err := pj.plan().AddTask(s.actor(c), in)
	if err != nil {
		return nil, projects.PlanError(err)
	}
	if err := s.store.SaveTask(ctx, corp, id, t); err != nil {
		return nil, err
	}
	if in.Parent != "" || len(in.After) > 0 {
		if err := s.recheck(ctx, pj, nil, t); err != nil {
			return nil, err
		}
	}
	s.afterTask(ctx, c, pj, nil, &t, acts)
	return ptr(taskJSON(pj, pj.plan().Rollup(), t, c.UID)), nil
}

// TODO(#6): every request loads the whole plan (4 range reads) and pages
// in memory; very large projects would want task pages read from the table.

func (s *Service) list(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	q := r.URL.Query()
	limit, err := limitOf(q.Get("limit"))
	if err != nil {
		return err
	}
	view := q.Get("view")
	if view != "" && view != "flat" && view != "tree" {
		return httpapi.Invalid(FieldError{Field: "view", Rule: "flat or tree"})
	}
	pj, err := s.open(r, c, false, false)
	if err != nil {
		return err
	}
	p := pj.plan()
	roll := p.Rollup()
	out := TaskList{Progress: roll.Project}
	if view == "tree" {
		out.Tree = s.tree(pj, roll, c.UID, "")
		httpapi.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	after, err := cursorOf(q.Get("cursor"))
	if err != nil {
		return err
	}
	status, assignee := q.Get("status"), q.Get("assignee")
	out.Items = []Task{}
	for _, t := range p.Tasks() {
		if after != "" && idNumber(t.ID) <= idNumber(after) {
			continue
		}
		if status != "" && string(t.Status) != status ||
			assignee != "" && !contains(t.Assignees, assignee) {
			continue
		}
		if len(out.Items) == limit {
			out.Next = cursorFor(out.Items[limit-1].ID)
			break
		}
		out.Items = append(out.Items, taskJSON(pj, roll, t, c.UID))
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) tree(pj *project, roll plan.Rollup, uid, parent string) []TreeNode {
	out := []TreeNode{}
	for _, id := range pj.plan().Children(parent) {
		t, _ := pj.plan().Task(id)
		out = append(out, TreeNode{Task: taskJSON(pj, roll, t, uid),
			Subtasks: s.tree(pj, roll, uid, id)})
	}
	return out
}

func limitOf(s string) (int, error) {
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, httpapi.Invalid(FieldError{Field: "limit",
			Rule: "a number from 1 to " + strconv.Itoa(maxLimit)})
	}
	return n, nil
}

// cursorFor and cursorOf encode the last task id of a page as an opaque
// cursor.
func cursorFor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func cursorOf(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !taskRE.Match(b) {
		return "", httpapi.Invalid(FieldError{Field: "cursor",
			Rule: "not a cursor this API returned"})
	}
	return string(b), nil
}

func idNumber(id string) int {
	n, _ := strconv.Atoi(id[min(2, len(id)):])
	return n
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Service) get(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	pj, t, err := s.openTask(r, c, false)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, taskJSON(pj, pj.plan().Rollup(), t, c.UID))
	return nil
}

func (s *Service) update(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req UpdateRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	checkVer(req.Ver, &errs)
	e := plan.TaskEdit{Title: req.Title, Description: req.Description, Estimate: req.Estimate,
		Start: optDate("start", req.Start, &errs), Due: optDate("due", req.Due, &errs),
		Milestone: req.Milestone}
	if req.Priority != nil {
		e.Priority = ptr(plan.Priority(*req.Priority))
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	return s.changeTask(w, r, c, req, mutation{ver: req.Ver,
		apply: func(p *plan.Plan, a plan.Actor, id string) ([]plan.Activity, error) {
			_, acts, err := p.EditTask(a, id, e)
			return acts, err
		}})
}

func (s *Service) assign(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req AssignRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	if checkVer(req.Ver, &errs); errs != nil {
		return httpapi.Invalid(errs...)
	}
	return s.changeTask(w, r, c, req, mutation{ver: req.Ver,
		apply: func(p *plan.Plan, a plan.Actor, id string) ([]plan.Activity, error) {
			_, acts, err := p.Assign(a, id, req.Assignees)
			return acts, err
		}})
}

func (s *Service) move(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req MoveRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	checkVer(req.Ver, &errs)
	if req.Parent == nil && req.Milestone == nil {
		errs = append(errs, FieldError{Field: "parent", Rule: "give parent and/or milestone"})
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	return s.changeTask(w, r, c, req, mutation{ver: req.Ver, structural: req.Parent != nil,
		apply: func(p *plan.Plan, a plan.Actor, id string) ([]plan.Activity, error) {
			var acts []plan.Activity
			if req.Parent != nil {
				_, more, err := p.Move(a, id, *req.Parent)
				if err != nil {
					return nil, err
				}
				acts = append(acts, more...)
			}
			if req.Milestone != nil {
				_, more, err := p.EditTask(a, id, plan.TaskEdit{Milestone: req.Milestone})
				if err != nil {
					return nil, err
				}
				acts = append(acts, more...)
			}
			return acts, nil
		}})
}

func (s *Service) status(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req StatusRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	checkVer(req.Ver, &errs)
	if req.Status == "" {
		errs = append(errs, FieldError{Field: "status",
			Rule: "required: todo, doing, review, done, " +
				"blocked or cancelled"})
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	return s.changeTask(w, r, c, req, mutation{ver: req.Ver,
		apply: func(p *plan.Plan, a plan.Actor, id string) ([]plan.Activity, error) {
			_, acts, err := p.SetStatus(a, id, plan.Status(req.Status))
			return acts, err
		}})
}

func (s *Service) progress(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req ProgressRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	checkVer(req.Ver, &errs)
	if req.Progress == nil {
		errs = append(errs, FieldError{Field: "progress", Rule: "required: percent done, 0..100"})
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	return s.changeTask(w, r, c, req, mutation{ver: req.Ver,
		apply: func(p *plan.Plan, a plan.Actor, id string) ([]plan.Activity, error) {
			_, acts, err := p.SetProgress(a, id, *req.Progress)
			return acts, err
		}})
}

func (s *Service) addDep(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req DependencyRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	checkVer(req.Ver, &errs)
	if !taskRE.MatchString(req.After) {
		errs = append(errs, FieldError{Field: "after", Rule: "required: a task id T-<n>"})
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	return s.changeTask(w, r, c, req, mutation{ver: req.Ver, structural: true,
		apply: func(p *plan.Plan, a plan.Actor, id string) ([]plan.Activity, error) {
			_, acts, err := p.AddDependency(a, id, req.After)
			return acts, err
		}})
}

func (s *Service) removeDep(w http.ResponseWriter, r *http.Request,
	c projects.Principal) error {
	ver, err := strconv.ParseInt(r.URL.Query().Get("ver"), 10, 64)
	if err != nil || ver < 1 {
		return httpapi.Invalid(FieldError{Field: "ver",
			Rule: "required query parameter: the task's version"})
	}
	pred := r.PathValue("pred")
	if !taskRE.MatchString(pred) {
		return httpapi.Invalid(FieldError{Field: "pred", Rule: "a task id T-<n>"})
	}
	return s.changeTask(w, r, c, nil, mutation{ver: ver,
		apply: func(p *plan.Plan, a plan.Actor, id string) ([]plan.Activity, error) {
			_, acts, err := p.RemoveDependency(a, id, pred)
			return acts, err
		}})
}
