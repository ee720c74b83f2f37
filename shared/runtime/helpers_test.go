package runtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
)

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

func errorIs(err, target error) bool { return errors.Is(err, target) }

func discardLogger() *slog.Logger { return NewLogger(io.Discard, slog.LevelDebug) }

// logBuffer collects JSON log lines safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (lb *logBuffer) Write(p []byte) (int, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.buf.Write(p)
}

// lines decodes every logged line.
func (lb *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(lb.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// find returns the first line with the given msg.
func (lb *logBuffer) find(t *testing.T, msg string) map[string]any {
	t.Helper()
	for _, l := range lb.lines(t) {
		if l["msg"] == msg {
			return l
		}
	}
	t.Fatalf("no log line with msg %q in:\n%s", msg, lb.buf.String())
	return nil
}

func dispatchFC(t *testing.T, f Function, ev FCHTTPEvent) FCHTTPResponse {
	t.Helper()
	got, err := f.Dispatch(context.Background(), mustJSON(t, ev))
	if err != nil {
		t.Fatalf("Dispatch FC: %v", err)
	}
	resp, ok := got.(FCHTTPResponse)
	if !ok {
		t.Fatalf("Dispatch FC returned %T, want FCHTTPResponse", got)
	}
	return resp
}

func dispatchLambda(t *testing.T, f Function, ev LambdaHTTPEvent) LambdaHTTPResponse {
	t.Helper()
	got, err := f.Dispatch(context.Background(), mustJSON(t, ev))
	if err != nil {
		t.Fatalf("Dispatch Lambda: %v", err)
	}
	resp, ok := got.(LambdaHTTPResponse)
	if !ok {
		t.Fatalf("Dispatch Lambda returned %T, want LambdaHTTPResponse", got)
	}
	return resp
}

func slogDefault() *slog.Logger { return slog.Default() }
