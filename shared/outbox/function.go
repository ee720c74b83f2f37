package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// FromEnv builds the notify function's Drainer from the environment, read
// through getenv once: the Tablestore variables (tables.ConfigFromEnv),
// DINGTALK_OAPI_BASE, DINGTALK_API_BASE and DINGTALK_APPS. Each edit may
// complete the config (its Store is set), typically with Chats and Events.
func FromEnv(getenv func(string) string, edits ...func(*Config) error) (*Drainer, error) {
	ends, err := dingtalk.EndpointsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	apps, err := dingtalk.ParseApps([]byte(getenv("DINGTALK_APPS")))
	if err != nil {
		return nil, fmt.Errorf("outbox: config %q: %w", "DINGTALK_APPS", err)
	}
	store, err := tables.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	cfg := Config{Store: store, Apps: apps, Options: dingtalk.Options{Endpoints: ends}}
	for _, edit := range edits {
		if err := edit(&cfg); err != nil {
			return nil, fmt.Errorf("outbox: config: %w", err)
		}
	}
	return NewDrainer(cfg)
}

// Timer is the notify function's timer handler: one drain of every
// organization, whatever the payload, logged per run.
func (d *Drainer) Timer(ctx context.Context, ev runtime.TimerEvent) error {
	rep, err := d.Drain(ctx)
	runtime.Logger(ctx).Info("drain", "trigger", ev.TriggerName, "claimed", rep.Claimed,
		"sent", rep.Sent, "digests", rep.Digests, "digested", rep.Digested,
		"dropped", rep.Dropped, "retried", rep.Retried, "contended", rep.Contended,
		"unsettled", rep.Unsettled, "error", err)
	return err
}

// DrainRequest is the payload of a direct invocation: {"action":"drain"},
// optionally with "corp" to drain one organization.
type DrainRequest struct {
	Action string `json:"action"`
	Corp   string `json:"corp,omitempty"`
}

// Invoke is the notify function's direct-invocation handler: it drains and
// returns the Report. Any other action is ErrInvalid.
func (d *Drainer) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	var req DrainRequest
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("outbox: invoke: %w: %w", ErrInvalid, err)
	}
	if req.Action != "drain" {
		return nil, fmt.Errorf("outbox: invoke %q: %w: the only action is \"drain\"",
			req.Action, ErrInvalid)
	}
	if req.Corp != "" {
		return d.DrainCorp(ctx, req.Corp)
	}
	return d.Drain(ctx)
}
