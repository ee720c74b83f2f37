package dingtalk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// PrimaryCalendar is the calendar id of a user's main calendar.
const PrimaryCalendar = "primary"

// MaxEventAttendees bounds the attendees of one calendar event.
const MaxEventAttendees = 500

// EventTime is a calendar event's start or end: DateTime (RFC 3339 with an
// offset) and TimeZone for a timed event, or Date (YYYY-MM-DD) all day.
type EventTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

// Attendee is an event attendee by unionId.
type Attendee struct {
	ID       string `json:"id"`
	Optional bool   `json:"isOptional,omitempty"`
}

// Event is a calendar event. For an all-day event End is the day after the
// last day.
type Event struct {
	ID          string     `json:"id,omitempty"`
	Summary     string     `json:"summary"`
	Description string     `json:"description,omitempty"`
	Start       EventTime  `json:"start"`
	End         EventTime  `json:"end"`
	AllDay      bool       `json:"isAllDay,omitempty"`
	Attendees   []Attendee `json:"attendees,omitempty"`
}

func eventsPath(organizer string) string {
	return "/v1.0/calendar/users/" + url.PathEscape(organizer) + "/calendars/" +
		PrimaryCalendar + "/events"
}

func checkEvent(op string, e Event) error {
	switch {
	case e.Summary == "":
		return fmt.Errorf("dingtalk: %s: %w: summary is required", op, ErrInvalid)
	case e.Start == (EventTime{}) || e.End == (EventTime{}):
		return fmt.Errorf("dingtalk: %s %q: %w: start and end are required", op, e.Summary,
			ErrInvalid)
	case len(e.Attendees) > MaxEventAttendees:
		return fmt.Errorf("dingtalk: %s %q: %w: %d attendees exceed %d", op, e.Summary,
			ErrInvalid, len(e.Attendees), MaxEventAttendees)
	}
	return nil
}

// CreateEvent creates e in organizer's (a unionId) primary calendar and
// returns it with its id. It is not retried after an ambiguous failure.
func (c *Client) CreateEvent(ctx context.Context, organizer string, e Event) (Event, error) {
	if err := checkEvent("event create", e); err != nil {
		return Event{}, err
	}
	e.ID = ""
	var out Event
	err := c.do(ctx, call{op: "event create", key: e.Summary, style: apiStyle,
		method: http.MethodPost, path: eventsPath(organizer), body: e}, &out)
	return out, err
}

// UpdateEvent replaces event e.ID of organizer's primary calendar with e;
// the same update twice leaves the same event, so it is retried.
func (c *Client) UpdateEvent(ctx context.Context, organizer string, e Event) (Event, error) {
	if e.ID == "" {
		return Event{}, fmt.Errorf("dingtalk: event update: %w: id is required", ErrInvalid)
	}
	if err := checkEvent("event update", e); err != nil {
		return Event{}, err
	}
	var out Event
	err := c.do(ctx, call{op: "event update", key: e.ID, style: apiStyle,
		method: http.MethodPut, path: eventsPath(organizer) + "/" + url.PathEscape(e.ID),
		body: e}.idempotent(), &out)
	return out, err
}
