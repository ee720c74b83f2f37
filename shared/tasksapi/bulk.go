package tasksapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
)

// maxBulk bounds the items of one bulk request.
const maxBulk = 100

func (s *Service) bulk(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	var req BulkRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	if len(req.Items) == 0 || len(req.Items) > maxBulk {
		return httpapi.Invalid(FieldError{Field: "items",
			Rule: "1 to " + strconv.Itoa(maxBulk) + " updates"})
	}
	pj, err := s.open(r, c, true, false)
	if err != nil {
		return err
	}
	return s.idempotent(w, r, c, http.StatusOK, req, func() (any, error) {
		out := BulkResponse{Results: make([]BulkResult, len(req.Items))}
		vers := map[string]int64{} // versions written by earlier items
		for i, it := range req.Items {
			out.Results[i] = s.bulkItem(r.Context(), c, pj, i, it, vers)
		}
		return out, nil
	})
}

// bulkItem applies one item on its own: a refusal or a lost race leaves the
// plan as it was before the item.
func (s *Service) bulkItem(ctx context.Context, c projects.Principal, pj *project, i int,
	it BulkItem, vers map[string]int64) BulkResult {
	res := BulkResult{Task: it.Task}
	edit, errs := bulkEdit(i, it)
	if errs != nil {
		return failed(res, httpapi.Invalid(errs...))
	}
	p := pj.plan()
	before, ok := p.Task(it.Task)
	if !ok {
		return failed(res, httpapi.Err(http.StatusNotFound, "task_not_found", "no task "+it.Task))
	}
	if v, ok := vers[it.Task]; ok {
		before.Ver = v
	}
	if before.Ver != it.Ver {
		return failed(res, httpapi.Conflict(taskJSON(pj, p.Rollup(), before, c.UID)))
	}
	snap := p.Snapshot()
	acts, err := applyBulk(p, s.actor(c), it, edit)
	if err == nil && len(acts) > 0 {
		after, _ := p.Task(it.Task)
		if after.Ver, err = s.saveTask(ctx, c, pj, after, it.Ver); err == nil {
			vers[it.Task] = after.Ver
			s.afterTask(ctx, c, pj, &before, &after, acts)
		}
	}
	if err != nil {
		if back, rerr := plan.Restore(snap); rerr == nil {
			pj.l.Plan = back
		}
		return failed(res, projects.PlanError(err))
	}
	after, _ := pj.plan().Task(it.Task)
	after.Ver = before.Ver
	if v, ok := vers[it.Task]; ok {
		after.Ver = v
	}
	res.Status, res.Result = http.StatusOK, ptr(taskJSON(pj, pj.plan().Rollup(), after, c.UID))
	return res
}

func bulkEdit(i int, it BulkItem) (plan.TaskEdit, []FieldError) {
	var errs []FieldError
	field := "items[" + strconv.Itoa(i) + "]."
	if !taskRE.MatchString(it.Task) {
		errs = append(errs, FieldError{Field: field + "task", Rule: "required: a task id T-<n>"})
	}
	if it.Ver < 1 {
		errs = append(errs, FieldError{Field: field + "ver",
			Rule: "required: the version you read (>= 1)"})
	}
	e := plan.TaskEdit{Title: it.Title, Start: optDate(field+"start", it.Start, &errs),
		Due: optDate(field+"due", it.Due, &errs)}
	if it.Priority != nil {
		e.Priority = ptr(plan.Priority(*it.Priority))
	}
	return e, errs
}

// applyBulk applies the fields of it in a fixed order: fields, assignees,
// progress, status.
func applyBulk(p *plan.Plan, a plan.Actor, it BulkItem, e plan.TaskEdit) ([]plan.Activity,
	error) {
	var acts []plan.Activity
	add := func(_ plan.Task, more []plan.Activity, err error) error {
		acts = append(acts, more...)
		return err
	}
	if e.Title != nil || e.Priority != nil || e.Start != nil || e.Due != nil {
		if err := add(p.EditTask(a, it.Task, e)); err != nil {
			return nil, err
		}
	}
	if it.Assignees != nil {
		if err := add(p.Assign(a, it.Task, *it.Assignees)); err != nil {
			return nil, err
		}
	}
	if it.Progress != nil {
		if err := add(p.SetProgress(a, it.Task, *it.Progress)); err != nil {
			return nil, err
		}
	}
	if it.Status != nil {
		if err := add(p.SetStatus(a, it.Task, plan.Status(*it.Status))); err != nil {
			return nil, err
		}
	}
	return acts, nil
}

// failed fills res with the answer err would have had alone.
func failed(res BulkResult, err error) BulkResult {
	var ae *httpapi.Error
	if !errors.As(err, &ae) {
		ae = httpapi.Err(http.StatusServiceUnavailable, "unavailable", err.Error())
	}
	res.Status = ae.Status
	res.Error = &ErrorInfo{Code: ae.Code, Message: ae.Message, Details: ae.Details}
	return res
}
