package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// ErrNoEvent is what an EventSource returns for a key that should have no
// calendar event: the row is dropped.
var ErrNoEvent = errors.New("no event wanted")

// EventSpec is what a kept calendar event should look like: Event (its ID
// ignored) in Organizer's primary calendar; Organizer and the attendees are
// unionIds.
type EventSpec struct {
	Organizer string
	Event     dingtalk.Event
}

// EventSource tells a Drainer what the events of KindCalendar rows should
// look like, when a row runs.
type EventSource interface {
	EventSpec(ctx context.Context, corp, key string) (EventSpec, error)
}

// Columns of an event registry row (msg_id "e/<hash of the event key>").
const (
	eventPrefix  = "e/"
	colEventID   = "event_id"
	colOrganizer = "organizer"
)

// EventID returns the DingTalk event id the outbox created for key in corp,
// or "" when there is none yet.
func EventID(ctx context.Context, store *tables.Store, corp, key string) (string, error) {
	row, err := store.Get(ctx, tables.Outbox.Name, regKey(eventPrefix, corp, key))
	switch {
	case errors.Is(err, tables.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("outbox: event %q: %w", key, err)
	}
	return row.String(colEventID), nil
}

// syncEvent creates key's event, or replaces the one created before, under
// the registry row's lock: a retried, repeated or concurrent row updates
// the same event and never makes a second one.
//
// TODO(#6): a drainer that dies between DingTalk's create answer and the
// registry write leaves an event the next row does not know; a change of
// organizer keeps the event in the first organizer's calendar.
func (d *Drainer) syncEvent(ctx context.Context, s *sender, m Message) outcome {
	if d.cfg.Events == nil {
		return outcome{err: fmt.Errorf("outbox: event %q: %w: the drainer has no event source",
			m.EventKey, ErrInvalid), final: true}
	}
	spec, err := d.cfg.Events.EventSpec(ctx, s.corp, m.EventKey)
	switch {
	case errors.Is(err, ErrNoEvent):
		return outcome{state: StateDropped, reason: "no event wanted for " + m.EventKey}
	case err != nil:
		return outcome{err: err}
	}
	lk, wait, err := d.lockReg(ctx, regKey(eventPrefix, s.corp, m.EventKey), m.EventKey, nil)
	if err != nil || wait > 0 {
		return outcome{err: err, wait: wait}
	}
	id, organizer, err := d.applyEvent(ctx, s, lk, spec)
	if err != nil {
		d.unlockChat(ctx, lk, nil)
		return outcome{err: err, final: permanent(err)}
	}
	err = d.recordCreated(ctx, lk, tables.Cols{colEventID: id, colOrganizer: organizer})
	if err != nil {
		return outcome{err: err}
	}
	return outcome{state: StateSent, taskID: id}
}

// applyEvent updates the registered event, or creates one when there is
// none (or DingTalk no longer has it).
func (d *Drainer) applyEvent(ctx context.Context, s *sender, lk chatLock, spec EventSpec) (
	string, string, error) {
	ev := spec.Event
	if lk.row != nil && lk.row.String(colEventID) != "" {
		organizer := lk.row.String(colOrganizer)
		ev.ID = lk.row.String(colEventID)
		_, err := s.notice.UpdateEvent(ctx, organizer, ev)
		if !errors.Is(err, dingtalk.ErrNotFound) {
			return ev.ID, organizer, err
		}
	}
	ev.ID = ""
	out, err := s.notice.CreateEvent(ctx, spec.Organizer, ev)
	if err == nil && out.ID == "" {
		err = fmt.Errorf("outbox: event %q: DingTalk answered no id", ev.Summary)
	}
	return out.ID, spec.Organizer, err
}
