package projects

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

var milestoneRE = regexp.MustCompile(`^M-[0-9]{1,9}$`)

func (s *Service) listMilestones(w http.ResponseWriter, r *http.Request, c caller) error {
	l, _, err := s.open(r, c, access.ProjectView)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"items": milestoneList(l.Plan)})
	return nil
}

func (s *Service) addMilestone(w http.ResponseWriter, r *http.Request, c caller) error {
	var req MilestoneRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	due := parseDate("due", req.Due, &errs)
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	corp, id, err := pathProject(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.authorize(ctx, c, access.MilestoneManage, corp, id); err != nil {
		return err
	}
	return s.idempotent(w, r, c, req, func() (any, error) {
		if _, err := s.store.Project(ctx, corp, id); errors.Is(err, tables.ErrNotFound) {
			return nil, httpapi.Err(http.StatusNotFound, "project_not_found", "no such project")
		}
		n, err := s.store.NextNumber(ctx, corp, id, colNextMS)
		if err != nil {
			return nil, err
		}
		l, err := s.store.LoadWith(ctx, corp, id, func(sn *plan.Snapshot) {
			sn.Seq.Milestone = n - 1
		})
		if err != nil {
			return nil, err
		}
		m, acts, err := l.Plan.AddMilestone(s.actor(c), plan.NewMilestone{Title: req.Title,
			Due: due})
		if err != nil {
			return nil, PlanError(err)
		}
		if err := s.rosterWrite(ctx, corp, id, func() error {
			_, err := s.db.Create(ctx, tables.Milestone.Name, tables.Key{tenant(corp), id, m.ID},
				milestoneCols(m))
			return err
		}); err != nil {
			return nil, err
		}
		s.milestoneChanged(r, c, l, acts, m, "里程碑已创建")
		s.syncEvent(ctx, l.Plan.Project(), m, "created")
		return milestoneJSON(m, 0), nil
	})
}

// openMilestone loads the project and milestone of the path and checks the
// expected version, answering 409 with the current milestone on a mismatch.
func (s *Service) openMilestone(r *http.Request, c caller, a access.Action,
	ver int64) (*Loaded, plan.Milestone, error) {
	mid := r.PathValue("mid")
	if !milestoneRE.MatchString(mid) {
		return nil, plan.Milestone{}, httpapi.Invalid(FieldError{Field: "mid",
			Rule: "a milestone id M-<n>"})
	}
	l, _, err := s.open(r, c, a)
	if err != nil {
		return nil, plan.Milestone{}, err
	}
	m, ok := l.Plan.Milestone(mid)
	if !ok {
		return nil, m, httpapi.Err(http.StatusNotFound, "milestone_not_found", "no such milestone")
	}
	if m.Ver != ver {
		return nil, m, httpapi.Conflict(milestoneJSON(m, l.Plan.Rollup().Milestones[mid]))
	}
	return l, m, nil
}

func (s *Service) editMilestone(w http.ResponseWriter, r *http.Request, c caller) error {
	var req MilestoneEditRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	checkVer(req.Ver, &errs)
	e := plan.MilestoneEdit{Title: req.Title}
	if req.Due != nil {
		d := parseDate("due", *req.Due, &errs)
		e.Due = &d
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	l, m, err := s.openMilestone(r, c, access.MilestoneManage, req.Ver)
	if err != nil {
		return err
	}
	old := m.Due
	m, acts, err := l.Plan.EditMilestone(s.actor(c), m.ID, e)
	if err != nil {
		return PlanError(err)
	}
	if err := s.saveMilestone(w, r, c, l, m, req.Ver, acts, "里程碑已更新"); err != nil {
		return err
	}
	if m.Due != old && len(acts) > 0 {
		s.syncEvent(r.Context(), l.Plan.Project(), m,
			"due/"+m.Due.String()+"/"+strconv.FormatInt(s.now().UnixNano(), 36))
	}
	return nil
}

func (s *Service) acceptMilestone(w http.ResponseWriter, r *http.Request, c caller) error {
	var req AcceptRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	if checkVer(req.Ver, &errs); errs != nil {
		return httpapi.Invalid(errs...)
	}
	l, m, err := s.openMilestone(r, c, access.MilestoneAccept, req.Ver)
	if err != nil {
		return err
	}
	m, acts, err := l.Plan.AcceptMilestone(s.actor(c), m.ID, req.Override)
	if err != nil {
		return PlanError(err)
	}
	pr := l.Plan.Project()
	return s.rosterWrite(r.Context(), pr.Org.Corp, pr.ID, func() error {
		return s.saveAcceptance(w, r, c, l, m, req.Ver, acts)
	})
}

// saveMilestone writes m over the row at version ver and answers with it.
func (s *Service) saveMilestone(w http.ResponseWriter, r *http.Request, c caller, l *Loaded,
	m plan.Milestone, ver int64, acts []plan.Activity, title string) error {
	pr := l.Plan.Project()
	if len(acts) > 0 {
		err := s.rosterWrite(r.Context(), pr.Org.Corp, pr.ID, func() error {
			_, err := s.db.Update(r.Context(), tables.Milestone.Name,
				tables.Key{tenant(pr.Org.Corp), pr.ID, m.ID}, ver,
				tables.Change{Set: milestoneCols(m)})
			return err
		})
		if row, ok := tables.Current(err); ok {
			m.Ver = row.Ver()
			return httpapi.Conflict(milestoneJSON(m, 0))
		}
		if err != nil {
			return err
		}
		s.milestoneChanged(r, c, l, acts, m, title)
	}
	httpapi.WriteJSON(w, http.StatusOK, milestoneJSON(m, l.Plan.Rollup().Milestones[m.ID]))
	return nil
}

// milestoneChanged records the change, refreshes the summary and tells the
// other members.
func (s *Service) milestoneChanged(r *http.Request, c caller, l *Loaded, acts []plan.Activity,
	m plan.Milestone, title string) {
	ctx, pr := r.Context(), l.Plan.Project()
	sum := l.Summary(s.today())
	s.after(ctx, c, l.Plan, acts, s.store.WriteSummary(ctx, pr.Org.Corp, pr.ID, sum, s.today()))
	s.notifyMembers(ctx, c, l.Plan, others(l.Plan.Members(), c.uid), "milestone",
		title+"："+m.Title, pr.Name+" · 截止 "+m.Due.String(),
		m.ID+"/v"+strconv.FormatInt(m.Ver, 10))
	s.announce(ctx, pr, title+"："+m.Title, "截止 "+m.Due.String(),
		"milestone/"+m.ID+"/v"+strconv.FormatInt(m.Ver, 10))
}
