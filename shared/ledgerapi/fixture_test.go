package ledgerapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/xietong/xietong/events"
	"github.com/xietong/xietong/shared/runtime"
)

// Fixtures of the ledger function in events/.
const (
	fixtureSubmit     = "fc-http-ledger-submit.json"
	fixtureTimer      = "fc-timer-ledger.json"
	fixtureCheckpoint = "fc-http-ledger-checkpoint.json"
)

// TestFixtures runs the ledger fixtures through the function as the host
// delivers them: the submission (signed with the dev key of uni) is
// accepted, the timer publishes it and the checkpoint is served.
func TestFixtures(t *testing.T) {
	st := newStack(t, nil)
	ctx := context.Background()
	f := runtime.Function{Name: "ledger", HTTP: st.h, Timer: st.svc.Tick}
	for _, tc := range []struct {
		name   string
		status int // of an HTTP fixture
	}{
		{fixtureSubmit, http.StatusAccepted}, {fixtureTimer, 0}, {fixtureCheckpoint, http.StatusOK},
	} {
		payload, err := events.Load(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := f.Dispatch(ctx, payload)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.status == 0 {
			continue
		}
		resp, ok := out.(runtime.FCHTTPResponse)
		if !ok {
			t.Fatalf("%s: answer %T, want an FC HTTP response", tc.name, out)
		}
		status, _, body, err := resp.HTTPResponse()
		if err != nil || status != tc.status {
			t.Fatalf("%s: %d %s (%v), want %d", tc.name, status, body, err, tc.status)
		}
	}
	rec := httptest.NewRecorder()
	st.h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/ledger/receipts/0", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("receipt of the fixture's entry after the timer: %d", rec.Code)
	}
	var ev runtime.FCHTTPEvent
	payload, _ := events.Load(fixtureSubmit)
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Headers["Idempotency-Key"] == "" {
		t.Errorf("fixture carries no Idempotency-Key: %v", err)
	}
}
