package lambdart

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xietong/xietong/shared/runtime"
)

var (
	probeOnce sync.Once
	probeBin  string
	probeErr  error
	probeDir  string
)

// buildProbe compiles testdata/probe once per test binary.
func buildProbe(t *testing.T) string {
	t.Helper()
	probeOnce.Do(func() {
		probeDir, probeErr = os.MkdirTemp("", "lambdart-probe-")
		if probeErr != nil {
			return
		}
		probeBin = filepath.Join(probeDir, "bootstrap")
		gobin := filepath.Join(goruntime.GOROOT(), "bin", "go")
		if p, err := exec.LookPath("go"); err == nil {
			gobin = p
		}
		cmd := exec.Command(gobin, "build", "-o", probeBin, "./testdata/probe")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			probeErr = errors.New(string(out))
		}
	})
	if probeErr != nil {
		t.Fatalf("build probe: %v", probeErr)
	}
	return probeBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if probeDir != "" {
		os.RemoveAll(probeDir)
	}
	os.Exit(code)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (sb *syncBuffer) Write(p []byte) (int, error) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.b.Write(p)
}

func (sb *syncBuffer) String() string {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.b.String()
}

// proc is a running probe; done is closed when it exits, then err is set.
type proc struct {
	done chan struct{}
	err  error
	logs *syncBuffer
}

// runProbe starts the probe binary in Lambda mode against s. At cleanup it
// closes s, which makes the probe exit, and kills it if it lingers.
func runProbe(t *testing.T, s *Server, extraEnv ...string) *proc {
	t.Helper()
	cmd := exec.Command(buildProbe(t))
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FC_RUNTIME_API=") && !strings.HasPrefix(kv, "AWS_LAMBDA_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+s.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=xietong-probe", "XT_LOG_LEVEL=debug")
	// Later entries win, so extraEnv can override XT_LOG_LEVEL.
	cmd.Env = append(cmd.Env, extraEnv...)
	p := &proc{done: make(chan struct{}), logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		s.Close()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func invokeProbe(t *testing.T, s *Server, payload []byte) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.Invoke(ctx, payload)
}

func TestProbeLambdaHTTPRoundTrip(t *testing.T) {
	s := startServer(t, Config{FunctionName: "xietong-probe", Timeout: 10 * time.Second})
	logs := runProbe(t, s).logs

	body := []byte{0x00, 0xff, 0xfe, 'p', 'd', 'f', 0x80}
	ev := runtime.LambdaHTTPEvent{
		Version: "2.0", RouteKey: "$default", RawPath: "/files/a%2Fb",
		RawQueryString: "k=1&k=2&q=x%20y",
		Cookies:        []string{"sid=s1"},
		Headers: map[string]string{"x-probe": "yes", "content-type": "application/pdf",
			"host": "probe.lambda-url.on.aws"},
		Body:            base64.StdEncoding.EncodeToString(body),
		IsBase64Encoded: true,
		RequestContext: runtime.LambdaRequestContext{RequestID: "apigw-1",
			HTTP: runtime.HTTPDetail{Method: "PUT", Path: "/files/a/b", Protocol: "HTTP/1.1",
				SourceIP: "192.0.2.1"}},
	}
	resp := invokeHTTP(t, s, ev)
	got, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil || !resp.IsBase64Encoded || !bytes.Equal(got, body) {
		t.Errorf("body = %q (base64 %v), want the request's binary body", resp.Body,
			resp.IsBase64Encoded)
	}
	want := map[string]string{"X-Echo-Method": "PUT", "X-Echo-Path": "/files/a%2Fb",
		"X-Echo-Query": "k=1&k=2&q=x%20y", "X-Echo-Header": "yes",
		"Content-Type": "application/octet-stream"}
	for k, v := range want {
		if resp.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, resp.Headers[k], v)
		}
	}
	if resp.StatusCode != 201 || !cmp.Equal(resp.Cookies, []string{"a=1", "b=2"}) {
		t.Errorf("status %d cookies %q, want 201 [a=1 b=2]", resp.StatusCode, resp.Cookies)
	}
	if id := resp.Headers["X-Echo-Request-Id"]; len(id) != 36 || !eventually(logs, id) {
		t.Errorf("request id %q is not the runtime's id in the logs", id)
	}

	// A panic is a 500 and the process keeps serving.
	ev.RawPath, ev.RequestContext.HTTP.Path = "/panic", "/panic"
	if resp := invokeHTTP(t, s, ev); resp.StatusCode != 500 ||
		!strings.Contains(resp.Body, `"code":"internal"`) {
		t.Errorf("panic = %d %s, want 500 internal", resp.StatusCode, resp.Body)
	}
	ev.RawPath, ev.RequestContext.HTTP.Path = "/healthz", "/healthz"
	ev.RequestContext.HTTP.Method = "GET"
	if resp := invokeHTTP(t, s, ev); resp.StatusCode != 200 ||
		resp.Body != `{"function":"xietong-probe","status":"ok"}`+"\n" {
		t.Errorf("health after panic = %d %q, want 200 naming xietong-probe", resp.StatusCode,
			resp.Body)
	}
	if !eventually(logs, `"stack"`) {
		t.Errorf("panic stack not logged:\n%s", logs)
	}
}

func invokeHTTP(t *testing.T, s *Server, ev runtime.LambdaHTTPEvent) runtime.LambdaHTTPResponse {
	t.Helper()
	payload, _ := json.Marshal(ev)
	out, err := invokeProbe(t, s, payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp runtime.LambdaHTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return resp
}

func TestProbeLambdaErrorRoute(t *testing.T) {
	s := startServer(t, Config{Timeout: 10 * time.Second})
	runProbe(t, s)
	tests := []struct {
		payload, wantIn string
	}{
		{`{"fail":true}`, "probe: asked to fail"},
		{`{"panic":true}`, "handler panicked: probe invoke panic"},
		{`{"version":"2.0","rawPath":7}`, "malformed event"},
		{`{"triggerTime":"2026-01-01T00:00:00Z","triggerName":"x"}`, "no handler"},
	}
	for _, tt := range tests {
		_, err := invokeProbe(t, s, []byte(tt.payload))
		var fe *FunctionError
		if !errors.As(err, &fe) || !strings.Contains(fe.Message, tt.wantIn) {
			t.Errorf("Invoke(%s) = %v, want a function error containing %q", tt.payload, err,
				tt.wantIn)
		}
	}
	out, err := invokeProbe(t, s, []byte(`{"still":"alive"}`))
	if err != nil || string(out) != `{"echo":{"still":"alive"}}` {
		t.Errorf("Invoke after errors = %s, %v; want the echo", out, err)
	}
}

func TestProbeLambdaInitError(t *testing.T) {
	s := startServer(t, Config{})
	p := runProbe(t, s, "PROBE_INIT_FAIL=1")
	logs := p.logs
	select {
	case <-p.done:
		var ee *exec.ExitError
		if !errors.As(p.err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("probe exit = %v, want status 1", p.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("probe did not exit after a failed Init")
	}
	ie, ok := s.InitError()
	if !ok || !strings.Contains(ie.Message, "PROBE_INIT_FAIL is set") ||
		ie.HeaderType != "Runtime.InitError" {
		t.Errorf("InitError() = %+v, %v; want the probe's init error", ie, ok)
	}
	if !eventually(logs, `"msg":"init"`) {
		t.Errorf("init failure not logged:\n%s", logs)
	}
}

func TestProbeBadLogLevel(t *testing.T) {
	s := startServer(t, Config{})
	p := runProbe(t, s, "XT_LOG_LEVEL=loud")
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("probe did not exit on a bad XT_LOG_LEVEL")
	}
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("probe exit = %v, want status 1", p.err)
	}
	lines := strings.Split(strings.TrimSpace(p.logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `unknown level \"loud\"`) {
		t.Errorf("output = %q, want one line naming the bad level", lines)
	}
}

// eventually reports whether the probe's output contains s within a few
// seconds: the process writes its log lines after it answers, through a pipe.
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
