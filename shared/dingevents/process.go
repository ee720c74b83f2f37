package dingevents

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// Event types the handler acts on.
const (
	TypeCheckURL        = "check_url"
	TypeCheckSuiteURL   = "check_create_suite_url"
	TypeUserAdd         = "user_add_org"
	TypeUserModify      = "user_modify_org"
	TypeUserLeave       = "user_leave_org"
	TypeUserActive      = "user_active_org"
	TypeUserDeptChange  = "user_dept_change"
	TypeUserRoleChange  = "user_role_change"
	TypeAdminAdd        = "org_admin_add"
	TypeAdminRemove     = "org_admin_remove"
	TypeLabelUserChange = "label_user_change"
	TypeLabelConfAdd    = "label_conf_add"
	TypeLabelConfDel    = "label_conf_del"
	TypeLabelConfModify = "label_conf_modify"
	TypeDeptCreate      = "org_dept_create"
	TypeDeptModify      = "org_dept_modify"
	TypeDeptRemove      = "org_dept_remove"
	TypeOrgChange       = "org_change"
	TypeBpmsInstance    = "bpms_instance_change"
	TypeBpmsTask        = "bpms_task_change"
	// DingTalk documents no push event for the external address book
	// (外部联系人): the event catalog of the open-platform docs lists contact
	// events for users, departments, roles, admins and the org only. These
	// names are xietong's own, for `localdev dingtalk emit` and for a
	// deployment that relays contact changes; any type starting with
	// "ext_contact" or "crm_customer" resynchronizes the external address
	// book. DingTalk's own changes to it are picked up by the reconcile's
	// external phase (directory.SyncExternal).
	//
	// TODO(#5): external contacts then lag by up to a day (the reconcile's
	// schedule); a frequent timer could run SyncExternal alone.
	TypeExtContactAdd    = "ext_contact_add"
	TypeExtContactModify = "ext_contact_modify"
	TypeExtContactRemove = "ext_contact_remove"
)

// jobReconcile is the internal event type of a queued full reconcile, and
// reconcileID its event id: one queued reconcile absorbs the next.
const (
	jobReconcile = "xt_reconcile"
	reconcileID  = "reconcile"
	reconcileKey = "id:" + reconcileID
)

type applier func(h *Handler, ctx context.Context, c Corp, ev Event) error

var appliers = map[string]applier{
	TypeUserAdd: syncUsers, TypeUserModify: syncUsers, TypeUserActive: syncUsers,
	TypeUserDeptChange: syncUsers, TypeUserRoleChange: syncUsers, TypeAdminAdd: syncUsers,
	TypeAdminRemove: syncUsers, TypeLabelUserChange: syncUsers,
	TypeUserLeave:  leaveUsers,
	TypeDeptCreate: syncDepts, TypeDeptModify: syncDepts, TypeDeptRemove: removeDepts,
	TypeOrgChange:    syncRoot,
	TypeLabelConfAdd: queueReconcile, TypeLabelConfDel: queueReconcile,
	TypeLabelConfModify: queueReconcile,
	TypeBpmsInstance:    bpmsInstance, TypeBpmsTask: bpmsTask,
}

func applierFor(typ string) applier {
	if a, ok := appliers[typ]; ok {
		return a
	}
	if strings.HasPrefix(typ, "ext_contact") || strings.HasPrefix(typ, "crm_customer") {
		return syncExternal
	}
	return nil
}

// handle does one authenticated event's work under the budget.
func (h *Handler) handle(ctx context.Context, corp string, ev Event) error {
	if ev.Type == TypeCheckURL || ev.Type == TypeCheckSuiteURL {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, h.budget)
	defer cancel()
	// The reply never waits for the DingTalk client's QPS limiter: work
	// that finds no token free now is queued for Drain instead.
	ctx = dingtalk.NoWait(ctx)
	queued, err := h.process(ctx, corp, ev, false)
	if err != nil {
		return err
	}
	if !queued { // a delivery whose own work was queued has no time or token to spare
		h.drainOnDelivery(ctx, corp)
	}
	return nil
}

// process claims the event's dedupe row, applies it and records the result;
// work the budget cannot cover is queued, and queued says so. With queueOnly
// the work is queued without trying it first.
func (h *Handler) process(ctx context.Context, corp string, ev Event,
	queueOnly bool) (queued bool, err error) {
	log := runtime.Logger(ctx)
	key := tables.Key{tables.TenantKey(corp), ev.Key()}
	claim, err := h.store.Claim(ctx, tables.Dedupe.Name, key, ev.Hash(), dedupeTTL)
	if errors.Is(err, tables.ErrConflict) {
		log.Warn("callback duplicate id", "corp", corp, "event", ev.Type, "key", ev.Key())
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !claim.Fresh {
		if claim.State == tables.StateDone {
			log.Debug("callback duplicate", "corp", corp, "event", ev.Type, "key", ev.Key())
			return false, nil
		}
		// An earlier delivery is still running or died mid-way: make sure
		// the work is queued rather than lost.
		qctx, cancel := afterBudget(ctx)
		defer cancel()
		return true, h.enqueue(qctx, corp, ev, errors.New("redelivered while pending"))
	}
	aerr := errQueueOnly
	if !queueOnly {
		aerr = h.apply(ctx, corp, ev)
	}
	return h.settleClaim(ctx, corp, key, ev, aerr)
}

// settleClaim records what became of a claimed event: applied, failed for
// good, or queued for a retry (the claim is released when even queueing
// fails, so that DingTalk's redelivery can try again).
func (h *Handler) settleClaim(ctx context.Context, corp string, key tables.Key, ev Event,
	aerr error) (queued bool, err error) {
	log := runtime.Logger(ctx)
	qctx, cancel := afterBudget(ctx)
	defer cancel()
	result := "applied"
	switch {
	case aerr == nil:
	case permanent(aerr):
		result = "failed: " + aerr.Error()
		log.Error("callback apply", "corp", corp, "event", ev.Type, "key", ev.Key(),
			"error", aerr)
	default:
		if err := h.enqueue(qctx, corp, ev, aerr); err != nil {
			_ = h.store.Release(qctx, tables.Dedupe.Name, key, ev.Hash())
			return false, errors.Join(aerr, err)
		}
		result, queued = "queued", true
		log.Info("callback queued", "corp", corp, "event", ev.Type, "key", ev.Key(),
			"error", aerr)
	}
	if err := h.store.Complete(qctx, tables.Dedupe.Name, key, ev.Hash(),
		[]byte(result)); err != nil {
		// The work is done or queued; a redelivery finds the claim pending
		// and queues it again, which is harmless.
		log.Warn("callback dedupe complete", "corp", corp, "key", ev.Key(), "error", err)
	}
	return queued, nil
}

// afterBudget returns a short context for bookkeeping after ctx's budget,
// which may have run out.
func afterBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), queueBudget)
}

// apply does an event's directory or approval work.
func (h *Handler) apply(ctx context.Context, corp string, ev Event) error {
	c, ok := h.corps[corp]
	if !ok {
		return errors.New("dingevents: apply: unknown corp " + corp)
	}
	if ev.Type == jobReconcile {
		return h.StartReconcile(ctx, c.CorpID)
	}
	a := applierFor(ev.Type)
	if a == nil {
		runtime.Logger(ctx).Debug("callback ignored", "corp", corp, "event", ev.Type)
		return nil
	}
	return a(h, ctx, c, ev)
}

// permanent reports whether retrying err cannot help.
func permanent(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, ErrBadEvent), errors.Is(err, directory.ErrInvalid),
		errors.Is(err, dingtalk.ErrInvalid), errors.Is(err, dingtalk.ErrPermission),
		errors.Is(err, tables.ErrInvalid):
		return true
	}
	return false
}

func syncUsers(h *Handler, ctx context.Context, c Corp, ev Event) error {
	_, err := h.dir.SyncUsers(ctx, c.Client, c.CorpID, ev.UserIDs)
	return err
}

func leaveUsers(h *Handler, ctx context.Context, c Corp, ev Event) error {
	_, err := h.dir.DeactivateUsers(ctx, c.CorpID, ev.UserIDs)
	return err
}

func syncDepts(h *Handler, ctx context.Context, c Corp, ev Event) error {
	_, err := h.dir.SyncDepts(ctx, c.Client, c.CorpID, ev.DeptIDs)
	return err
}

func removeDepts(h *Handler, ctx context.Context, c Corp, ev Event) error {
	_, err := h.dir.RemoveDepts(ctx, c.CorpID, ev.DeptIDs)
	return err
}

func syncRoot(h *Handler, ctx context.Context, c Corp, ev Event) error {
	_, err := h.dir.SyncDepts(ctx, c.Client, c.CorpID, []int64{directory.RootDept})
	return err
}

func syncExternal(h *Handler, ctx context.Context, c Corp, ev Event) error {
	_, err := h.dir.SyncExternal(ctx, c.Client, c.CorpID)
	return err
}

// queueReconcile answers a role definition change, which touches every
// holder of the role, with a full reconcile from the queue.
func queueReconcile(h *Handler, ctx context.Context, c Corp, ev Event) error {
	job, _ := json.Marshal(map[string]string{"EventType": jobReconcile})
	e, _ := ParseEvent(job)
	e.EventID = reconcileID // one queued reconcile absorbs the rest
	return h.enqueue(ctx, c.CorpID, e, errors.New("role definitions changed"))
}

func bpmsInstance(h *Handler, ctx context.Context, c Corp, ev Event) error {
	if ev.ProcessInstanceID == "" || ev.BpmsType == "start" {
		return nil
	}
	outcome := directory.OutcomeOf(ev.BpmsType, ev.Result)
	if outcome == "" {
		return h.followInstance(ctx, c, ev.ProcessInstanceID)
	}
	return h.record(ctx, c, ev.ProcessInstanceID, outcome)
}

// bpmsTask follows an approval of ours when one of its tasks ends, in case
// the instance event is lost.
func bpmsTask(h *Handler, ctx context.Context, c Corp, ev Event) error {
	if ev.ProcessInstanceID == "" || ev.BpmsType != "finish" {
		return nil
	}
	return h.followInstance(ctx, c, ev.ProcessInstanceID)
}

// followInstance reads an instance of ours from DingTalk and records its
// outcome when it has ended.
func (h *Handler) followInstance(ctx context.Context, c Corp, id string) error {
	if _, err := h.dir.InstanceObject(ctx, c.CorpID, id); err != nil {
		if errors.Is(err, directory.ErrNotFound) {
			return nil // not started by xietong
		}
		return err
	}
	inst, err := c.Client.Approval(ctx, id)
	if err != nil {
		return err
	}
	if o := inst.Outcome(); directory.Final(o) {
		return h.record(ctx, c, id, o)
	}
	return nil
}

// record records an instance's outcome in the directory and applies it to
// the object it decides. The application runs whether or not this call
// recorded the outcome, so that a redelivery or a queued retry completes an
// application that failed or died after the directory write; the Applier
// makes repeats harmless.
func (h *Handler) record(ctx context.Context, c Corp, id, outcome string) error {
	ok, err := h.dir.RecordOutcome(ctx, c.CorpID, id, outcome)
	if errors.Is(err, directory.ErrNotFound) {
		return nil // not started by xietong
	}
	if err != nil {
		return err
	}
	if ok {
		runtime.Logger(ctx).Info("approval outcome", "corp", c.CorpID, "instance", id,
			"outcome", outcome)
	}
	return h.applyOutcome(ctx, c.CorpID, id)
}

// applyOutcome hands the final approval of instance id to the Applier of its
// object's kind, unless the object has since started another instance.
func (h *Handler) applyOutcome(ctx context.Context, corp, id string) error {
	obj, err := h.dir.InstanceObject(ctx, corp, id)
	if err != nil {
		return err
	}
	ap, ok := h.appliers[obj.Kind]
	if !ok {
		return nil
	}
	a, err := h.dir.Outcome(ctx, corp, obj)
	if err != nil {
		return err
	}
	if a.InstanceID != id || !directory.Final(a.Outcome) {
		return nil // replaced by a newer start; that one decides the object
	}
	return ap.ApplyApproval(ctx, a)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		runtime.WriteError(w, http.StatusInternalServerError, "internal", "encode failed", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
