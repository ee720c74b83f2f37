package tasksapi

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tables"
)

var baselineRE = regexp.MustCompile(`^B-[0-9]{1,9}$`)

// numbered opens the project of the path for a write that creates a
// record numbered by counter col, inside the Idempotency-Key claim: the
// counter is raised first, so concurrent creates never share a number.
func (s *Service) numbered(ctx context.Context, corp, id string, role access.ProjectRole,
	col string, full bool, set func(*plan.Seq, int)) (*project, error) {
	if _, err := s.store.Project(ctx, corp, id); errors.Is(err, tables.ErrNotFound) {
		return nil, httpapi.Err(http.StatusNotFound, "project_not_found", "no such project")
	}
	n, err := s.store.NextNumber(ctx, corp, id, col)
	if err != nil {
		return nil, err
	}
	return s.load(ctx, corp, id, role, full, func(sn *plan.Snapshot) { set(&sn.Seq, n-1) })
}

// writeTarget validates the path of a record write and authorizes it.
func (s *Service) writeTarget(r *http.Request, c projects.Principal) (string, string, string,
	access.ProjectRole, error) {
	tid, err := pathTask(r)
	if err != nil {
		return "", "", "", "", err
	}
	corp, id, err := pathProject(r)
	if err != nil {
		return "", "", "", "", err
	}
	role, err := s.authorize(r.Context(), c, corp, id, true)
	return corp, id, tid, role, err
}

// TODO(#6): the plan checks a person's day total (plan.MaxDayMinutes)
// against the logs it loaded; two logs for the same person and day written
// at the same moment can together pass it.

func (s *Service) logWork(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req WorkLogRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	day := parseDate("date", req.Date, &errs)
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	corp, id, tid, role, err := s.writeTarget(r, c)
	if err != nil {
		return err
	}
	ctx := r.Context()
	return s.idempotent(w, r, c, http.StatusCreated, req, func() (any, error) {
		pj, err := s.numbered(ctx, corp, id, role, projects.ColNextWorkLog, true,
			func(q *plan.Seq, n int) { q.WorkLog = max(q.WorkLog, n) })
		if err != nil {
			return nil, err
		}
		wl, acts, err := pj.plan().LogWork(s.actor(c), plan.NewWorkLog{Task: tid,
			User: req.User, Minutes: req.Minutes, Date: day, Note: req.Note})
		if err != nil {
			return nil, projects.PlanError(err)
		}
		if err := s.store.SaveWorkLog(ctx, corp, id, wl); err != nil {
			return nil, err
		}
		s.recordAndSummarize(ctx, pj, acts)
		out := workLogJSON(wl)
		out.Corp, out.Project = corp, id
		return out, nil
	})
}

func (s *Service) taskLogs(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	pj, t, err := s.openTask(r, c, true)
	if err != nil {
		return err
	}
	tid := t.ID
	items := []WorkLog{}
	var total int64
	for _, wl := range pj.plan().WorkLogs() {
		if wl.Task == tid {
			items = append(items, workLogJSON(wl))
			total += wl.Minutes
		}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "minutes": total})
	return nil
}

// TODO(#6): comments on milestones (plan.AddComment accepts "M-<n>") have
// no route yet.

func (s *Service) comment(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req CommentRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	corp, id, tid, role, err := s.writeTarget(r, c)
	if err != nil {
		return err
	}
	ctx := r.Context()
	return s.idempotent(w, r, c, http.StatusCreated, req, func() (any, error) {
		pj, err := s.numbered(ctx, corp, id, role, projects.ColNextComment, false,
			func(q *plan.Seq, n int) { q.Comment = max(q.Comment, n) })
		if err != nil {
			return nil, err
		}
		cm, acts, err := pj.plan().AddComment(s.actor(c), tid, req.Body)
		if err != nil {
			return nil, projects.PlanError(err)
		}
		if err := s.store.SaveComment(ctx, corp, id, cm); err != nil {
			return nil, err
		}
		s.recordAndSummarize(ctx, pj, acts)
		return commentJSON(cm), nil
	})
}

func (s *Service) comments(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	pj, t, err := s.openTask(r, c, true)
	if err != nil {
		return err
	}
	tid := t.ID
	items := []Comment{}
	for _, cm := range pj.plan().Comments() {
		if cm.Target == tid {
			items = append(items, commentJSON(cm))
		}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Service) saveBaseline(w http.ResponseWriter, r *http.Request,
	c projects.Principal) error {
	var req BaselineRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
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
		pj, err := s.numbered(ctx, corp, id, role, projects.ColNextBaseline, false,
			func(q *plan.Seq, n int) { q.Baseline = max(q.Baseline, n) })
		if err != nil {
			return nil, err
		}
		b, acts, err := pj.plan().SaveBaseline(s.actor(c), req.Name)
		if err != nil {
			return nil, projects.PlanError(err)
		}
		if err := s.store.SaveBaseline(ctx, corp, id, b); err != nil {
			return nil, err
		}
		s.recordAndSummarize(ctx, pj, acts)
		return baselineJSON(b), nil
	})
}

func (s *Service) baselines(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	corp, id, err := pathProject(r)
	if err != nil {
		return err
	}
	if _, err := s.authorize(r.Context(), c, corp, id, false); err != nil {
		return err
	}
	bs, err := s.store.Baselines(r.Context(), corp, id)
	if err != nil {
		return err
	}
	items := []Baseline{}
	for _, b := range bs {
		items = append(items, baselineJSON(b))
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Service) variance(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	bid := r.PathValue("baseline")
	if !baselineRE.MatchString(bid) {
		return httpapi.Invalid(FieldError{Field: "baseline", Rule: "a baseline id B-<n>"})
	}
	pj, err := s.open(r, c, false, true)
	if err != nil {
		return err
	}
	vs, err := pj.plan().Variance(bid)
	if err != nil {
		return projects.PlanError(err)
	}
	out := VarianceResponse{Items: varianceJSON(vs)}
	for _, b := range pj.plan().Baselines() {
		if b.ID == bid {
			out.Baseline = baselineJSON(b)
		}
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}
