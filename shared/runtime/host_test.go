package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// startLocalHost serves f on a random loopback port; stop (also run at
// cleanup) shuts it down and waits.
func startLocalHost(t *testing.T, f Function) (base string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- newHost(f).serveLocal(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serveLocal: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLocalHost(t *testing.T) {
	var timers []string
	stopped := false
	inits := 0
	f := Function{Name: "reports", Logger: discardLogger(),
		HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/panic" {
				panic("local")
			}
			w.Header().Add("Set-Cookie", "a=1")
			w.Header().Add("Set-Cookie", "b=2")
			io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+RequestID(r.Context()))
		}),
		Timer: func(_ context.Context, ev TimerEvent) error {
			timers = append(timers, ev.TriggerName)
			if ev.TriggerName == "fail" {
				return errors.New("no data")
			}
			return nil
		},
		Init:    func(context.Context) error { inits++; return nil },
		PreStop: func(context.Context) { stopped = true },
	}
	base, stop := startLocalHost(t, f)

	resp, err := http.Get(base + "/r/1?x=1&x=2")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := string(b); !strings.HasPrefix(got, "GET /r/1?x=1&x=2 ") || len(got) < 40 {
		t.Errorf("GET body = %q, want method, URI and a request id", got)
	}
	if got := resp.Header.Values("Set-Cookie"); !cmp.Equal(got, []string{"a=1", "b=2"}) {
		t.Errorf("Set-Cookie = %q, want both cookies", got)
	}

	tests := []struct {
		name, path, body string
		want             int
		wantIn           string
	}{
		{"health", "/healthz", "", 200, `"function":"reports"`},
		{"panic", "/panic", "", 500, `"code":"internal"`},
		{"timer", LocalTimerPath, `{"triggerTime":"2026-01-01T00:00:00Z","triggerName":"daily"}`,
			200, "null"},
		{"timer error", LocalTimerPath,
			`{"triggerTime":"2026-01-01T00:00:00Z","triggerName":"fail"}`,
			500, `"code":"handler_error"`},
		{"timer malformed", LocalTimerPath, `{"triggerTime":`, 400, `"code":"malformed_event"`},
		{"oss without handler", LocalOSSPath, `{"events":[]}`, 404, `"code":"no_handler"`},
		{"unknown invoke route", "/_invoke/nope", "{}", 404, "local invoke routes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			var body string
			if tt.body == "" {
				resp, err := http.Get(base + tt.path)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				status, body = resp.StatusCode, string(b)
			} else {
				status, body = post(t, base+tt.path, tt.body)
			}
			if status != tt.want || !strings.Contains(body, tt.wantIn) {
				t.Errorf("%s = %d %s, want %d containing %s", tt.path, status, body, tt.want,
					tt.wantIn)
			}
		})
	}
	if !cmp.Equal(timers, []string{"daily", "fail"}) || inits != 1 {
		t.Errorf("timers = %v, inits = %d; want [daily fail], 1", timers, inits)
	}
	stop()
	if !stopped {
		t.Errorf("PreStop did not run on shutdown")
	}
}

func TestHostInitRetries(t *testing.T) {
	calls := 0
	h := newHost(Function{Name: "tasks", Logger: discardLogger(),
		Init: func(context.Context) error {
			calls++
			if calls == 1 {
				return errors.New("tablestore unreachable")
			}
			return nil
		},
		Invoke: func(context.Context, json.RawMessage) (any, error) { return "ok", nil },
	})
	if _, err := h.dispatch(context.Background(), []byte(`{}`)); err == nil ||
		!strings.Contains(err.Error(), `runtime: init "tasks": tablestore unreachable`) {
		t.Fatalf("first dispatch error = %v, want the init error", err)
	}
	for range 2 {
		if res, err := h.dispatch(context.Background(), []byte(`{}`)); err != nil || res != "ok" {
			t.Fatalf("dispatch after init = %v, %v; want ok", res, err)
		}
	}
	if calls != 2 {
		t.Errorf("Init calls = %d, want 2", calls)
	}
}

func TestHostInitPanic(t *testing.T) {
	h := newHost(Function{Logger: discardLogger(),
		Init: func(context.Context) error { panic("bad config") }})
	if err := h.ensureInit(context.Background()); !errors.Is(err, ErrPanic) {
		t.Errorf("ensureInit() = %v, want ErrPanic", err)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "tasks"},
		{map[string]string{EnvFCFunctionName: "xietong-tasks"}, "xietong-tasks"},
		{map[string]string{EnvLambdaFuncName: "aws-tasks"}, "aws-tasks"},
		{map[string]string{EnvFCFunctionName: "fc", EnvLambdaFuncName: "aws"}, "fc"},
	}
	for _, tt := range tests {
		f := Function{Name: "tasks"}.fromEnv(func(k string) string { return tt.env[k] })
		if f.Name != tt.want || f.Logger == nil {
			t.Errorf("fromEnv(%v).Name = %q (logger %v), want %q", tt.env, f.Name, f.Logger,
				tt.want)
		}
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		details any
		want    string
	}{
		{nil, `{"error":{"code":"bad_request","message":"title is required"}}` + "\n"},
		{map[string]string{"field": "title"},
			`{"error":{"code":"bad_request","message":"title is required",` +
				`"details":{"field":"title"}}}` + "\n"},
		{func() {}, `{"error":{"code":"bad_request","message":"title is required"}}` + "\n"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		WriteError(w, http.StatusBadRequest, "bad_request", "title is required", tt.details)
		if w.Code != 400 || w.Body.String() != tt.want ||
			w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("WriteError(%T) = %d %q %q, want 400 %q JSON", tt.details, w.Code,
				w.Header().Get("Content-Type"), w.Body.String(), tt.want)
		}
	}
}

func TestParseLogLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"", slog.LevelInfo, false},
		{"info", slog.LevelInfo, false},
		{"DEBUG", slog.LevelDebug, false},
		{" warn ", slog.LevelWarn, false},
		{"warning", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"loud", 0, true},
		{"3", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLogLevel(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseLogLevel(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want,
				tt.wantErr)
		}
	}
}

func TestSetupLogging(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	var buf bytes.Buffer
	l, err := SetupLogging(&buf, func(string) string { return "loud" })
	if err == nil || !strings.Contains(err.Error(), `"XT_LOG_LEVEL": unknown level "loud"`) {
		t.Fatalf("SetupLogging(loud) error = %v, want the XT_LOG_LEVEL error", err)
	}
	l.Error("config", "error", err)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "config" {
		t.Errorf("logged %q (%v), want one JSON line", buf.String(), err)
	}
	buf.Reset()
	l, err = SetupLogging(&buf, func(string) string { return "error" })
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	slog.Error("shown")
	if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "shown") {
		t.Errorf("level error logged %q, want only the error line via slog.Default", got)
	}
}
