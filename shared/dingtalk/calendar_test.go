package dingtalk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
)

func review(day, next string) dingtalk.Event {
	return dingtalk.Event{Summary: "里程碑评审：M1", AllDay: true,
		Start: dingtalk.EventTime{Date: day}, End: dingtalk.EventTime{Date: next},
		Attendees: []dingtalk.Attendee{{ID: "un-dev-1"}, {ID: "un-dev-2", Optional: true}}}
}

func TestEventCreateAndUpdate(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	ev, err := e.client.CreateEvent(ctx, "un-it-director", review("2026-12-20", "2026-12-21"))
	if err != nil || ev.ID == "" || ev.Start.Date != "2026-12-20" {
		t.Fatalf("CreateEvent = %+v, %v", ev, err)
	}
	moved := review("2026-12-27", "2026-12-28")
	moved.ID = ev.ID
	got, err := e.client.UpdateEvent(ctx, "un-it-director", moved)
	if err != nil || got.ID != ev.ID || got.Start.Date != "2026-12-27" {
		t.Fatalf("UpdateEvent = %+v, %v", got, err)
	}
	evs := e.fake.Events(dingfake.UniversityCorp)
	if len(evs) != 1 || evs[0].Changes != 1 || len(evs[0].Attendees) != 2 {
		t.Errorf("fake events %+v, want one changed once with 2 attendees", evs)
	}
	if n := inboxKinds(e.fake, "u-dev-2")[dingfake.KindCalendar]; n != 2 {
		t.Errorf("u-dev-2 has %d calendar entries, want 2 (create, move)", n)
	}
	moved.ID = "ev-none"
	if _, err := e.client.UpdateEvent(ctx, "un-it-director", moved); !errors.Is(err,
		dingtalk.ErrNotFound) {
		t.Errorf("UpdateEvent(unknown) = %v, want ErrNotFound", err)
	}
}

func TestEventChecks(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	tests := []struct {
		name string
		ev   dingtalk.Event
		want error
	}{
		{"no summary", dingtalk.Event{Start: dingtalk.EventTime{Date: "2026-12-20"},
			End: dingtalk.EventTime{Date: "2026-12-21"}}, dingtalk.ErrInvalid},
		{"no end", dingtalk.Event{Summary: "s", Start: dingtalk.EventTime{Date: "2026-12-20"}},
			dingtalk.ErrInvalid},
		{"unknown attendee", dingtalk.Event{Summary: "s",
			Start:     dingtalk.EventTime{Date: "2026-12-20"},
			End:       dingtalk.EventTime{Date: "2026-12-21"},
			Attendees: []dingtalk.Attendee{{ID: "un-nobody"}}}, dingtalk.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.client.CreateEvent(ctx, "un-it-director", tt.ev); !errors.Is(err,
				tt.want) {
				t.Errorf("CreateEvent = %v, want %v", err, tt.want)
			}
		})
	}
}
