// Package dingevents is the dingtalk-callback function's handler: it
// verifies and decrypts DingTalk HTTP pushes for several organizations,
// answers check_url, deduplicates every event with a conditional write,
// dispatches directory and approval events, and replies with the encrypted
// "success" within DingTalk's deadline. An approval's final outcome is
// recorded in the directory and then handed to the Applier of the object it
// decides (Config.Appliers: contracts now, project initiations later).
//
// Work runs under a budget (DefaultBudget) and never waits for the DingTalk
// client's QPS limiter (dingtalk.NoWait). What cannot finish in time, finds
// no QPS token free, or fails in a way a retry may cure, is queued durably in
// the outbox table and completed later by Drain: from the timer trigger, and
// from the next delivery that has budget left. The timer also takes
// DingTalk's failed-event list into the queue (PullFailed) and runs the full
// reconcile in resumable steps (ContinueReconcile).
package dingevents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/dingtalk/callback"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// Defaults.
const (
	// DefaultBudget bounds the work done for one delivery before replying;
	// DingTalk waits 1,500 ms.
	//
	// TODO(#5): Tablestore SDK calls take no context, so a slow Tablestore
	// is bounded only by the SDK's own retry limit, not by the budget.
	DefaultBudget = 800 * time.Millisecond
	// queueBudget bounds queueing the rest after the budget ran out.
	queueBudget = 300 * time.Millisecond
	// maxBody bounds a push's body.
	maxBody = 64 << 10
	// dedupeTTL is how long an event is remembered.
	dedupeTTL = 7 * 24 * time.Hour
)

// Client is what the handler asks DingTalk for one organization:
// directory reads and approval instances. *dingtalk.Client is one.
type Client interface {
	directory.Source
	Approval(ctx context.Context, instanceID string) (dingtalk.ApprovalInstance, error)
}

var _ Client = (*dingtalk.Client)(nil)

// Applier applies a final approval outcome to the domain object it decides
// (a contract, a project initiation). The handler calls it, after the
// directory recorded the outcome, for every delivery of the deciding event
// and every retry from the queue, possibly concurrently: ApplyApproval must
// be idempotent, changing the object once per instance. a is the object's
// current approval (a.InstanceID still the object's instance, a.Outcome
// final). An error that a retry may cure queues the event; one that wraps
// ErrBadEvent or a directory or tables ErrInvalid is recorded as failed.
type Applier interface {
	ApplyApproval(ctx context.Context, a directory.Approval) error
}

// Corp is one organization the deployment serves.
type Corp struct {
	CorpID string
	Crypto *callback.Crypto
	Client Client
}

// Config wires a Handler.
type Config struct {
	Corps     []Corp
	Directory *directory.Directory
	// Store holds the Dedupe and Outbox tables.
	Store *tables.Store
	// Appliers apply approval outcomes to domain objects, by object kind
	// (directory.Object.Kind). An outcome of a kind without one is only
	// recorded in the directory.
	Appliers map[string]Applier
	// Budget bounds the work of one delivery; zero means DefaultBudget.
	Budget time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ReconcileSteps bounds the steps of a full reconcile (about 20
	// DingTalk reads each) that one timer run makes; zero means as many as
	// fit until 3 s before the run's deadline.
	ReconcileSteps int
}

// Handler serves DingTalk pushes (http.Handler) and runs the timer jobs.
// It is safe for concurrent use.
type Handler struct {
	ring     callback.Ring
	corps    map[string]Corp
	dir      *directory.Directory
	store    *tables.Store
	budget   time.Duration
	now      func() time.Time
	appliers map[string]Applier // by object kind
	// reconcileSteps is Config.ReconcileSteps.
	reconcileSteps int

	mu  sync.Mutex
	due map[string]time.Time // corp → when a delivery should next look at the queue
}

var _ http.Handler = (*Handler)(nil)

// New checks cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Directory == nil || cfg.Store == nil || len(cfg.Corps) == 0 {
		return nil, errors.New("dingevents: new: directory, store and corps are required")
	}
	h := &Handler{corps: map[string]Corp{}, dir: cfg.Directory, store: cfg.Store,
		budget: cfg.Budget, now: cfg.Now, due: map[string]time.Time{},
		appliers: map[string]Applier{}, reconcileSteps: cfg.ReconcileSteps}
	if h.budget <= 0 {
		h.budget = DefaultBudget
	}
	if h.now == nil {
		h.now = time.Now
	}
	for kind, a := range cfg.Appliers {
		if kind == "" || a == nil {
			return nil, fmt.Errorf("dingevents: new: applier %q: kind and applier are required",
				kind)
		}
		h.appliers[kind] = a
	}
	for _, c := range cfg.Corps {
		if c.Crypto == nil || c.Client == nil || c.CorpID == "" {
			return nil, fmt.Errorf("dingevents: new: corp %q: crypto and client are required",
				c.CorpID)
		}
		if err := h.ring.Add(c.CorpID, c.Crypto); err != nil {
			return nil, err
		}
		h.corps[c.CorpID] = c
	}
	return h, nil
}

// ServeHTTP answers GET with a status and POST with the push protocol: a
// refused push gets a 4xx JSON error and changes nothing; an accepted one
// the encrypted "success", or a 503 when its work could be neither done nor
// queued, so that DingTalk retries.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	case http.MethodPost:
	default:
		runtime.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			"use POST for DingTalk pushes", nil)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		runtime.WriteError(w, http.StatusBadRequest, "bad_body", "body unreadable or too large",
			nil)
		return
	}

	corp, ev, err := h.open(r, body)
	if err != nil {
		h.refuse(w, r, err)
		return
	}

	if err := h.handle(r.Context(), corp, ev); err != nil {
		runtime.Logger(r.Context()).Error("callback", "corp", corp, "event", ev.Type,
			"key", ev.Key(), "error", err)
		runtime.WriteError(w, http.StatusServiceUnavailable, "unavailable",
			"event neither applied nor queued; retry", nil)
		return
	}

	h.reply(w, r, corp)
}

// open authenticates and parses a push.
func (h *Handler) open(r *http.Request, body []byte) (string, Event, error) {
	corp, msg, err := h.ring.OpenRequest(r.URL.Query(), body)
	if err != nil {
		return "", Event{}, err
	}
	ev, err := ParseEvent(msg)
	if err != nil {
		return "", Event{}, err
	}
	if ev.CorpID != "" && ev.CorpID != corp {
		return "", Event{}, fmt.Errorf("%w: event names corp %q, keys are %q's", ErrBadEvent,
			ev.CorpID, corp)
	}
	return corp, ev, nil
}

func (h *Handler) reply(w http.ResponseWriter, r *http.Request, corp string) {
	rep, err := h.corps[corp].Crypto.Success()
	if err != nil {
		runtime.Logger(r.Context()).Error("callback reply", "corp", corp, "error", err)
		runtime.WriteError(w, http.StatusInternalServerError, "internal", "reply failed", nil)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// refusal maps a refused push to its status and code.
func refusal(err error) (int, string) {
	switch {
	case errors.Is(err, callback.ErrSignature):
		return http.StatusUnauthorized, "bad_signature"
	case errors.Is(err, callback.ErrStale):
		return http.StatusUnauthorized, "stale_timestamp"
	case errors.Is(err, callback.ErrOwnerKey):
		return http.StatusUnauthorized, "owner_key_mismatch"
	case errors.Is(err, callback.ErrPadding):
		return http.StatusBadRequest, "bad_padding"
	case errors.Is(err, callback.ErrCiphertext):
		return http.StatusBadRequest, "bad_ciphertext"
	}
	return http.StatusBadRequest, "bad_event"
}

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status, code := refusal(err)
	runtime.Logger(r.Context()).Warn("callback refused", "code", code, "error", err)
	runtime.WriteError(w, status, code, err.Error(), nil)
}
