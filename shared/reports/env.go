package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// FromEnv builds a Service from the function's environment: Tablestore
// (tables.StoreFromEnv), OSS (blob.StoreFromEnv), XT_SESSION_KEY, and
// DINGTALK_APPS for the organizations the timers report on.
func FromEnv(getenv func(string) string) (*Service, error) {
	db, err := tables.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	files, err := blob.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	signer, err := session.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	apps, err := dingtalk.ParseApps([]byte(getenv("DINGTALK_APPS")))
	if err != nil {
		return nil, fmt.Errorf("reports: config %q: %w", "DINGTALK_APPS", err)
	}
	var corps []string
	for _, a := range apps {
		corps = append(corps, a.CorpID)
	}
	return New(db, files, signer, Config{Corps: corps})
}

// TimerPayload is the payload of the reports timers in s.yaml:
// {"period":"daily"|"weekly"|"monthly"}; "kind" and "job" are accepted as
// synonyms of "period".
type TimerPayload struct {
	Period string `json:"period"`
	Kind   string `json:"kind"`
	Job    string `json:"job"`
}

func (p TimerPayload) kind() Kind {
	for _, s := range []string{p.Period, p.Kind, p.Job} {
		if s != "" {
			return Kind(s)
		}
	}
	return ""
}

// Timer runs the reports the payload names for every organization of
// Config.Corps, as of the trigger time. It returns ErrResume when a run
// stopped near the deadline, so that the platform's retry resumes it.
func (s *Service) Timer(ctx context.Context, ev runtime.TimerEvent) error {
	var p TimerPayload
	if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
		return fmt.Errorf("reports: timer %q: payload: %w", ev.TriggerName, err)
	}
	k := p.kind()
	if !k.Valid() {
		return fmt.Errorf("reports: timer %q: unknown period %q", ev.TriggerName, k)
	}
	at := ev.TriggerTime
	if at.IsZero() {
		at = s.cfg.Now()
	}
	var errs []error
	for _, corp := range s.cfg.Corps {
		res, err := s.resumePrevious(ctx, corp, k, at)
		if err == nil {
			res, err = s.Run(ctx, corp, k, at)
		}
		runtime.Logger(ctx).Info("report run", "corp", corp, "kind", k, "period",
			res.Period, "recipients", res.Recipients, "served", res.Served,
			"skipped", res.Skipped, "refused", res.Refused, "done", res.Done,
			"already", res.Already, "rows_read", res.RowsRead,
			"unreadable", res.Unreadable, "error", err)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...) // errors.Is(err, ErrResume) when a run checkpointed
}

// resumePrevious finishes the run of the period before at's when one was
// started and left unfinished (its retries ran out before it was done).
func (s *Service) resumePrevious(ctx context.Context, corp string, k Kind,
	at time.Time) (Result, error) {
	prev := at.AddDate(0, 0, -1)
	switch k {
	case Weekly:
		prev = at.AddDate(0, 0, -7)
	case Monthly:
		prev = at.AddDate(0, -1, 0)
	}
	prog, err := s.readProgress(ctx, corp, k, Period(k, prev), &counter{})
	if err != nil || prog.State != stateRunning {
		return Result{}, err
	}
	return s.Run(ctx, corp, k, prev)
}
