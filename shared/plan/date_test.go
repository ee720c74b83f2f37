package plan

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDates(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		week string
		bad  bool
	}{
		{in: "2026-11-30", want: day0, week: "2026-W49"},
		{in: "2027-01-01", want: NewDate(2027, time.January, 1), week: "2026-W53"},
		{in: "2025-12-29", want: NewDate(2025, time.December, 29), week: "2026-W01"},
		{in: ""},
		{in: "2026-02-30", bad: true},
		{in: "30/11/2026", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseDate(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != tt.in {
			t.Errorf("ParseDate(%q) = %v (%q), %v; want %v", tt.in, got, got.String(), err, tt.want)
		}
		if tt.week != "" && got.Week().String() != tt.week {
			t.Errorf("%s.Week() = %s, want %s", got, got.Week(), tt.week)
		}
	}
	// 23:30 UTC on 30 November is already 1 December in China.
	if got := DateOf(time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)); got != day0+1 {
		t.Errorf("DateOf(late UTC) = %s, want 2026-12-01", got)
	}
	if got := DateOf(time.Time{}); got != 0 {
		t.Errorf("DateOf(zero) = %v, want the zero Date", got)
	}
}

// TestSnapshotJSON stores a plan as JSON, as storage may, and restores it.
func TestSnapshotJSON(t *testing.T) {
	p := newPlan(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "a", Due: day0 + 3, Assignees: []string{sup}})
	must(p.SetStatus(by(lead, day0), "T-1", Done)).of(t)
	// A closed task keeps a member who has left; the state stays restorable.
	if _, err := p.RemoveMember(by(lead, day0), sup); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	q, err := Restore(s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Snapshot(), q.Snapshot()); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}
}
