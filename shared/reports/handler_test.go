package reports

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xietong/xietong/events"
	"github.com/xietong/xietong/shared/runtime"
)

func TestOnDemandReportsAndSnapshots(t *testing.T) {
	st := newStack(t, Config{})
	st.seed(t)
	tests := []struct {
		who, kind  string
		status     int
		recipients []string // audiences of the reports returned
	}{
		{"", "weekly", http.StatusUnauthorized, nil},
		{appsLead, "yearly", http.StatusNotFound, nil},
		{appsLead, "weekly", http.StatusOK, []string{AudienceDept, AudienceLead}},
		{director, "weekly", http.StatusOK, []string{AudienceDept}},
		{dev1, "weekly", http.StatusForbidden, nil},
		{dev1, "monthly", http.StatusForbidden, nil},
		{appsLead, "monthly", http.StatusForbidden, nil},
		{president, "monthly", http.StatusOK, []string{AudienceExecutive}},
		{dev1, "daily", http.StatusOK, []string{AudiencePerson}},
		{acmeDev, "daily", http.StatusOK, []string{}},
	}
	sent := map[string]Sent{} // by snapshot id
	for _, tt := range tests {
		status, body := st.request(tt.who, "POST", "/api/reports/"+uni+"/"+tt.kind)
		if status != tt.status {
			t.Errorf("POST %s as %q = %d %s, want %d", tt.kind, tt.who, status, body, tt.status)
			continue
		}
		if status != http.StatusOK {
			continue
		}
		var got Reports
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		var auds []string
		for _, r := range got.Reports {
			auds = append(auds, r.Audience)
			sent[r.ID] = r
			if r.User != tt.who {
				t.Errorf("POST %s as %s returned a report for %s", tt.kind, tt.who, r.User)
			}
		}
		if !slices.Equal(auds, tt.recipients) && !(len(auds) == 0 && len(tt.recipients) == 0) {
			t.Errorf("POST %s as %s: reports for %v, want %v", tt.kind, tt.who, auds,
				tt.recipients)
		}
	}

	// Each report was enqueued once and reads back exactly as sent, to its
	// recipient only.
	bodies := map[string]string{}
	for _, r := range st.outbox(uni) {
		bodies[r.Dedupe] = r.Body
	}
	for id, s := range sent {
		if bodies[dedupeKey(s.Report)] != s.Body {
			t.Errorf("outbox body of %s differs from the report returned", id)
		}
		status, body := st.request(s.User, "GET", "/api/reports/"+uni+"/snapshots/"+id)
		var snap Snapshot
		if status != http.StatusOK || json.Unmarshal(body, &snap) != nil {
			t.Errorf("GET snapshot %s = %d %s", id, status, body)
			continue
		}
		if snap.Report.Body != s.Body || snap.Report.Title != s.Title ||
			len(snap.ChartURLs) != len(s.Charts) {
			t.Errorf("snapshot %s = %+v, want the report as sent %+v", id, snap.Report, s.Report)
		}
		other := dev2
		if status, _ := st.request(other, "GET", "/api/reports/"+uni+"/snapshots/"+id); status !=
			http.StatusNotFound {
			t.Errorf("GET snapshot %s as %s = %d, want 404", id, other, status)
		}
	}
	if status, _ := st.request(dev1, "GET", "/api/reports/"+uni+"/snapshots/nonsense"); status !=
		http.StatusBadRequest {
		t.Errorf("GET a malformed snapshot id = %d, want 400", status)
	}
}

// TestHTTPFixtures runs the fc-http-reports fixtures through the runtime:
// their demo session is refused, and a real one is served.
func TestHTTPFixtures(t *testing.T) {
	st := newStack(t, Config{})
	st.seed(t)
	f := runtime.Function{Name: "reports", HTTP: st.svc.Handler(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tests := []struct {
		fixture string
		status  int // with a session of appsLead
	}{
		{"fc-http-reports-weekly.json", http.StatusOK},
		{"fc-http-reports-snapshot.json", http.StatusNotFound}, // no such report
	}
	corp, user, _ := strings.Cut(appsLead, ":")
	tok, _, err := st.signer.Issue(corp, user)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		raw, err := events.Load(tt.fixture)
		if err != nil {
			t.Fatal(err)
		}
		for _, auth := range []string{"", "Bearer " + tok} {
			var ev runtime.FCHTTPEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			want := http.StatusUnauthorized
			if auth != "" {
				ev.Headers["Authorization"], want = auth, tt.status
			}
			b, _ := json.Marshal(ev)
			res, err := f.Dispatch(context.Background(), b)
			resp, ok := res.(runtime.FCHTTPResponse)
			if err != nil || !ok || resp.StatusCode != want {
				t.Errorf("%s (auth %v) = %+v, %v; want status %d", tt.fixture, auth != "",
					res, err, want)
			}
		}
	}
}
