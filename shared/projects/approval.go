package projects

// Project-initiation approvals. The project's lead asks for one (POST
// .../approval): a DingTalk OA instance is started for
// directory.Object{ApprovalKind, id} (directory.StartApproval) and the
// project row records it as running. The dingtalk-callback function records
// the instance's final outcome in the directory and hands it to the
// Applier, which writes it on the project row once: later deliveries of the
// same outcome change nothing.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// ApprovalKind is the directory.Object kind of project-initiation
// approvals, the key of the projects Applier in the dingtalk-callback
// function.
const ApprovalKind = "project"

// Columns of the project row that hold its current approval.
const (
	colApprovalInstance = "approval_instance"
	colApprovalOutcome  = "approval_outcome" // running, approved, rejected, terminated
	colApprovalStarted  = "approval_started_ms"
	colApprovalFinished = "approval_finished_ms"
)

// approvalVerb is the activity of an approval that moved: Before and After
// are its outcomes, ID its instance.
const approvalVerb plan.Verb = "project.approval"

// maxApprovalTries bounds how often an approval write re-reads the project
// row after losing a version race.
const maxApprovalTries = 8

// Approval is where a project's initiation approval in DingTalk OA stands.
type Approval struct {
	InstanceID string `json:"instanceId"`
	// Outcome is running, approved, rejected or terminated.
	Outcome  string     `json:"outcome"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
}

// ApprovalStarter starts the OA instances of one organization and names the
// process code of its approval template for an object kind. The Identifier
// of an organization (Service's apps) that is also an ApprovalStarter starts
// its project approvals; AppsWithApprovals makes them.
type ApprovalStarter interface {
	directory.Approver
	ApprovalProcess(kind string) string
}

// approvingApp is an organization's app that starts approvals with the
// process codes of its templates, by object kind.
type approvingApp struct {
	Identifier
	directory.Approver
	codes map[string]string
}

// ApprovalProcess returns the process code of kind's template, "" for none.
func (a approvingApp) ApprovalProcess(kind string) string { return a.codes[kind] }

// AppsWithApprovals returns apps with each organization whose app in list
// names a process code for ApprovalKind in ApprovalProcesses (the first
// such app of the organization) made an ApprovalStarter, when its
// Identifier starts OA instances (a *dingtalk.Client does). apps is not
// changed.
func AppsWithApprovals(apps map[string]Identifier, list []dingtalk.App) map[string]Identifier {
	out := maps.Clone(apps)
	for _, a := range list {
		id, ok := apps[a.CorpID]
		ap, starts := id.(directory.Approver)
		if _, done := out[a.CorpID].(ApprovalStarter); !ok || !starts || done ||
			a.ApprovalProcesses[ApprovalKind] == "" {
			continue
		}
		out[a.CorpID] = approvingApp{Identifier: id, Approver: ap, codes: a.ApprovalProcesses}
	}
	return out
}

// Applier writes final approval outcomes on projects; it is the
// dingtalk-callback function's dingevents.Applier for ApprovalKind. It is
// safe for concurrent use.
type Applier struct {
	db *tables.Store
}

// NewApplier returns an Applier over a store built with tables.All.
func NewApplier(db *tables.Store) *Applier { return &Applier{db: db} }

// ApplyApproval writes the final outcome a on the project it decides with a
// conditional update, retried on conflict. A project that shows a already,
// or a final outcome of the same instance, or no longer exists, is left
// alone, so that redeliveries change nothing.
func (p *Applier) ApplyApproval(ctx context.Context, a directory.Approval) error {
	if a.Object.Kind != ApprovalKind || a.InstanceID == "" || !directory.Final(a.Outcome) {
		return fmt.Errorf("projects: apply approval %q: %w: want a final project approval",
			a.InstanceID, directory.ErrInvalid)
	}
	_, act, err := recordApproval(ctx, p.db, a, "dingtalk")
	switch {
	case errors.Is(err, tables.ErrNotFound):
		return nil
	case err != nil:
		return err
	case act == nil:
		return nil
	}
	return (&Store{db: p.db}).Record(ctx, a.CorpID, []plan.Activity{*act})
}

// recordApproval makes the project row of a show it, unless it shows a or
// a final outcome of a's instance already, and returns what it shows and,
// when it changed, the activity of actor (a uid, or "dingtalk") to record.
func recordApproval(ctx context.Context, db *tables.Store, a directory.Approval,
	actor string) (Approval, *plan.Activity, error) {
	key := projectKey(a.CorpID, a.Object.ID)
	for range maxApprovalTries {
		row, err := db.Get(ctx, tables.Project.Name, key)
		if err != nil {
			return Approval{}, nil, err
		}
		cur, _ := approvalOf(row)
		if cur.InstanceID == a.InstanceID &&
			(cur.Outcome == a.Outcome || directory.Final(cur.Outcome)) {
			return cur, nil, nil
		}
		set := tables.Cols{colApprovalInstance: a.InstanceID, colApprovalOutcome: a.Outcome,
			colApprovalStarted: msOf(a.Started), colApprovalFinished: msOf(a.Finished)}
		_, err = db.Update(ctx, tables.Project.Name, key, row.Ver(), tables.Change{Set: set})
		if errors.Is(err, tables.ErrConflict) {
			continue
		}
		if err != nil {
			return Approval{}, nil, err
		}
		out, _ := approvalOf(&tables.Row{Key: key, Cols: set})
		act := plan.Activity{At: time.Now(), Project: a.Object.ID, Actor: actor,
			Verb: approvalVerb, Object: "approval", ID: a.InstanceID, Before: cur.Outcome,
			After: a.Outcome}
		return out, &act, nil
	}
	return Approval{}, nil, fmt.Errorf("projects: apply approval %q: %w: lost %d races",
		a.InstanceID, tables.ErrConflict, maxApprovalTries)
}

// approvalOf reads the approval columns of a project row; false when it has
// none.
func approvalOf(row *tables.Row) (Approval, bool) {
	a := Approval{InstanceID: row.String(colApprovalInstance),
		Outcome: row.String(colApprovalOutcome)}
	if a.InstanceID == "" {
		return a, false
	}
	a.Started = time.UnixMilli(row.Int(colApprovalStarted)).UTC()
	if ms := row.Int(colApprovalFinished); ms > 0 {
		t := time.UnixMilli(ms).UTC()
		a.Finished = &t
	}
	return a, true
}

// msOf is t in Unix milliseconds, 0 for the zero time.
func msOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// startApproval answers POST .../approval: the lead of a project of the
// caller's organization starts its initiation approval in DingTalk OA.
func (s *Service) startApproval(w http.ResponseWriter, r *http.Request, c caller) error {
	ctx := r.Context()
	corp, id, err := pathProject(r)
	if err != nil {
		return err
	}
	role, err := s.authorize(ctx, c, access.ProjectUpdate, corp, id)
	if err != nil {
		return err
	}
	if role != access.Lead || c.Corp != corp {
		return httpapi.Forbidden("ask for this project's approval: only a lead of its organization")
	}
	starter, code := s.approvalStarter(corp)
	if code == "" {
		return httpapi.Err(http.StatusUnprocessableEntity, "approval_not_configured",
			"organization "+corp+" has no DingTalk approval process for projects")
	}
	row, err := s.db.Get(ctx, tables.Project.Name, projectKey(corp, id))
	if err != nil {
		return err
	}
	obj := directory.Object{Kind: ApprovalKind, ID: id}
	a, err := s.dir.StartApproval(ctx, starter, corp, obj, dingtalk.ApprovalRequest{
		ProcessCode: code, OriginatorUserID: c.user.UserID, Form: []dingtalk.ApprovalFormKV{
			{Name: "项目名称", Value: row.String(colName)}, {Name: "项目编号", Value: id}}})
	if errors.Is(err, directory.ErrInProgress) {
		a, err = s.dir.Outcome(ctx, corp, obj)
	}
	if err != nil {
		return approvalStartErr(err)
	}
	if a.InstanceID == "" {
		return httpapi.Err(http.StatusConflict, "approval_in_progress",
			"the approval is being started; read it again shortly")
	}
	cur, act, err := recordApproval(ctx, s.db, a, c.uid)
	if err != nil {
		return err
	}
	if act != nil {
		if err := s.store.Record(ctx, corp, []plan.Activity{*act}); err != nil {
			runtime.Logger(ctx).Warn("activity", "project", id, "actor", c.uid, "error", err)
		}
	}
	httpapi.WriteJSON(w, http.StatusCreated, cur)
	return nil
}

// getApproval answers GET .../approval for anyone who may view the project.
func (s *Service) getApproval(w http.ResponseWriter, r *http.Request, c caller) error {
	ctx := r.Context()
	corp, id, err := pathProject(r)
	if err != nil {
		return err
	}
	if _, err := s.authorize(ctx, c, access.ProjectView, corp, id); err != nil {
		return err
	}
	row, err := s.db.Get(ctx, tables.Project.Name, projectKey(corp, id))
	if err != nil {
		return err
	}
	a, ok := approvalOf(row)
	if !ok {
		return httpapi.Err(http.StatusNotFound, "no_approval", "no approval was asked for")
	}
	httpapi.WriteJSON(w, http.StatusOK, a)
	return nil
}

// approvalStarter returns the starter of corp's approvals and the process
// code of its project template, "" when it has none.
func (s *Service) approvalStarter(corp string) (ApprovalStarter, string) {
	st, ok := s.apps[corp].(ApprovalStarter)
	if !ok {
		return nil, ""
	}
	return st, st.ApprovalProcess(ApprovalKind)
}

// approvalStartErr maps a failed start to its answer.
func approvalStartErr(err error) error {
	switch {
	case errors.Is(err, directory.ErrApproved):
		return httpapi.Err(http.StatusConflict, "already_approved", "the project is approved")
	case errors.Is(err, dingtalk.ErrInvalid), errors.Is(err, dingtalk.ErrNotFound):
		return httpapi.Err(http.StatusUnprocessableEntity, "approval_refused",
			"DingTalk refused to start the approval: "+err.Error())
	case errors.Is(err, dingtalk.ErrThrottled), errors.Is(err, dingtalk.ErrUnavailable):
		return httpapi.Err(http.StatusServiceUnavailable, "dingtalk_unavailable",
			"DingTalk is busy; try again shortly")
	case errors.Is(err, dingtalk.ErrPermission), errors.Is(err, dingtalk.ErrToken),
		errors.Is(err, dingtalk.ErrAPI):
		return &httpapi.Error{Status: http.StatusBadGateway, Code: "dingtalk_error",
			Message: "DingTalk failed to start the approval", Cause: err}
	}
	return err
}
