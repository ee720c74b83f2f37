package dingevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/runtime"
)

// FailedLister reads DingTalk's list of events whose push failed after its
// retries. A Corp's Client that implements it, as *dingtalk.Client does, has
// the list pulled by every timer run.
type FailedLister interface {
	FailedEvents(ctx context.Context) (dingtalk.FailedPage, error)
}

var _ FailedLister = (*dingtalk.Client)(nil)

// maxFailedPages bounds the failed-list reads of one timer run (200 events
// each); the rest is read by the next run.
const maxFailedPages = 20

// errQueueOnly is the queue reason of an event taken from the failed list.
var errQueueOnly = errors.New("listed by DingTalk as failed; queued before applying")

// PullFailed reads corp's failed-event list, page after page while DingTalk
// says it has more, and passes each event through the dedupe path of a
// delivery, queueing its work durably rather than doing it: DingTalk deletes
// what it lists, so an event is stored before anything else is tried. A
// following Drain applies them. It returns how many events it took.
//
// TODO(#5): an event whose dedupe claim or queue row cannot be written (the
// store is down) is lost with DingTalk's copy; a full reconcile repairs the
// directory, not an approval outcome.
func (h *Handler) PullFailed(ctx context.Context, corp string) (int, error) {
	c, ok := h.corps[corp]
	if !ok {
		return 0, fmt.Errorf("dingevents: pull failed %q: unknown corp", corp)
	}
	fl, ok := c.Client.(FailedLister)
	if !ok {
		return 0, nil
	}
	n := 0
	var errs []error
	for range maxFailedPages {
		page, err := fl.FailedEvents(ctx)
		if err != nil {
			return n, errors.Join(append(errs, err)...)
		}
		for _, fe := range page.Events {
			ok, err := h.takeFailed(ctx, corp, fe)
			n += b2i(ok)
			errs = append(errs, err)
		}
		if !page.HasMore {
			break
		}
	}
	return n, errors.Join(errs...)
}

// takeFailed queues one failed-list event through the dedupe path.
func (h *Handler) takeFailed(ctx context.Context, corp string,
	fe dingtalk.FailedEvent) (bool, error) {
	ev, err := FailedEvent(fe)
	if err == nil && ev.CorpID != "" && ev.CorpID != corp {
		err = fmt.Errorf("%w: failed-list event names corp %q, read for %q", ErrBadEvent,
			ev.CorpID, corp)
	}
	if err != nil {
		runtime.Logger(ctx).Warn("failed event skipped", "corp", corp, "event", fe.Tag,
			"error", err)
		return false, nil
	}
	if ev.Type == TypeCheckURL || ev.Type == TypeCheckSuiteURL {
		return false, nil
	}
	if _, err := h.process(ctx, corp, ev, true); err != nil {
		return false, fmt.Errorf("dingevents: failed event %q %q: %w", corp, ev.Key(), err)
	}
	return true, nil
}

// FailedEvent turns an entry of DingTalk's failed-event list into the Event
// its push would have carried: the entry's object (an approval's fields
// lifted out of bpmsCallBackData) with EventType set from call_back_tag and
// EventTime from event_time.
func FailedEvent(fe dingtalk.FailedEvent) (Event, error) {
	m := map[string]json.RawMessage{}
	if len(fe.Payload) > 0 {
		if err := json.Unmarshal(fe.Payload, &m); err != nil {
			return Event{}, fmt.Errorf("%w: failed-list %q entry: not a JSON object",
				ErrBadEvent, fe.Tag)
		}
		if m == nil { // the payload was null
			m = map[string]json.RawMessage{}
		}
	}
	var nested []string
	for k := range m {
		switch {
		case strings.EqualFold(k, "bpmsCallBackData"):
			nested = append(nested, k)
		case strings.EqualFold(k, "EventType"), strings.EqualFold(k, "EventTime"):
			delete(m, k) // the entry's own tag and time decide
		}
	}
	for _, k := range nested {
		var inner map[string]json.RawMessage
		if json.Unmarshal(m[k], &inner) != nil {
			continue
		}
		delete(m, k)
		for ik, iv := range inner {
			_, dup := m[ik]
			if !dup && !strings.EqualFold(ik, "EventType") && !strings.EqualFold(ik, "EventTime") {
				m[ik] = iv
			}
		}
	}
	m["EventType"], _ = json.Marshal(fe.Tag)
	if fe.EventTime != 0 {
		m["EventTime"], _ = json.Marshal(fe.EventTime)
	}
	raw, _ := json.Marshal(m)
	return ParseEvent(raw)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
