package tasksapi

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

var (
	corpRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	idRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	taskRE = regexp.MustCompile(`^T-[0-9]{1,9}$`)
)

// project is a loaded project and the caller's role in it.
type project struct {
	corp, id string
	role     access.ProjectRole
	l        *projects.Loaded
	full     bool // work logs, comments and baselines are loaded too
}

func (pj *project) plan() *plan.Plan { return pj.l.Plan }

// pathProject validates the {corp} and {project} of the path.
func pathProject(r *http.Request) (string, string, error) {
	corp, id := r.PathValue("corp"), r.PathValue("project")
	var errs []FieldError
	if !corpRE.MatchString(corp) {
		errs = append(errs, FieldError{Field: "corp", Rule: "a corp id, 1-64 of A-Z a-z 0-9 _ . -"})
	}
	if !idRE.MatchString(id) {
		errs = append(errs, FieldError{Field: "project",
			Rule: "a project id, 1-64 of A-Z a-z 0-9 _ -"})
	}
	if errs != nil {
		return "", "", httpapi.Invalid(errs...)
	}
	return corp, id, nil
}

func pathTask(r *http.Request) (string, error) {
	id := r.PathValue("task")
	if !taskRE.MatchString(id) {
		return "", httpapi.Invalid(FieldError{Field: "task", Rule: "a task id T-<n>"})
	}
	return id, nil
}

// openTask opens the project of a read request (see open) and finds the
// task its path names; an unknown task is a 404.
func (s *Service) openTask(r *http.Request, c projects.Principal, full bool) (*project,
	plan.Task, error) {
	id, err := pathTask(r)
	if err != nil {
		return nil, plan.Task{}, err
	}
	pj, err := s.open(r, c, false, full)
	if err != nil {
		return nil, plan.Task{}, err
	}
	t, ok := pj.plan().Task(id)
	if !ok {
		return nil, plan.Task{}, noTask(id)
	}
	return pj, t, nil
}

// noTask is the answer for a task id the project does not have.
func noTask(id string) error {
	return httpapi.Err(http.StatusNotFound, "task_not_found", "no task "+id+" in the project")
}

// authorize checks, before anything about the project is revealed, that
// the caller may read it (a member, or an executive of the owner) and, for
// a write, that the caller is a member; the plan checks the role.
func (s *Service) authorize(ctx context.Context, c projects.Principal, corp, id string,
	write bool) (access.ProjectRole, error) {
	role, err := s.store.Role(ctx, corp, id, c.UID)
	if err != nil {
		return role, err
	}
	if !access.Can(c.Subject, access.ProjectView, access.Resource{OwnerCorp: corp,
		ProjectRole: role}) {
		return role, httpapi.Forbidden("see this project")
	}
	if write && role == access.NotMember {
		return role, httpapi.Forbidden("change a project you are not a member of")
	}
	return role, nil
}

// open authorizes the caller on the project of the path and loads it (with
// its records when full).
func (s *Service) open(r *http.Request, c projects.Principal, write,
	full bool) (*project, error) {
	corp, id, err := pathProject(r)
	if err != nil {
		return nil, err
	}
	role, err := s.authorize(r.Context(), c, corp, id, write)
	if err != nil {
		return nil, err
	}
	return s.load(r.Context(), corp, id, role, full, nil)
}

func (s *Service) load(ctx context.Context, corp, id string, role access.ProjectRole,
	full bool, adjust func(*plan.Snapshot)) (*project, error) {
	var l *projects.Loaded
	var err error
	if full {
		l, err = s.store.LoadFull(ctx, corp, id, adjust)
	} else {
		l, err = s.store.LoadWith(ctx, corp, id, adjust)
	}
	if errors.Is(err, tables.ErrNotFound) {
		return nil, httpapi.Err(http.StatusNotFound, "project_not_found", "no such project")
	}
	if err != nil {
		return nil, err
	}
	return &project{corp: corp, id: id, role: role, l: l, full: full}, nil
}

// taskJSON renders t of pj for the caller uid; roll is the plan's rollup.
func taskJSON(pj *project, roll plan.Rollup, t plan.Task, uid string) Task {
	out := Task{ID: t.ID, Parent: t.Parent, Milestone: t.Milestone, Title: t.Title,
		Description: t.Description, Assignees: nonNil(t.Assignees),
		Priority: string(t.Priority), Estimate: t.Estimate, Start: t.Start.String(),
		Due: t.Due.String(), After: nonNil(t.After), Status: string(t.Status),
		Progress: t.Progress, Rollup: roll.Tasks[t.ID], CreatedBy: t.CreatedBy,
		CreatedAt: t.CreatedAt.UTC(), Ver: t.Ver, Children: nonNil(pj.plan().Children(t.ID)),
		Moves: []string{}}
	if !t.StartedAt.IsZero() {
		at := t.StartedAt.UTC()
		out.StartedAt = &at
	}
	if !t.FinishedAt.IsZero() {
		at := t.FinishedAt.UTC()
		out.FinishedAt = &at
	}
	own := slices.Contains(t.Assignees, uid)
	for _, m := range plan.Moves(plan.Role(pj.role), t.Status, own) {
		out.Moves = append(out.Moves, string(m))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func checkVer(v int64, errs *[]FieldError) {
	if v < 1 {
		*errs = append(*errs, FieldError{Field: "ver",
			Rule: "required: the version you read (>= 1)"})
	}
}

// parseDate parses an optional date of input field.
func parseDate(field, s string, errs *[]FieldError) plan.Date {
	d, err := plan.ParseDate(s)
	if err != nil {
		*errs = append(*errs, FieldError{Field: field, Rule: "not a date YYYY-MM-DD: " + s})
	}
	return d
}

func optDate(field string, s *string, errs *[]FieldError) *plan.Date {
	if s == nil {
		return nil
	}
	d := parseDate(field, *s, errs)
	return &d
}

// mutation is a change to one task under an expected version.
type mutation struct {
	ver int64
	// structural changes (parent, dependencies) are checked again after
	// the write against concurrent ones, and undone if together they loop.
	structural bool
	apply      func(p *plan.Plan, a plan.Actor, id string) ([]plan.Activity, error)
}

// changeTask applies m to the task of the path and answers with it.
func (s *Service) changeTask(w http.ResponseWriter, r *http.Request, c projects.Principal,
	req any, m mutation) error {
	id, err := pathTask(r)
	if err != nil {
		return err
	}
	pj, err := s.open(r, c, true, false)
	if err != nil {
		return err
	}
	return s.idempotent(w, r, c, http.StatusOK, req, func() (any, error) {
		return s.mutate(r.Context(), c, pj, id, m)
	})
}

func (s *Service) mutate(ctx context.Context, c projects.Principal, pj *project, id string,
	m mutation) (*Task, error) {
	p := pj.plan()
	before, ok := p.Task(id)
	if !ok {
		return nil, noTask(id)
	}
	if before.Ver != m.ver {
		return nil, httpapi.Conflict(taskJSON(pj, p.Rollup(), before, c.UID))
	}
	acts, err := m.apply(p, s.actor(c), id)
	if err != nil {
		return nil, projects.PlanError(err)
	}
	after, _ := p.Task(id)
	if len(acts) == 0 {
		after.Ver = m.ver
		return ptr(taskJSON(pj, p.Rollup(), after, c.UID)), nil
	}
	if after.Ver, err = s.saveTask(ctx, c, pj, after, m.ver); err != nil {
		return nil, err
	}
	if m.structural {
		if err := s.recheck(ctx, pj, &before, after); err != nil {
			return nil, err
		}
	}
	s.afterTask(ctx, c, pj, &before, &after, acts)
	return ptr(taskJSON(pj, p.Rollup(), after, c.UID)), nil
}

func ptr[T any](v T) *T { return &v }

// saveTask writes t over the row at version ver; a lost race answers 409
// with the task as it now stands.
func (s *Service) saveTask(ctx context.Context, c projects.Principal, pj *project,
	t plan.Task, ver int64) (int64, error) {
	nv, err := s.store.UpdateTask(ctx, pj.corp, pj.id, t, ver)
	if row, ok := tables.Current(err); ok {
		cur, derr := projects.TaskFrom(row)
		if derr != nil {
			return 0, derr
		}
		return 0, httpapi.Conflict(taskJSON(pj, pj.plan().Rollup(), cur, c.UID))
	}
	return nv, err
}

// recheck reloads the plan after a structural write; when the write and a
// concurrent one together made decomposition or dependencies circular, it
// undoes this write (before nil: a create) and answers 409.
//
// TODO(#6): a crash between the write and the undo leaves a plan that
// Restore refuses; a repair tool should drop the newest edge of the loop.
func (s *Service) recheck(ctx context.Context, pj *project, before *plan.Task,
	after plan.Task) error {
	_, err := s.store.Load(ctx, pj.corp, pj.id)
	if !errors.Is(err, plan.ErrCycle) {
		return nil
	}
	var undo error
	if before == nil {
		undo = s.store.DeleteTask(ctx, pj.corp, pj.id, after.ID, after.Ver)
	} else {
		_, undo = s.store.UpdateTask(ctx, pj.corp, pj.id, *before, after.Ver)
	}
	if undo != nil {
		runtime.Logger(ctx).Error("undo", "project", pj.id, "task", after.ID, "error", undo)
	}
	return httpapi.Err(http.StatusConflict, "concurrent_change",
		"a concurrent change to the plan and this one together form a cycle; read and retry")
}

// afterTask writes what a task change implies besides the task row: the
// user_task mirror, the trail, the project summary and the notices. Their
// failures are logged, not answered: the change stands and these rows are
// repairable (projects.Store.RepairMirror, RefreshSummary).
func (s *Service) afterTask(ctx context.Context, c projects.Principal, pj *project,
	before, after *plan.Task, acts []plan.Activity) {
	log := runtime.Logger(ctx)
	pr := pj.plan().Project()
	if err := s.store.MirrorTask(ctx, pj.corp, pj.id, pr.Name, before, after); err != nil {
		log.Warn("mirror", "project", pj.id, "task", after.ID, "error", err)
	}
	s.recordAndSummarize(ctx, pj, acts)
	s.notify(ctx, c, pj, before, *after, acts)
}

// TODO(#6): concurrent writers each store the summary they computed, so the
// last write may come from the older plan; RefreshSummary (or the next
// write) repairs it, and the executive view reads it as derived data.

func (s *Service) recordAndSummarize(ctx context.Context, pj *project, acts []plan.Activity) {
	log := runtime.Logger(ctx)
	if err := s.store.RecordTrail(ctx, pj.corp, acts); err != nil {
		log.Warn("activity", "project", pj.id, "error", err)
	}
	sum := pj.plan().Summary(s.today())
	if old := pj.l.Record.Summary; !pj.full && old != nil {
		sum.Logged = old.Logged // work logs were not loaded
	}
	if err := s.store.WriteSummary(ctx, pj.corp, pj.id, sum, s.today()); err != nil {
		log.Warn("summary", "project", pj.id, "error", err)
	}
}
