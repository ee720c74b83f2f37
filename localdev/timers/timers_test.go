package timers

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 30, 0, time.UTC)
	tests := []struct {
		expr string
		want time.Time
	}{
		{"0 * * * * *", time.Date(2026, 12, 3, 10, 1, 0, 0, time.UTC)},
		{"0 0 4 * * *", time.Date(2026, 12, 4, 4, 0, 0, 0, time.UTC)},
		// 02:30 in Shanghai is 18:30 UTC the day before.
		{"CRON_TZ=Asia/Shanghai 0 30 2 * * *", time.Date(2026, 12, 3, 18, 30, 0, 0, time.UTC)},
		{"@every 4m", time.Date(2026, 12, 3, 10, 4, 30, 0, time.UTC)},
		{"0 0 9 * * MON", time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		if got := s.Next(at).UTC(); !got.Equal(tt.want) {
			t.Errorf("Parse(%q).Next(%v) = %v, want %v", tt.expr, at, got, tt.want)
		}
	}
	for _, bad := range []string{"* * * * *", "0 0 25 * * *", "@every", ""} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = nil error, want an error", bad)
		}
	}
}

func TestEvent(t *testing.T) {
	at := time.Date(2026, 12, 3, 7, 49, 0, 0, time.FixedZone("CST", 8*3600))
	got := string(Event(Job{Trigger: "daily", Payload: `{"period":"daily"}`}, at))
	want := `{"triggerTime":"2026-12-02T23:49:00Z","triggerName":"daily",` +
		`"payload":"{\"period\":\"daily\"}"}`
	if got != want {
		t.Errorf("Event = %s\nwant    %s", got, want)
	}
}

func TestSchedulerFires(t *testing.T) {
	fired := make(chan []byte, 1)
	s, err := New([]Job{{Function: "f", Trigger: "tick", Cron: "@every 1s", Payload: "p"}},
		func(ctx context.Context, j Job, ev []byte) {
			select {
			case fired <- ev:
			default:
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Next()["f/tick"]; !ok {
		t.Errorf("Next() = %v, want an entry for f/tick", s.Next())
	}
	s.Start()
	defer s.Stop()
	select {
	case ev := <-fired:
		var v struct{ TriggerName, Payload string }
		if err := json.Unmarshal(ev, &v); err != nil || v.TriggerName != "tick" ||
			v.Payload != "p" {
			t.Errorf("fired event %s, want trigger tick payload p", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("an @every 1s job did not fire within 30s")
	}
}

func TestNewRejectsBadExpression(t *testing.T) {
	_, err := New([]Job{{Function: "f", Trigger: "t", Cron: "every day"}}, nil)
	if err == nil {
		t.Fatal("New with a bad expression: nil error")
	}
}
