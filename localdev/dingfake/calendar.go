package dingfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// KindCalendar marks inbox entries of calendar events: one entry per
// attendee (and the organizer) each time an event is created or changed.
const KindCalendar = "calendar"

// EventInfo is a calendar event as the fake holds it.
type EventInfo struct {
	ID        string          `json:"id"`
	CorpID    string          `json:"corpId"`
	Organizer string          `json:"organizer"` // unionId
	Summary   string          `json:"summary"`
	Attendees []string        `json:"attendees"` // unionIds
	Body      json.RawMessage `json:"body"`      // the last body accepted
	Changes   int             `json:"changes"`   // updates after the create
}

// calendarBook holds the calendar events; its zero value is ready. Guarded
// by Fake.mu.
type calendarBook struct {
	byID map[string]*EventInfo
}

func (f *Fake) calendarRoutes() {
	p := "/v1.0/calendar/users/{unionId}/calendars/{calendarId}/events"
	f.api("POST "+p, f.eventCreate)
	f.api("PUT "+p+"/{eventId}", f.eventUpdate)
}

// Events returns the calendar events of corpID, sorted by id.
func (f *Fake) Events(corpID string) []EventInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []EventInfo
	for _, e := range f.cals.byID {
		if e.CorpID == corpID {
			cp := *e
			cp.Attendees = slices.Clone(e.Attendees)
			out = append(out, cp)
		}
	}
	slices.SortFunc(out, func(a, b EventInfo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

type eventBody struct {
	Summary string `json:"summary"`
	Start   struct {
		Date     string `json:"date"`
		DateTime string `json:"dateTime"`
	} `json:"start"`
	Attendees []struct {
		ID string `json:"id"`
	} `json:"attendees"`
}

// parseEvent checks an event body and the users it names, or writes the
// error.
func (f *Fake) parseEvent(w http.ResponseWriter, r *http.Request, ref appRef,
	body []byte) (eventBody, bool) {
	var ev eventBody
	switch {
	case json.Unmarshal(body, &ev) != nil || ev.Summary == "" || len(ev.Summary) > 2048:
		apiErr(w, http.StatusBadRequest, "invalidParameter", "summary: 1 to 2048 characters")
	case ev.Start.Date == "" && ev.Start.DateTime == "":
		apiErr(w, http.StatusBadRequest, "invalidParameter", "start is required")
	case r.PathValue("calendarId") != "primary":
		apiErr(w, http.StatusNotFound, "calendarNotFound", "unknown calendar")
	case len(ev.Attendees) > 500:
		apiErr(w, http.StatusBadRequest, "invalidParameter", "at most 500 attendees")
	case f.userByUnion(ref.org, r.PathValue("unionId")) == nil:
		apiErr(w, http.StatusBadRequest, "invalidParameter", "unknown organizer unionId")
	default:
		for _, a := range ev.Attendees {
			if f.userByUnion(ref.org, a.ID) == nil {
				apiErr(w, http.StatusBadRequest, "invalidParameter", "unknown attendee "+a.ID)
				return ev, false
			}
		}
		return ev, true
	}
	return ev, false
}

func (f *Fake) eventCreate(w http.ResponseWriter, r *http.Request, ref appRef, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev, ok := f.parseEvent(w, r, ref, body)
	if !ok {
		return
	}
	if f.cals.byID == nil {
		f.cals.byID = map[string]*EventInfo{}
	}
	e := &EventInfo{ID: randomID("ev", 12), CorpID: ref.org.CorpID,
		Organizer: r.PathValue("unionId")}
	f.cals.byID[e.ID] = e
	f.applyEventLocked(ref, e, ev, body)
	writeJSON(w, http.StatusOK, eventAnswer(e))
}

func (f *Fake) eventUpdate(w http.ResponseWriter, r *http.Request, ref appRef, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev, ok := f.parseEvent(w, r, ref, body)
	if !ok {
		return
	}
	e := f.cals.byID[r.PathValue("eventId")]
	if e == nil || e.CorpID != ref.org.CorpID || e.Organizer != r.PathValue("unionId") {
		apiErr(w, http.StatusNotFound, "eventNotFound", "unknown event")
		return
	}
	e.Changes++
	f.applyEventLocked(ref, e, ev, body)
	writeJSON(w, http.StatusOK, eventAnswer(e))
}

// applyEventLocked stores the body and records an entry per person on it.
func (f *Fake) applyEventLocked(ref appRef, e *EventInfo, ev eventBody, body []byte) {
	e.Summary, e.Body, e.Attendees = ev.Summary, canonical(body), nil
	for _, a := range ev.Attendees {
		e.Attendees = append(e.Attendees, a.ID)
	}
	people := dedupe(append([]string{e.Organizer}, e.Attendees...))
	for _, union := range people {
		if u := f.userByUnion(ref.org, union); u != nil {
			f.recordLocked(Entry{Kind: KindCalendar, CorpID: e.CorpID, AppKey: ref.app.AppKey,
				UserID: u.UserID, Content: e.Body, EventID: e.ID})
		}
	}
}

func eventAnswer(e *EventInfo) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(e.Body, &out)
	if out == nil {
		out = map[string]any{}
	}
	out["id"] = e.ID
	return out
}
