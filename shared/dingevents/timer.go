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

// Timer runs a timer trigger: job "reconcile" reconciles every organization's
// directory and then drains; any other payload just drains the queue.
//
// TODO(#5): also pull DingTalk's failed-event list
// (/call_back/get_call_back_failed_result, cleared on read) into the queue;
// the dingtalk client has no call for it yet.
// TODO(#5): a reconcile runs whole inside one invocation (FC timeout 10 s in
// s.yaml); a large directory needs it split into resumable pages.
func (h *Handler) Timer(ctx context.Context, ev runtime.TimerEvent) error {
	var p struct {
		Job string `json:"job"`
	}
	if ev.Payload != "" {
		if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
			return fmt.Errorf("dingevents: timer %q: payload: %w", ev.TriggerName, err)
		}
	}
	log := runtime.Logger(ctx)
	var errs []error
	for _, corp := range h.corpIDs() {
		if p.Job == JobReconcile {
			ch, err := h.dir.Reconcile(ctx, h.corps[corp].Client, corp)
			log.Info("reconcile", "corp", corp, "users", ch.Users, "deactivated",
				ch.Deactivated, "depts", ch.Depts, "removed", ch.Removed, "error", err)
			errs = append(errs, err)
		}
		rep, err := h.Drain(ctx, corp, 0)
		log.Info("drain", "corp", corp, "done", rep.Done, "retried", rep.Retried,
			"dead", rep.Dead, "left", rep.Left, "error", err)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
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
