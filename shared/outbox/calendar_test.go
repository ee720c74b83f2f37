package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
)

// eventSpecs is a hand-written EventSource whose wanted due day a test edits.
type eventSpecs struct {
	mu  sync.Mutex
	due map[string]string // key → YYYY-MM-DD
}

func (e *eventSpecs) set(key, day string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.due[key] = day
}

func (e *eventSpecs) EventSpec(_ context.Context, _, key string) (outbox.EventSpec, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	day, ok := e.due[key]
	if !ok {
		return outbox.EventSpec{}, outbox.ErrNoEvent
	}
	d, _ := time.Parse(time.DateOnly, day)
	return outbox.EventSpec{Organizer: "un-apps-lead", Event: dingtalk.Event{
		Summary: "里程碑评审：" + key, AllDay: true,
		Start:     dingtalk.EventTime{Date: day},
		End:       dingtalk.EventTime{Date: d.AddDate(0, 0, 1).Format(time.DateOnly)},
		Attendees: []dingtalk.Attendee{{ID: "un-dev-1"}, {ID: "un-dev-2"}}}}, nil
}

func calMsg(key string, n int) outbox.Message {
	return outbox.Message{Corp: univ, Kind: outbox.KindCalendar, EventKey: key,
		DedupeKey: fmt.Sprintf("event/%s/v%d", key, n)}
}

// apiFault makes the fake fail the next count calls of path with a 503.
func (s *stack) apiFault(path string, count int) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"path": path, "count": count, "status": 503,
		"code": "ServiceUnavailable"})
	resp, err := http.Post(s.url+"/_fake/fault", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
}

func TestCalendarEventCreatedOnceAndMoved(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	src := &eventSpecs{due: map[string]string{}}
	d := s.drainer("d", func(c *outbox.Config) { c.Events = src })
	const key = "milestone/univ/P-1/M-1"
	src.set(key, "2026-12-20")
	// Faults first, then the same request three times and a second row.
	const evPath = "/v1.0/calendar/users/un-apps-lead/calendars/primary/events"
	s.apiFault(evPath, 2)
	s.enqueue(calMsg(key, 1))
	s.enqueue(calMsg(key, 1))
	s.enqueue(calMsg(key, 2))
	s.drainUntilSettled(10, 10*time.Minute, d)
	if n := s.fake.Calls(evPath); n < 3 {
		t.Errorf("%d calls to the events route, want the 2 faults and a create", n)
	}
	evs := s.fake.Events(univ)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1: %+v", len(evs), evs)
	}
	first := evs[0]
	// The due date moves: the same event changes.
	src.set(key, "2026-12-27")
	s.enqueue(calMsg(key, 3))
	s.drainUntilSettled(10, time.Minute, d)
	evs = s.fake.Events(univ)
	if len(evs) != 1 || evs[0].ID != first.ID {
		t.Fatalf("events after the move = %+v, want only %s", evs, first.ID)
	}
	if !strings.Contains(string(evs[0].Body), "2026-12-27") {
		t.Errorf("event body %s, want the new date", evs[0].Body)
	}
	if id, _ := outbox.EventID(s.ctx, s.store, univ, key); id != first.ID {
		t.Errorf("EventID = %q, want %q", id, first.ID)
	}
	var people []string
	for _, e := range s.inbox(dingfake.KindCalendar) {
		if e.EventID == first.ID && strings.Contains(string(e.Content), "2026-12-27") {
			people = append(people, e.UserID)
		}
	}
	if len(people) != 3 {
		t.Errorf("the moved event reached %v, want the organizer and two attendees", people)
	}
}

func TestCalendarWithoutEventIsDropped(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	d := s.drainer("d", func(c *outbox.Config) { c.Events = &eventSpecs{due: map[string]string{}} })
	s.enqueue(calMsg("milestone/univ/P-9/M-1", 1))
	if rep, err := d.Drain(s.ctx); err != nil || rep.Dropped != 1 {
		t.Fatalf("Drain = %+v, %v; want the row dropped", rep, err)
	}
	if n := len(s.fake.Events(univ)); n != 0 {
		t.Errorf("%d events, want none", n)
	}
}
