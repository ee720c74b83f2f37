package contracts

// Approvals. Moving a contract to under_approval starts a DingTalk OA
// instance for directory.Object{ApprovalKind, id} (directory.StartApproval)
// and records it on the contract as running. The dingtalk-callback function
// records the instance's final outcome in the directory and hands it to an
// Applier, which writes it on the contract once: approved keeps the contract
// under approval and lets it move to signed; rejected or terminated sends it
// back to draft.
//
// The directory row is the authority on which instance decides a contract:
// the contract takes whatever final outcome the directory reports for its
// current instance, even before the contract row learned the instance id (a
// start whose last write was lost, or an instance decided at once).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/tables"
)

// ApprovalKind is the directory.Object kind of contract approvals, the key
// of the contract Applier in the dingtalk-callback function.
const ApprovalKind = "contract"

// maxApprovalTries bounds how often an approval write re-reads the contract
// after losing a version race.
const maxApprovalTries = 8

// Approval is where a contract's current DingTalk OA approval stands.
type Approval struct {
	InstanceID string `json:"instanceId"`
	// Outcome is running, approved, rejected or terminated.
	Outcome  string    `json:"outcome"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}

// Approver is how one organization approves contracts: the client that
// starts OA instances (a *dingtalk.Client for the organization's app) and
// the process code of its contract approval template.
type Approver struct {
	Client      directory.Approver
	ProcessCode string
}

// Applier writes final approval outcomes on contracts; it is the
// dingtalk-callback function's dingevents.Applier for ApprovalKind. It is
// safe for concurrent use.
type Applier struct {
	db  *tables.Store
	now func() time.Time
}

// NewApplier returns an Applier over a store built with tables.All; now nil
// means time.Now.
func NewApplier(db *tables.Store, now func() time.Time) *Applier {
	if now == nil {
		now = time.Now
	}
	return &Applier{db: db, now: now}
}

// ApplyApproval writes the final outcome a on the contract a decides, with
// a conditional update retried on conflict: approved leaves the contract
// under approval, ready to be signed; rejected or terminated moves it back
// to draft. A contract that already shows a, or is signed or closed, or no
// longer exists, is left alone, so that redeliveries change nothing.
func (p *Applier) ApplyApproval(ctx context.Context, a directory.Approval) error {
	if a.Object.Kind != ApprovalKind || a.InstanceID == "" || !directory.Final(a.Outcome) {
		return fmt.Errorf("contracts: apply approval %q: %w: want a final contract approval",
			a.InstanceID, directory.ErrInvalid)
	}
	before, after, err := p.reflect(ctx, a)
	if errors.Is(err, tables.ErrNotFound) {
		return nil
	}
	if err != nil || after == nil {
		return err
	}
	return writeActivity(ctx, p.db, p.now(), tables.TenantKey(a.CorpID), "dingtalk",
		"contract.approval_decided", a.Object.ID, map[string]any{"instance": a.InstanceID,
			"outcome": a.Outcome, "from": before.Status, "to": after.Status})
}

// reflect makes the contract show approval a and returns it before and
// after; after is nil when a changed nothing, before then the contract as
// it stands.
func (p *Applier) reflect(ctx context.Context, a directory.Approval) (*Contract, *Contract,
	error) {
	tid := tables.TenantKey(a.CorpID)
	for range maxApprovalTries {
		ct, err := readContract(ctx, p.db, tid, a.Object.ID)
		if err != nil {
			return nil, nil, err
		}
		next, ok := approvalStatus(ct, a)
		if !ok {
			return ct, nil, nil
		}
		now := p.now().UTC().Truncate(time.Millisecond)
		set := tables.Cols{colStatus: string(next), colUpdatedMS: ms(now),
			colApprovalInstance: a.InstanceID, colApprovalOutcome: a.Outcome,
			colApprovalStarted: msOrZero(a.Started), colApprovalFinished: msOrZero(a.Finished)}
		ver, err := p.db.Update(ctx, tables.Contract.Name, tables.Key{tid, ct.ID}, ct.Ver,
			tables.Change{Set: set})
		if errors.Is(err, tables.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		out := *ct
		out.Status, out.UpdatedAt, out.Ver = next, now, ver
		out.Approval = &Approval{InstanceID: a.InstanceID, Outcome: a.Outcome,
			Started: fromMS(msOrZero(a.Started)), Finished: fromMS(msOrZero(a.Finished))}
		return ct, &out, nil
	}
	return nil, nil, fmt.Errorf("contracts: apply approval %q: %w: lost %d races",
		a.InstanceID, tables.ErrConflict, maxApprovalTries)
}

// msOrZero is ms, with 0 for the zero time.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// approvalStatus returns the status ct takes to show approval a, and false
// when a changes nothing: ct shows a already (or a later state of the same
// instance), or ct is signed or closed.
func approvalStatus(ct *Contract, a directory.Approval) (Status, bool) {
	if ct.Status == Signed || ct.Status == Closed {
		return "", false
	}
	if cur := ct.Approval; cur != nil && cur.InstanceID == a.InstanceID &&
		(cur.Outcome == a.Outcome || directory.Final(cur.Outcome)) {
		return "", false
	}
	switch a.Outcome {
	case directory.OutcomeRunning, directory.OutcomeApproved:
		return UnderApproval, true
	case directory.OutcomeRejected, directory.OutcomeTerminated:
		return Draft, true
	}
	return "", false
}

// submit starts the OA approval of ct, which the caller moves to
// under_approval, and records it on the contract.
func (s *Service) submit(ctx context.Context, c caller, ct *Contract) (*Contract, error) {
	ap, ok := s.cfg.Approvers[ct.Corp]
	if !ok || ap.Client == nil || ap.ProcessCode == "" {
		return nil, httpapi.Err(http.StatusUnprocessableEntity, "approval_not_configured",
			"organization "+ct.Corp+" has no DingTalk approval process for contracts; "+
				"an administrator sets approvalProcesses.contract in DINGTALK_APPS")
	}
	if c.Corp != ct.Corp {
		return nil, httpapi.Err(http.StatusForbidden, "not_originator", "only a member of "+
			ct.Corp+" can submit its contract for approval in DingTalk")
	}
	obj := directory.Object{Kind: ApprovalKind, ID: ct.ID}
	a, err := s.dir.StartApproval(ctx, ap.Client, ct.Corp, obj,
		approvalRequest(ct, ap.ProcessCode, c.User))
	if errors.Is(err, directory.ErrInProgress) {
		a, err = s.startedApproval(ctx, ct.Corp, obj)
	}
	if err != nil {
		return nil, startError(err)
	}
	before, after, err := s.applier.reflect(ctx, a)
	if err != nil {
		return nil, err
	}
	if after == nil {
		after = before // unchanged: it shows a already, or it is signed or closed
	}
	if after.Approval == nil || after.Approval.InstanceID != a.InstanceID {
		// TODO(#5): the instance was started for a contract that was signed
		// or closed meanwhile; it runs on in DingTalk and decides nothing.
		return nil, &httpapi.Error{Status: http.StatusConflict, Code: "stale_version",
			Message: "the contract changed while its approval started",
			Details: map[string]any{"current": after}}
	}
	return after, nil
}

// startedApproval returns the approval another request started for obj,
// once DingTalk has confirmed it.
func (s *Service) startedApproval(ctx context.Context, corp string,
	obj directory.Object) (directory.Approval, error) {
	a, err := s.dir.Outcome(ctx, corp, obj)
	if err != nil {
		return a, err
	}
	if a.InstanceID == "" || a.Outcome == directory.OutcomeStarting {
		return a, httpapi.Err(http.StatusConflict, "approval_in_progress",
			"an approval of this contract is being started; read the contract again")
	}
	return a, nil
}

// startError maps a failed start to its answer.
func startError(err error) error {
	var ae *httpapi.Error
	switch {
	case errors.As(err, &ae):
		return err
	case errors.Is(err, directory.ErrApproved):
		return httpapi.Err(http.StatusConflict, "already_approved",
			"the contract is approved already; move it to signed")
	case errors.Is(err, dingtalk.ErrInvalid), errors.Is(err, dingtalk.ErrNotFound):
		return httpapi.Err(http.StatusUnprocessableEntity, "approval_refused",
			"DingTalk refused to start the approval: "+err.Error())
	case errors.Is(err, dingtalk.ErrThrottled), errors.Is(err, dingtalk.ErrUnavailable):
		return httpapi.Err(http.StatusServiceUnavailable, "dingtalk_unavailable",
			"DingTalk is busy; try again shortly")
	case errors.Is(err, dingtalk.ErrPermission), errors.Is(err, dingtalk.ErrToken),
		errors.Is(err, dingtalk.ErrAPI):
		return httpapi.Err(http.StatusBadGateway, "dingtalk_error",
			"DingTalk failed to start the approval: "+err.Error())
	}
	return err
}

// approvalRequest is the OA instance that asks to approve ct, started by
// user of the owning organization.
//
// TODO(#5): the form labels must match the organization's template; they
// are fixed here and should come with the process code.
func approvalRequest(ct *Contract, code, user string) dingtalk.ApprovalRequest {
	names := make([]string, len(ct.Parties))
	for i, p := range ct.Parties {
		names[i] = p.Name
	}
	return dingtalk.ApprovalRequest{ProcessCode: code, OriginatorUserID: user,
		Form: []dingtalk.ApprovalFormKV{
			{Name: "合同名称", Value: ct.Title},
			{Name: "合同编号", Value: ct.ID},
			{Name: "合同金额", Value: fmt.Sprintf("%d.%02d %s", ct.AmountFen/100,
				ct.AmountFen%100, ct.Currency)},
			{Name: "签约方", Value: strings.Join(names, "、")},
			{Name: "文件版本", Value: fmt.Sprintf("v%d", ct.LatestVersion)},
		}}
}

// checkApproval refuses the status moves the contract's approval forbids:
// signing without an approved approval, and withdrawing to draft while the
// approval runs or after it approved.
//
// TODO(#5): uploads stay open under approval (Status.AcceptsUploads), so the
// version signed may be newer than the one approved; pin the approved
// version, or close uploads while an approval runs.
func checkApproval(ct *Contract, next Status) error {
	outcome := ""
	if ct.Approval != nil {
		outcome = ct.Approval.Outcome
	}
	switch {
	case next == Signed && outcome != directory.OutcomeApproved:
		return &httpapi.Error{Status: http.StatusConflict, Code: "not_approved",
			Message: "status: signed needs an approved DingTalk approval; move the " +
				"contract to under_approval and wait for the approvers",
			Details: map[string]any{"approval": ct.Approval}}
	case ct.Status == UnderApproval && next == Draft && outcome == directory.OutcomeRunning:
		return httpapi.Err(http.StatusConflict, "approval_running",
			"the contract's approval is running in DingTalk; it returns to draft when "+
				"the approval is refused or terminated there")
	case ct.Status == UnderApproval && next == Draft && outcome == directory.OutcomeApproved:
		return httpapi.Err(http.StatusConflict, "approved",
			"the contract is approved; move it to signed")
	}
	return nil
}
