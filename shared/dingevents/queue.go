package dingevents

import (
	"context"
	"errors"
	"time"

	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// Queue rows live in the outbox table under msg_id "cb/<event key>", with
// kind "dingtalk-callback", the event plaintext, attempts and next_ms (when
// the row is next due; taking a row moves it forward, as a lease).
const (
	queueKind   = "dingtalk-callback"
	queuePrefix = "cb/"
	queueEnd    = "cb0" // '0' sorts right after '/'
	stateQueued = "queued"
	stateDead   = "dead"
	// lease is how long a taken row is left to its drainer.
	lease = time.Minute
	// maxAttempts turns a row dead (kept for inspection; reconcile repairs
	// the directory anyway).
	maxAttempts = 12
	// itemBudget bounds one queued item in a drain.
	itemBudget = 5 * time.Second
	// recheck is how often a delivery looks for work queued elsewhere.
	recheck = 30 * time.Second
	// deliveryDrain caps the items a delivery drains.
	deliveryDrain = 4
	// scanLimit caps the rows one timer drain reads.
	scanLimit = 1000
)

func queueKey(corp, eventKey string) tables.Key {
	return tables.Key{tables.TenantKey(corp), queuePrefix + eventKey}
}

// enqueue stores ev for a later Drain; an event already queued is no error.
func (h *Handler) enqueue(ctx context.Context, corp string, ev Event, cause error) error {
	_, err := h.store.Create(ctx, tables.Outbox.Name, queueKey(corp, ev.Key()), tables.Cols{
		"kind": queueKind, "event": ev.raw, "state": stateQueued, "attempts": int64(0),
		"next_ms": h.now().UnixMilli(), "last_error": cause.Error()})
	if errors.Is(err, tables.ErrExists) {
		err = nil
	}
	if err == nil {
		h.setDue(corp, time.Time{})
	}
	return err
}

// DrainReport counts what a Drain did.
type DrainReport struct {
	Done    int `json:"done"`    // applied and removed
	Retried int `json:"retried"` // failed again, rescheduled
	Dead    int `json:"dead"`    // failed for the last time
	Left    int `json:"left"`    // not due yet, or leased by another drainer
}

// Drain applies up to max due queued events of corp (max <= 0: all of them),
// each under its own budget within ctx.
func (h *Handler) Drain(ctx context.Context, corp string, max int) (DrainReport, error) {
	return h.drain(ctx, corp, max, true)
}

// drain is Drain; without jobs it leaves queued reconciles to the timer.
func (h *Handler) drain(ctx context.Context, corp string, max int,
	jobs bool) (DrainReport, error) {
	var rep DrainReport
	tid := tables.TenantKey(corp)
	limit := scanLimit
	if max > 0 {
		limit = 8 * max
	}
	// TODO(#5): dead rows stay in the range and count against the limit.
	rows, _, err := h.store.Page(ctx, tables.Outbox.Name, tables.Range{
		Start: tables.Key{tid, queuePrefix}, End: tables.Key{tid, queueEnd}, Limit: limit})
	if err != nil {
		return rep, err
	}
	for _, r := range rows {
		if ctx.Err() != nil || (max > 0 && rep.Done+rep.Retried+rep.Dead >= max) {
			rep.Left++
			continue
		}
		if r.String("state") == stateDead {
			continue
		}
		h.drainOne(ctx, corp, r, jobs, &rep)
	}
	return rep, nil
}

// drainOne takes, applies and settles one queue row.
func (h *Handler) drainOne(ctx context.Context, corp string, r *tables.Row, jobs bool,
	rep *DrainReport) {
	now := h.now()
	if r.Int("next_ms") > now.UnixMilli() || (!jobs && isJob(r.Key)) {
		rep.Left++
		return
	}
	attempts := r.Int("attempts") + 1
	bctx, cancel := afterBudget(ctx)
	defer cancel()
	ver, err := h.store.Update(bctx, tables.Outbox.Name, r.Key, r.Ver(), tables.Change{
		Set: tables.Cols{"attempts": attempts, "next_ms": now.Add(lease).UnixMilli()}})
	if err != nil {
		rep.Left++ // taken by another drainer, or unreachable
		return
	}
	ev, err := ParseEvent(r.Bytes("event"))
	if err == nil {
		ictx, icancel := context.WithTimeout(ctx, itemBudget)
		err = h.apply(ictx, corp, ev)
		icancel()
	}
	h.settle(ctx, corp, r.Key, ver, attempts, err, rep)
}

func (h *Handler) settle(ctx context.Context, corp string, key tables.Key, ver, attempts int64,
	aerr error, rep *DrainReport) {
	bctx, cancel := afterBudget(ctx)
	defer cancel()
	log := runtime.Logger(ctx)
	if aerr == nil {
		rep.Done++
		if err := h.store.Delete(bctx, tables.Outbox.Name, key, ver); err != nil {
			log.Warn("callback queue delete", "corp", corp, "key", key.String(), "error", err)
		}
		return
	}
	set := tables.Cols{"last_error": aerr.Error(),
		"next_ms": h.now().Add(backoff(attempts)).UnixMilli()}
	if attempts >= maxAttempts || permanent(aerr) {
		set["state"] = stateDead
		rep.Dead++
		log.Error("callback queue dead", "corp", corp, "key", key.String(), "error", aerr)
	} else {
		rep.Retried++
	}
	if _, err := h.store.Update(bctx, tables.Outbox.Name, key, ver,
		tables.Change{Set: set}); err != nil {
		log.Warn("callback queue reschedule", "corp", corp, "key", key.String(), "error", err)
	}
}

// backoff is the wait before attempt n+1: 2 s doubling to at most 30 min.
func backoff(n int64) time.Duration {
	d := 2 * time.Second
	for i := int64(1); i < n && d < 30*time.Minute; i++ {
		d *= 2
	}
	return min(d, 30*time.Minute)
}

// drainOnDelivery spends what is left of a delivery's budget on queued work
// of the same corp, when this instance knows of some or has not looked for
// a while.
func (h *Handler) drainOnDelivery(ctx context.Context, corp string) {
	if !h.isDue(corp) {
		return
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < h.budget/2 {
		return
	}
	rep, err := h.drain(ctx, corp, deliveryDrain, false)
	if err != nil {
		return // the timer drain will try again
	}
	next := h.now().Add(recheck)
	if rep.Left > 0 || rep.Retried > 0 {
		next = h.now().Add(2 * time.Second)
	}
	h.setDue(corp, next)
}

// isJob reports whether a queue row holds an internal job (a reconcile).
func isJob(key tables.Key) bool {
	id, _ := key[len(key)-1].(string)
	return id == queuePrefix+reconcileKey
}

func (h *Handler) isDue(corp string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.now().Before(h.due[corp])
}

func (h *Handler) setDue(corp string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.due[corp] = at
}
