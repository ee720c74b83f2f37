package tasksapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/runtime"
)

// TestFixtures runs the events/fc-http-tasks-*.json fixtures through the
// runtime's FC dispatch into the handler: with the fixture's placeholder
// token they are refused as unauthenticated (so they reached an API route),
// and with a real session of dev1 they get the route's answer.
func TestFixtures(t *testing.T) {
	st := newStack(t)
	st.uniProject()
	f := runtime.Function{Name: "tasks", HTTP: st.svc.Handler(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	files, err := filepath.Glob("../../events/fc-http-tasks-*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	want := map[string]int{"fc-http-tasks-me.json": 200, "fc-http-tasks-status.json": 403}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := dispatch(t, f, raw); got.StatusCode != 401 ||
			!strings.Contains(got.Body, "invalid_session") {
			t.Errorf("%s as is = %d %s, want 401 invalid_session", file, got.StatusCode, got.Body)
		}
		var ev runtime.FCHTTPEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		ev.Headers["Authorization"] = "Bearer " + st.token(dev1)
		signed, _ := json.Marshal(ev)
		name := filepath.Base(file)
		if got := dispatch(t, f, signed); got.StatusCode != want[name] {
			t.Errorf("%s signed in = %d %s, want %d", name, got.StatusCode, got.Body, want[name])
		}
	}
}

func dispatch(t *testing.T, f runtime.Function, payload []byte) runtime.FCHTTPResponse {
	t.Helper()
	res, err := f.Dispatch(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := res.(runtime.FCHTTPResponse)
	if !ok {
		t.Fatalf("dispatch returned %T", res)
	}
	return out
}
