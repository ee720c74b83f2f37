package dingevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/dingtalk/callback"
	"github.com/xietong/xietong/shared/runtime"
)

// Timer jobs, named by the trigger payload {"job": ...}.
const (
	JobDrain     = "drain"
	JobReconcile = "reconcile"
)

// Timer runs a timer trigger. For every organization it takes DingTalk's
// failed-event list into the queue (PullFailed), drains the queue, and
// carries on a running full reconcile (ContinueReconcile); job "reconcile"
// starts one first. A reconcile runs in steps with a durable cursor: what
// one run cannot finish before its deadline, the next run carries on.
func (h *Handler) Timer(ctx context.Context, ev runtime.TimerEvent) error {
	var p struct {
		Job string `json:"job"`
	}
	if ev.Payload != "" {
		if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
			return fmt.Errorf("dingevents: timer %q: payload: %w", ev.TriggerName, err)
		}
	}
	var errs []error
	for _, corp := range h.corpIDs() {
		errs = append(errs, h.timerCorp(ctx, corp, p.Job == JobReconcile)...)
	}
	return errors.Join(errs...)
}

// timerCorp is one organization's share of a timer run.
func (h *Handler) timerCorp(ctx context.Context, corp string, reconcile bool) []error {
	log := runtime.Logger(ctx)
	n, ferr := h.PullFailed(ctx, corp)
	if n > 0 || ferr != nil {
		log.Info("failed events", "corp", corp, "taken", n, "error", ferr)
	}
	rep, derr := h.Drain(ctx, corp, 0)
	log.Info("drain", "corp", corp, "done", rep.Done, "retried", rep.Retried,
		"dead", rep.Dead, "left", rep.Left, "error", derr)
	var serr error
	if reconcile {
		serr = h.StartReconcile(ctx, corp)
	}
	rc, rerr := h.ContinueReconcile(ctx, corp)
	if rc.Running || rerr != nil {
		ch := rc.Changes
		log.Info("reconcile", "corp", corp, "steps", rc.Steps, "done", rc.Done,
			"users", ch.Users, "deactivated", ch.Deactivated, "depts", ch.Depts,
			"removed", ch.Removed, "error", rerr)
	}
	return []error{ferr, derr, serr, rerr}
}

func (h *Handler) corpIDs() []string {
	ids := make([]string, 0, len(h.corps))
	for id := range h.corps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// CorpsFromApps builds the Corp of every app that has callback credentials
// (callbackToken and aesKey), with a dingtalk.Client made with opts.
func CorpsFromApps(apps []dingtalk.App, opts dingtalk.Options) ([]Corp, error) {
	var corps []Corp
	for _, a := range apps {
		if a.CallbackToken == "" || a.AESKey == "" {
			continue
		}
		cr, err := callback.New(callback.Config{Token: a.CallbackToken,
			EncodingAESKey: a.AESKey, OwnerKey: a.CallbackOwnerKey()})
		if err != nil {
			return nil, fmt.Errorf("dingevents: corp %q: %w", a.CorpID, err)
		}
		cl, err := dingtalk.New(a, opts)
		if err != nil {
			return nil, fmt.Errorf("dingevents: corp %q: %w", a.CorpID, err)
		}
		corps = append(corps, Corp{CorpID: a.CorpID, Crypto: cr, Client: cl})
	}
	if len(corps) == 0 {
		return nil, errors.New("dingevents: no app has callbackToken and aesKey")
	}
	return corps, nil
}
