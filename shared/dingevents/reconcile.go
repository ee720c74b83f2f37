package dingevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

// A running full reconcile keeps its directory.ReconcileCursor in the outbox
// table under msg_id "rc/reconcile" (kind "dingtalk-reconcile", outside the
// queue's "cb/" range): every timer run carries it on, a step at a time,
// storing the cursor after each step, and deletes it when the reconcile
// ends. A run cut by the function's timeout loses at most the step it was
// in, which the next run repeats.
const (
	cursorKind = "dingtalk-reconcile"
	cursorID   = "rc/reconcile"
	// reconcileChunk is the DingTalk reads of one step: about a second at
	// the client's 20 QPS.
	reconcileChunk = 20
	// reconcileMargin is the time a timer run leaves before its deadline
	// when it starts no further step.
	reconcileMargin = 3 * time.Second
)

func cursorKey(corp string) tables.Key { return tables.Key{tables.TenantKey(corp), cursorID} }

// StartReconcile asks for a full reconcile of corp's directory, carried out
// by the following timer runs; one already running goes on instead of a new
// one starting.
func (h *Handler) StartReconcile(ctx context.Context, corp string) error {
	_, err := h.store.Create(ctx, tables.Outbox.Name, cursorKey(corp), tables.Cols{
		"kind": cursorKind, "cursor": []byte("{}"), "started_ms": h.now().UnixMilli()})
	if errors.Is(err, tables.ErrExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dingevents: start reconcile %q: %w", corp, err)
	}
	return nil
}

// ReconcileReport says what one timer run did of a reconcile.
type ReconcileReport struct {
	Running bool              // a reconcile was under way
	Steps   int               // steps made in this run
	Done    bool              // the reconcile ended in this run
	Changes directory.Changes // written by the whole reconcile so far
}

// ContinueReconcile steps corp's running reconcile, if any, until it ends,
// ctx nears its deadline, or Config.ReconcileSteps steps were made. With
// less than 3 s left it does nothing (and reports nothing running).
func (h *Handler) ContinueReconcile(ctx context.Context, corp string) (ReconcileReport,
	error) {
	var rep ReconcileReport
	if nearDeadline(ctx, reconcileMargin) {
		return rep, nil // no time for a step; the next run looks
	}
	row, err := h.store.Get(ctx, tables.Outbox.Name, cursorKey(corp))
	if errors.Is(err, tables.ErrNotFound) {
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("dingevents: reconcile %q: %w", corp, err)
	}
	rep.Running = true
	var cur directory.ReconcileCursor
	if err := json.Unmarshal(row.Bytes("cursor"), &cur); err != nil {
		cur = directory.ReconcileCursor{} // unreadable: start over
	}
	ver := row.Ver()
	for !cur.Done() && h.mayStep(ctx, rep.Steps) {
		next, err := h.dir.ReconcileStep(ctx, h.corps[corp].Client, corp, cur,
			reconcileChunk)
		if err != nil {
			return rep, fmt.Errorf("dingevents: reconcile %q: %w", corp, err)
		}
		rep.Steps++
		cur, rep.Changes = next, next.Changes
		if ver, err = h.saveCursor(ctx, corp, ver, cur); err != nil {
			return rep, err
		}
	}
	rep.Done = cur.Done()
	return rep, nil
}

// mayStep reports whether a timer run that made steps steps may make one
// more.
func (h *Handler) mayStep(ctx context.Context, steps int) bool {
	if h.reconcileSteps > 0 && steps >= h.reconcileSteps {
		return false
	}
	return !nearDeadline(ctx, reconcileMargin)
}

// saveCursor stores cur, or deletes the row once the reconcile is done. A
// lost race means another run carries the reconcile on.
func (h *Handler) saveCursor(ctx context.Context, corp string, ver int64,
	cur directory.ReconcileCursor) (int64, error) {
	var err error
	if cur.Done() {
		err = h.store.Delete(ctx, tables.Outbox.Name, cursorKey(corp), ver)
	} else {
		b, _ := json.Marshal(cur)
		ver, err = h.store.Update(ctx, tables.Outbox.Name, cursorKey(corp), ver,
			tables.Change{Set: tables.Cols{"cursor": b}})
	}
	if err != nil {
		return ver, fmt.Errorf("dingevents: reconcile %q: save cursor: %w", corp, err)
	}
	return ver, nil
}
