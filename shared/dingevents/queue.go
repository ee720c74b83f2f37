package dingevents

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/dingtalk"
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
	// drainMargin is the time a timer's drain leaves before its deadline
	// when it takes no further row, for the timer's other work to give up
	// cleanly.
	drainMargin = 2 * time.Second
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
	if err == nil && !errors.Is(cause, dingtalk.ErrWouldWait) {
		// The next delivery may find the downstream well again. A QPS token
		// shortage it would not cure: the periodic recheck and the timer do.
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
	// Merged counts rows answered by an identical directory event applied
	// earlier in the same drain (see mergeKey), removed without a DingTalk
	// read of their own.
	Merged int `json:"merged"`
}

// Drain applies up to max due queued events of corp (max <= 0: all of them;
// merged rows count too), each under its own budget within ctx.
func (h *Handler) Drain(ctx context.Context, corp string, max int) (DrainReport, error) {
	return h.drain(ctx, corp, max, true)
}

// drain is Drain; without jobs it leaves queued reconciles to the timer.
// Without a max it reads page after page until the queue or the time ends.
func (h *Handler) drain(ctx context.Context, corp string, max int,
	jobs bool) (DrainReport, error) {
	tid := tables.TenantKey(corp)
	limit := scanLimit
	if max > 0 {
		limit = 8 * max
	}
	d := &drainRun{h: h, corp: corp, max: max, jobs: jobs, merged: map[string]bool{}}
	if jobs {
		d.margin = drainMargin
	}
	start := tables.Key{tid, queuePrefix}
	for {
		// Dead rows stay for inspection; the filter keeps them out of the limit.
		rows, next, err := h.store.Page(ctx, tables.Outbox.Name, tables.Range{
			Start: start, End: tables.Key{tid, queueEnd}, Limit: limit, Filter: notDead()})
		if err != nil {
			return d.rep, err
		}
		for _, r := range rows {
			d.row(ctx, r)
		}
		if next == nil || max > 0 || d.stopped(ctx) {
			return d.rep, nil
		}
		start = next
	}
}

// drainRun is the state of one drain.
type drainRun struct {
	h      *Handler
	corp   string
	max    int
	jobs   bool
	margin time.Duration // time kept free before ctx's deadline
	paced  bool          // the client had no QPS token: the rest would fare no better
	merged map[string]bool
	rep    DrainReport
}

// stopped reports whether the drain takes no further row.
func (d *drainRun) stopped(ctx context.Context) bool {
	r := d.rep
	return d.paced || nearDeadline(ctx, d.margin) ||
		(d.max > 0 && r.Done+r.Retried+r.Dead+r.Merged >= d.max)
}

// row deals with one queue row.
func (d *drainRun) row(ctx context.Context, r *tables.Row) {
	if d.stopped(ctx) {
		d.rep.Left++
		return
	}
	if r.String("state") == stateDead || d.h.merge(ctx, r, d.merged, &d.rep) {
		return
	}
	applied, err := d.h.drainOne(ctx, d.corp, r, d.jobs, &d.rep)
	d.paced = errors.Is(err, dingtalk.ErrWouldWait)
	if k := rowMergeKey(r); applied && k != "" {
		d.merged[k] = true
	}
}

// merge removes a due row whose event an identical one applied earlier in
// this drain has answered: directory events only say "read these ids
// again", and that read happened after the row was queued. It reports
// whether it dealt with the row.
func (h *Handler) merge(ctx context.Context, r *tables.Row, merged map[string]bool,
	rep *DrainReport) bool {
	if len(merged) == 0 || r.Int("next_ms") > h.now().UnixMilli() {
		return false
	}
	if k := rowMergeKey(r); k == "" || !merged[k] {
		return false
	}
	bctx, cancel := afterBudget(ctx)
	defer cancel()
	if err := h.store.Delete(bctx, tables.Outbox.Name, r.Key, r.Ver()); err != nil {
		rep.Left++ // taken meanwhile: its drainer settles it
		return true
	}
	rep.Merged++
	return true
}

func rowMergeKey(r *tables.Row) string {
	ev, err := ParseEvent(r.Bytes("event"))
	if err != nil {
		return ""
	}
	return mergeKey(ev)
}

// mergeKey names what a directory event asks to read again (type and ids),
// or is "" for events whose effect is not a fresh read by id: approvals,
// role-definition changes and internal jobs.
func mergeKey(ev Event) string {
	switch ev.Type {
	case TypeBpmsInstance, TypeBpmsTask, TypeLabelConfAdd, TypeLabelConfDel,
		TypeLabelConfModify, jobReconcile:
		return ""
	}
	if applierFor(ev.Type) == nil {
		return ""
	}
	users := slices.Clone(ev.UserIDs)
	slices.Sort(users)
	depts := slices.Clone(ev.DeptIDs)
	slices.Sort(depts)
	return fmt.Sprintf("%s|%s|%v", ev.Type, strings.Join(users, ","), depts)
}

// nearDeadline reports whether ctx is done or has less than margin left.
func nearDeadline(ctx context.Context, margin time.Duration) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < margin
}

// notDead passes queue rows whose state is not dead.
func notDead() tablestore.ColumnFilter {
	c := tablestore.NewSingleColumnCondition("state", tablestore.CT_NOT_EQUAL, stateDead)
	c.LatestVersionOnly = true
	return c
}

// drainOne takes, applies and settles one queue row, and returns whether the
// application succeeded, or its error.
func (h *Handler) drainOne(ctx context.Context, corp string, r *tables.Row, jobs bool,
	rep *DrainReport) (bool, error) {
	now := h.now()
	if r.Int("next_ms") > now.UnixMilli() || (!jobs && isJob(r.Key)) {
		rep.Left++
		return false, nil
	}
	attempts := r.Int("attempts") + 1
	bctx, cancel := afterBudget(ctx)
	defer cancel()
	ver, err := h.store.Update(bctx, tables.Outbox.Name, r.Key, r.Ver(), tables.Change{
		Set: tables.Cols{"attempts": attempts, "next_ms": now.Add(lease).UnixMilli()}})
	if err != nil {
		rep.Left++ // taken by another drainer, or unreachable
		return false, nil
	}
	ev, err := ParseEvent(r.Bytes("event"))
	if err == nil {
		ictx, icancel := context.WithTimeout(ctx, itemBudget)
		err = h.apply(ictx, corp, ev)
		icancel()
	}
	h.settle(ctx, corp, r.Key, ver, attempts, err, rep)
	return err == nil, err
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
	if errors.Is(aerr, dingtalk.ErrWouldWait) {
		// A delivery's drain found no QPS token: not a failed attempt.
		set["attempts"], set["next_ms"] = attempts-1, h.now().UnixMilli()
		rep.Left++
		h.update(bctx, corp, key, ver, set)
		return
	}
	if attempts >= maxAttempts || permanent(aerr) {
		set["state"] = stateDead
		rep.Dead++
		log.Error("callback queue dead", "corp", corp, "key", key.String(), "error", aerr)
	} else {
		rep.Retried++
	}
	h.update(bctx, corp, key, ver, set)
}

// update reschedules a taken queue row.
func (h *Handler) update(ctx context.Context, corp string, key tables.Key, ver int64,
	set tables.Cols) {
	if _, err := h.store.Update(ctx, tables.Outbox.Name, key, ver,
		tables.Change{Set: set}); err != nil {
		runtime.Logger(ctx).Warn("callback queue reschedule", "corp", corp,
			"key", key.String(), "error", err)
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
