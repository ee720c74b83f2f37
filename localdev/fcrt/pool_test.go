package fcrt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/fcrt"
)

var probeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fcrt-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	probeBin = filepath.Join(dir, "probe")
	cmd := exec.Command("go", "build", "-o", probeBin,
		"github.com/xietong/xietong/localdev/testdata/probe")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build probe:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for the pool's log writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newPool(t *testing.T, edit func(*fcrt.Config)) (*fcrt.Pool, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := fcrt.Config{
		Function:     "probe",
		FunctionName: "xietong-probe",
		Binary:       probeBin,
		Handler:      "main",
		MemoryMB:     128,
		Timeout:      5 * time.Second,
		Region:       "cn-hangzhou",
		AccountID:    "1234567890",
		Credentials:  fcrt.Credentials{AccessKeyID: "LTAIlocal", AccessKeySecret: "secret"},
		Log:          logs,
	}
	if edit != nil {
		edit(&cfg)
	}
	p := fcrt.NewPool(cfg)
	t.Cleanup(func() { p.Close() })
	return p, logs
}

// httpEvent builds a minimal FC3 HTTP event for path.
func httpEvent(method, path, query string) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "v1", "rawPath": path, "body": "", "isBase64Encoded": false,
		"headers": map[string]string{}, "queryParameters": parseQuery(query),
		"requestContext": map[string]any{"requestId": "r", "timeEpoch": "0",
			"http": map[string]string{"method": method, "path": path}},
	})
	return b
}

func parseQuery(q string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

type httpResult struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

func invokeHTTP(t *testing.T, p *fcrt.Pool, method, path, query string) (httpResult, fcrt.Result) {
	t.Helper()
	res, err := p.Invoke(context.Background(), httpEvent(method, path, query))
	if err != nil {
		t.Fatalf("Invoke %s %s: %v", method, path, err)
	}
	if res.Err != nil {
		t.Fatalf("Invoke %s %s: function error %v", method, path, res.Err)
	}
	var hr httpResult
	if err := json.Unmarshal(res.Body, &hr); err != nil {
		t.Fatalf("Invoke %s %s: result %q: %v", method, path, res.Body, err)
	}
	return hr, res
}

func TestInvokeFunctionErrorKeepsInstance(t *testing.T) {
	p, logs := newPool(t, nil)
	res, err := p.Invoke(context.Background(), []byte(`{"fail":true}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if res.Err == nil || !strings.Contains(res.Err.Message, "invoke asked to fail") {
		t.Fatalf("Invoke fail: Err = %v, want the handler's error", res.Err)
	}
	if res.Err.Type == "" {
		t.Errorf("Invoke fail: errorType empty")
	}
	again, err := p.Invoke(context.Background(), []byte(`{"n":1}`))
	if err != nil || again.Err != nil {
		t.Fatalf("Invoke after error: %v, %v", err, again.Err)
	}
	if again.PID != res.PID {
		t.Errorf("PID after handler error = %d, want %d (same instance)", again.PID, res.PID)
	}
	if !eventually(logs, " "+res.RequestID+" | ") {
		t.Errorf("logs have no line prefixed with request id %s:\n%s", res.RequestID, logs)
	}
}

func TestPanicAnswers500AndInstanceSurvives(t *testing.T) {
	p, _ := newPool(t, nil)
	hr, first := invokeHTTP(t, p, "GET", "/panic", "")
	if hr.StatusCode != 500 {
		t.Errorf("GET /panic status = %d, want 500", hr.StatusCode)
	}
	hr, second := invokeHTTP(t, p, "GET", "/pid", "")
	if hr.StatusCode != 200 || second.PID != first.PID {
		t.Errorf("after panic: status %d pid %d, want 200 pid %d", hr.StatusCode, second.PID,
			first.PID)
	}
}

func TestTimeoutRecyclesInstance(t *testing.T) {
	p, _ := newPool(t, func(c *fcrt.Config) { c.Timeout = time.Second })
	_, warm := invokeHTTP(t, p, "GET", "/pid", "")
	res, err := p.Invoke(context.Background(), httpEvent("GET", "/sleep", "ms=4000"))
	if !errors.Is(err, fcrt.ErrTimeout) {
		t.Fatalf("Invoke /sleep past timeout: err = %v, want ErrTimeout", err)
	}
	if res.RequestID == "" {
		t.Errorf("timeout result has no request id")
	}
	hr, next := invokeHTTP(t, p, "GET", "/pid", "")
	if hr.StatusCode != 200 {
		t.Errorf("after timeout: status %d, want 200", hr.StatusCode)
	}
	if next.PID == warm.PID {
		t.Errorf("after timeout: pid %d, want a new instance", next.PID)
	}
	if live, _ := p.Stats(); live != 1 {
		t.Errorf("after timeout: %d live instances, want 1", live)
	}
}

func TestConcurrencyOneInvocationPerInstance(t *testing.T) {
	const max, calls = 2, 6
	p, _ := newPool(t, func(c *fcrt.Config) { c.MaxInstances = max })
	var wg sync.WaitGroup
	results := make([]httpResult, calls)
	pids := make([]int, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hr, res := invokeHTTP(t, p, "GET", "/sleep", "ms=200")
			results[i], pids[i] = hr, res.PID
		}()
	}
	wg.Wait()
	distinct := map[int]bool{}
	for i, hr := range results {
		var body struct{ Inflight int }
		if err := json.Unmarshal([]byte(hr.Body), &body); err != nil {
			t.Fatalf("call %d: body %q: %v", i, hr.Body, err)
		}
		if body.Inflight != 1 {
			t.Errorf("call %d: %d invocations in flight in one instance, want 1", i, body.Inflight)
		}
		distinct[pids[i]] = true
	}
	if len(distinct) > max {
		t.Errorf("%d instances served, want at most %d", len(distinct), max)
	}
}

func TestInitializerRetriedUntilSuccess(t *testing.T) {
	p, _ := newPool(t, func(c *fcrt.Config) {
		c.Initializer = &fcrt.Hook{Handler: "main.initialize", Timeout: 3 * time.Second}
		c.Env = []string{"PROBE_INIT_FAILS=1"}
	})
	hr, _ := invokeHTTP(t, p, "GET", "/pid", "")
	var body struct{ Inits int }
	if err := json.Unmarshal([]byte(hr.Body), &body); err != nil {
		t.Fatal(err)
	}
	if body.Inits != 2 {
		t.Errorf("initializer ran %d times, want 2 (one failure, one retry)", body.Inits)
	}
}

func TestInitializerFailingForeverFailsInvoke(t *testing.T) {
	p, _ := newPool(t, func(c *fcrt.Config) {
		c.Initializer = &fcrt.Hook{Handler: "main.initialize", Timeout: 3 * time.Second}
		c.Env = []string{"PROBE_INIT_FAILS=100"}
	})
	_, err := p.Invoke(context.Background(), httpEvent("GET", "/pid", ""))
	if !errors.Is(err, fcrt.ErrInitializer) {
		t.Fatalf("Invoke with a failing initializer: err = %v, want ErrInitializer", err)
	}
}

func TestPreStopRunsOnClose(t *testing.T) {
	dir := t.TempDir()
	p, _ := newPool(t, func(c *fcrt.Config) {
		c.PreStop = &fcrt.Hook{Handler: "main.preStop", Timeout: 3 * time.Second}
		c.Env = []string{"PROBE_PRESTOP_DIR=" + dir}
	})
	_, res := invokeHTTP(t, p, "GET", "/pid", "")
	p.Close()
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("prestop-%d", res.PID))); err != nil {
		t.Errorf("preStop hook did not run on Close: %v", err)
	}
	if _, err := p.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, fcrt.ErrClosed) {
		t.Errorf("Invoke after Close: err = %v, want ErrClosed", err)
	}
}

func TestBinaryThatExitsReportsItsOutput(t *testing.T) {
	script := filepath.Join(t.TempDir(), "crash")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho config: TABLESTORE_ENDPOINT missing "+
		">&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, _ := newPool(t, func(c *fcrt.Config) { c.Binary = script })
	_, err := p.Invoke(context.Background(), []byte(`{}`))
	if !errors.Is(err, fcrt.ErrInstanceExited) ||
		!strings.Contains(err.Error(), "TABLESTORE_ENDPOINT") {
		t.Fatalf("Invoke on a crashing binary: err = %v, want ErrInstanceExited with its stderr",
			err)
	}
}

func TestReloadStartsNewInstances(t *testing.T) {
	p, _ := newPool(t, nil)
	_, before := invokeHTTP(t, p, "GET", "/pid", "")
	p.Reload(probeBin)
	_, after := invokeHTTP(t, p, "GET", "/pid", "")
	if after.PID == before.PID {
		t.Errorf("after Reload: pid %d, want a new instance", after.PID)
	}
}

// eventually reports whether logs contain s within a few seconds: an instance's
// output reaches the sink through a pipe, after its answer.
func eventually(logs *syncBuffer, s string) bool {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if strings.Contains(logs.String(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
