package projects

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/xietong/xietong/events"
	"github.com/xietong/xietong/shared/runtime"
)

// TestFixtures runs the projects fixtures of events/ through the runtime's
// FC HTTP path, with the placeholder code and session replaced by live ones.
func TestFixtures(t *testing.T) {
	st := newStack(t)
	fn := runtime.Function{Name: "projects", HTTP: st.svc.Handler()}
	tests := []struct {
		name        string
		placeholder string
		live        func() string
		status      int
		into        any
	}{
		{"fc-http-projects-login.json", "code-fixture-0001",
			func() string { return st.mint(uni, "u-apps-lead") }, http.StatusOK,
			new(SessionResponse)},
		{"fc-http-projects-create.json", "xt-session-demo",
			func() string { return st.as(appsLead) }, http.StatusCreated, new(ProjectDetail)},
		{"fc-http-projects-executive.json", "xt-session-demo",
			func() string { return st.as(president) }, http.StatusOK, new(ExecutiveView)},
	}
	for _, tt := range tests {
		raw, err := events.Load(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(raw, []byte(tt.placeholder)) {
			t.Fatalf("%s: placeholder %q missing", tt.name, tt.placeholder)
		}
		local := bytes.ReplaceAll(raw, []byte(tt.placeholder), []byte(tt.live()))
		res, err := fn.Dispatch(context.Background(), local)
		if err != nil {
			t.Fatalf("%s: Dispatch = %v", tt.name, err)
		}
		status, _, body, err := res.(runtime.FCHTTPResponse).HTTPResponse()
		if err != nil || status != tt.status {
			t.Errorf("%s: %d %s (%v), want %d", tt.name, status, body, err, tt.status)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(tt.into); err != nil {
			t.Errorf("%s: answer %s: %v", tt.name, body, err)
		}
	}
}
