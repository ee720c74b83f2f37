package directory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// Approval outcomes. Approved, Rejected and Terminated are final and are
// recorded exactly once per instance.
const (
	OutcomeStarting    = "starting"
	OutcomeStartFailed = "start_failed"
	OutcomeRunning     = "running"
	OutcomeApproved    = "approved"
	OutcomeRejected    = "rejected"
	OutcomeTerminated  = "terminated"
)

// Final reports whether outcome ends an approval.
func Final(outcome string) bool {
	return outcome == OutcomeApproved || outcome == OutcomeRejected ||
		outcome == OutcomeTerminated
}

// staleStart is how long a start may stay unconfirmed before another may
// replace it (the starter crashed between DingTalk's answer and the write).
const staleStart = 2 * time.Minute

// Object names the domain object an approval decides, such as
// {"project", "P-1"} or {"contract", "C-9"}.
type Object struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

func (o Object) ref() string { return "obj/" + o.Kind + "/" + o.ID }

// Approval is the current approval of an object.
type Approval struct {
	CorpID      string    `json:"corpId"`
	Object      Object    `json:"object"`
	InstanceID  string    `json:"instanceId,omitempty"`
	ProcessCode string    `json:"processCode"`
	Outcome     string    `json:"outcome"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished,omitzero"`
	Ver         int64     `json:"-"`
}

// Approver starts OA instances; *dingtalk.Client is one.
type Approver interface {
	CreateApproval(ctx context.Context, r dingtalk.ApprovalRequest) (string, error)
}

var _ Approver = (*dingtalk.Client)(nil)

// StartApproval starts an OA instance of req for obj in corp through a and
// records it as running. An object whose approval is running is
// ErrInProgress, an approved one ErrApproved; a rejected or terminated one
// is started afresh.
func (d *Directory) StartApproval(ctx context.Context, a Approver, corp string, obj Object,
	req dingtalk.ApprovalRequest) (Approval, error) {
	if corp == "" || obj.Kind == "" || obj.ID == "" {
		return Approval{}, fmt.Errorf("directory: start approval: %w: corp, kind and id "+
			"are required", ErrInvalid)
	}
	ver, err := d.claimStart(ctx, corp, obj, req.ProcessCode)
	if err != nil {
		return Approval{}, err
	}
	key := tables.Key{tid(corp), obj.ref()}
	id, err := a.CreateApproval(ctx, req)
	if err != nil {
		_, uerr := d.store.Update(ctx, tables.Approval.Name, key, ver,
			tables.Change{Set: tables.Cols{"outcome": OutcomeStartFailed}})
		return Approval{}, errors.Join(err, uerr)
	}
	_, err = d.store.Create(ctx, tables.Approval.Name, tables.Key{tid(corp), "inst/" + id},
		tables.Cols{"kind": obj.Kind, "object_id": obj.ID})
	if err != nil {
		return Approval{}, err
	}
	if _, err = d.store.Update(ctx, tables.Approval.Name, key, ver, tables.Change{
		Set: tables.Cols{"instance_id": id, "outcome": OutcomeRunning}}); err != nil {
		return Approval{}, err
	}
	return d.Outcome(ctx, corp, obj)
}

// claimStart takes obj's approval row for a new start and returns its ver.
func (d *Directory) claimStart(ctx context.Context, corp string, obj Object,
	code string) (int64, error) {
	key := tables.Key{tid(corp), obj.ref()}
	cols := tables.Cols{"kind": obj.Kind, "object_id": obj.ID, "process_code": code,
		"outcome": OutcomeStarting, "instance_id": "", "started_ms": d.now().UnixMilli(),
		"finished_ms": int64(0)}
	cur, err := d.Outcome(ctx, corp, obj)
	switch {
	case errors.Is(err, ErrNotFound):
		_, err = d.store.Create(ctx, tables.Approval.Name, key, cols)
		if errors.Is(err, tables.ErrExists) {
			return 0, fmt.Errorf("directory: start approval %q: %w", obj.ref(), ErrInProgress)
		}
		return 1, err
	case err != nil:
		return 0, err
	case cur.Outcome == OutcomeApproved:
		return 0, fmt.Errorf("directory: start approval %q: %w", obj.ref(), ErrApproved)
	case cur.Outcome == OutcomeRunning,
		cur.Outcome == OutcomeStarting && d.now().Sub(cur.Started) < staleStart:
		return 0, fmt.Errorf("directory: start approval %q: %w", obj.ref(), ErrInProgress)
	}
	ver, err := d.store.Update(ctx, tables.Approval.Name, key, cur.Ver, tables.Change{Set: cols})
	if errors.Is(err, tables.ErrConflict) {
		return 0, fmt.Errorf("directory: start approval %q: %w", obj.ref(), ErrInProgress)
	}
	return ver, err
}

// Outcome returns obj's current approval, ErrNotFound when none was started.
func (d *Directory) Outcome(ctx context.Context, corp string, obj Object) (Approval, error) {
	r, err := d.store.Get(ctx, tables.Approval.Name, tables.Key{tid(corp), obj.ref()})
	if errors.Is(err, tables.ErrNotFound) {
		return Approval{}, fmt.Errorf("directory: approval %q: %w", obj.ref(), ErrNotFound)
	}
	if err != nil {
		return Approval{}, err
	}
	a := Approval{CorpID: corp, Object: obj, InstanceID: r.String("instance_id"),
		ProcessCode: r.String("process_code"), Outcome: r.String("outcome"),
		Started: time.UnixMilli(r.Int("started_ms")), Ver: r.Ver()}
	if ms := r.Int("finished_ms"); ms > 0 {
		a.Finished = time.UnixMilli(ms)
	}
	return a, nil
}

// InstanceObject returns the object instance instanceID of corp decides,
// ErrNotFound for an instance xietong did not start.
func (d *Directory) InstanceObject(ctx context.Context, corp, instanceID string) (Object, error) {
	r, err := d.store.Get(ctx, tables.Approval.Name, tables.Key{tid(corp), "inst/" + instanceID})
	if errors.Is(err, tables.ErrNotFound) {
		return Object{}, fmt.Errorf("directory: instance %q: %w", instanceID, ErrNotFound)
	}
	if err != nil {
		return Object{}, err
	}
	return Object{Kind: r.String("kind"), ID: r.String("object_id")}, nil
}

// RecordOutcome records the final outcome of instance instanceID on its
// object, with a conditional update, and reports whether this call recorded
// it: of any number of calls (redeliveries, concurrent ones) for an
// instance, exactly one returns true. An instance xietong did not start is
// ErrNotFound; one that an object has since replaced is ignored (false).
func (d *Directory) RecordOutcome(ctx context.Context, corp, instanceID,
	outcome string) (bool, error) {
	if !Final(outcome) {
		return false, fmt.Errorf("directory: record outcome %q: %w: %q is not final",
			instanceID, ErrInvalid, outcome)
	}
	obj, err := d.InstanceObject(ctx, corp, instanceID)
	if err != nil {
		return false, err
	}
	for range maxRaces {
		cur, err := d.Outcome(ctx, corp, obj)
		if err != nil {
			return false, err
		}
		if cur.Outcome == OutcomeStarting && cur.InstanceID == "" {
			return false, fmt.Errorf("directory: record outcome %q: %w: start not "+
				"confirmed yet", instanceID, ErrInProgress)
		}
		if cur.InstanceID != instanceID || Final(cur.Outcome) {
			return false, nil
		}
		_, err = d.store.Update(ctx, tables.Approval.Name, tables.Key{tid(corp), obj.ref()},
			cur.Ver, tables.Change{Set: tables.Cols{"outcome": outcome,
				"finished_ms": d.now().UnixMilli()}})
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, tables.ErrConflict) {
			return false, err
		}
	}
	return false, fmt.Errorf("directory: record outcome %q: %w", instanceID, tables.ErrConflict)
}

// OutcomeOf condenses a bpms event's type and result ("finish"+"agree",
// "finish"+"refuse", "terminate") to an outcome, "" when the event does not
// end the instance.
func OutcomeOf(eventType, result string) string {
	switch {
	case eventType == "terminate":
		return OutcomeTerminated
	case eventType == "finish" && result == dingtalk.ApprovalAgree:
		return OutcomeApproved
	case eventType == "finish" && result == dingtalk.ApprovalRefuse:
		return OutcomeRejected
	}
	return ""
}
