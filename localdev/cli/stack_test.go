package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/tables"
)

var (
	probeOnce sync.Once
	probeBin  string
	probeErr  error
)

// buildProbe builds localdev/testdata/probe once per test binary.
func buildProbe(t *testing.T) string {
	t.Helper()
	probeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "localdev-probe")
		if err != nil {
			probeErr = err
			return
		}
		probeBin = filepath.Join(dir, "probe")
		out, err := exec.Command("go", "build", "-o", probeBin,
			"github.com/xietong/xietong/localdev/testdata/probe").CombinedOutput()
		if err != nil {
			probeErr = fmt.Errorf("build probe: %v\n%s", err, out)
		}
	})
	if probeErr != nil {
		t.Fatal(probeErr)
	}
	return probeBin
}

var (
	stackOnce sync.Once
	shared    *stack
	stackErr  error
	stackLogs = &syncBuffer{}
)

// probeStack runs testdata/s.yaml (the probe behind /probe/*) for every test in the
// package; TestMain closes it.
func probeStack(t *testing.T) *stack {
	t.Helper()
	bin := buildProbe(t)
	stackOnce.Do(func() {
		dir, err := os.MkdirTemp("", "localdev-stack")
		if err != nil {
			stackErr = err
			return
		}
		sfile, _ := filepath.Abs("testdata/s.yaml")
		proj := project{root: filepath.Dir(sfile), sfile: sfile, data: dir}
		shared, stackErr = startStack(t.Context(), stackConfig{
			proj: proj, addr: "127.0.0.1:0", maxInstances: 1, out: stackLogs,
			binaries: map[string]string{"probe": bin}, noTimers: true,
		})
	})
	if stackErr != nil {
		t.Fatal(stackErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.close()
		os.RemoveAll(shared.cfg.proj.data)
	}
	if probeBin != "" {
		os.RemoveAll(filepath.Dir(probeBin))
	}
	if realInstance != nil {
		realInstance.close()
		os.RemoveAll(realInstance.cfg.proj.data)
	}
	if benchStack != nil {
		benchStack.close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

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

func do(t *testing.T, method, url, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, url, err)
	}
	return resp, out
}

// probePID asks the probe for its pid and fails unless it answers 200.
func probePID(t *testing.T, s *stack) int {
	t.Helper()
	resp, body := do(t, "GET", s.gatewayURL+"/probe/pid", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /probe/pid = %d %s, want 200", resp.StatusCode, body)
	}
	var v struct{ PID int }
	if err := json.Unmarshal(body, &v); err != nil || v.PID == 0 {
		t.Fatalf("GET /probe/pid body %q: %v", body, err)
	}
	return v.PID
}

func lastEvent(t *testing.T, s *stack) map[string]string {
	t.Helper()
	resp, body := do(t, "GET", s.gatewayURL+"/probe/last", "", nil)
	var m map[string]string
	if resp.StatusCode != 200 || json.Unmarshal(body, &m) != nil {
		t.Fatalf("GET /probe/last = %d %s", resp.StatusCode, body)
	}
	return m
}

func TestGatewayBinaryBodyRoundTrip(t *testing.T) {
	s := probeStack(t)
	body := make([]byte, 4096)
	rand.Read(body)
	body[0] = 0xff // never valid UTF-8, so it must travel base64
	if utf8.Valid(body) {
		t.Fatal("test body is valid UTF-8")
	}
	resp, got := do(t, "POST", s.gatewayURL+"/probe/echo?a=1&a=2&b=x%20y",
		"application/octet-stream", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /probe/echo = %d %s, want 201", resp.StatusCode, got)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("echoed body differs: got %d bytes, want %d", len(got), len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type = %q, want application/octet-stream", ct)
	}
	if q := resp.Header.Get("X-Probe-Query"); !strings.Contains(q, "a=1%2C2") {
		t.Errorf("query seen by the handler = %q, want a joined as 1,2", q)
	}
	if resp.Header.Get("X-Fc-Request-Id") == "" {
		t.Errorf("reply has no X-Fc-Request-Id")
	}
}

func TestTimerTriggerDeliversEvent(t *testing.T) {
	s := probeStack(t)
	resp, body := do(t, "POST", s.gatewayURL+"/_localdev/trigger?function=probe&trigger=tick", "",
		nil)
	if resp.StatusCode != 200 {
		t.Fatalf("trigger tick = %d %s, want 200", resp.StatusCode, body)
	}
	got := lastEvent(t, s)
	if got["kind"] != "timer" || got["trigger"] != "tick" || got["payload"] != "tick-payload" {
		t.Errorf("probe saw %v, want the tick timer event with its payload", got)
	}
}

// TestOSSEventReachesTrigger puts objects through the OSS emulator with the OSS SDK;
// the emulator's event reaches the probe's OSS trigger when the key matches its prefix.
func TestOSSEventReachesTrigger(t *testing.T) {
	s := probeStack(t)
	client, err := oss.New(s.ossURL, s.secrets.AccessKeyID, s.secrets.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := client.Bucket(localBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := bucket.PutObject("uploads/a.pdf", strings.NewReader("%PDF-1.7")); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	s.async.Wait()
	got := lastEvent(t, s)
	if got["kind"] != "oss" || got["key"] != "uploads/a.pdf" || got["bucket"] != localBucket ||
		!strings.HasPrefix(got["event"], "ObjectCreated:") {
		t.Errorf("probe saw %v, want the ObjectCreated event for uploads/a.pdf", got)
	}
	// A key outside the trigger's prefix fires nothing.
	if err := bucket.PutObject("other/b.pdf", strings.NewReader("x")); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	s.async.Wait()
	if got := lastEvent(t, s); got["key"] != "uploads/a.pdf" {
		t.Errorf("an object outside the prefix reached the function: %v", got)
	}
}

func TestHandlerErrorUsesErrorRoute(t *testing.T) {
	s := probeStack(t)
	resp, body := do(t, "POST", s.gatewayURL+"/_localdev/trigger?function=probe&trigger=broken", "",
		nil)
	if resp.StatusCode != http.StatusBadGateway ||
		!strings.Contains(string(body), "timer asked to fail") {
		t.Errorf("failing timer = %d %s, want 502 with the handler's error", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", s.gatewayURL+"/2023-03-30/functions/probe/invocations", "",
		[]byte(`{"fail":true}`))
	var e struct {
		Error struct {
			Code, Message string
			Details       map[string]any
		}
	}
	if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("failing invocation = %d %s, want 502 JSON", resp.StatusCode, body)
	}
	if e.Error.Code != "FunctionError" ||
		!strings.Contains(e.Error.Message, "invoke asked to fail") ||
		e.Error.Details["errorType"] == "" {
		t.Errorf("failing invocation error = %+v, want FunctionError with the message and type",
			e.Error)
	}
}

func TestPanicIs500AndInstanceSurvives(t *testing.T) {
	s := probeStack(t)
	before := probePID(t, s)
	resp, body := do(t, "GET", s.gatewayURL+"/probe/panic", "", nil)
	if resp.StatusCode != 500 {
		t.Errorf("GET /probe/panic = %d %s, want 500", resp.StatusCode, body)
	}
	if after := probePID(t, s); after != before {
		t.Errorf("pid after panic = %d, want %d (same instance)", after, before)
	}
}

func TestTimeoutRecyclesInstance(t *testing.T) {
	s := probeStack(t)
	before := probePID(t, s)
	resp, body := do(t, "GET", s.gatewayURL+"/probe/sleep?ms=6000", "", nil)
	if resp.StatusCode != http.StatusGatewayTimeout ||
		!strings.Contains(string(body), "FunctionTimeout") {
		t.Errorf("GET /probe/sleep past the 2s timeout = %d %s, want 504 FunctionTimeout",
			resp.StatusCode, body)
	}
	if after := probePID(t, s); after == before {
		t.Errorf("pid after timeout = %d, want a new instance", after)
	}
}

func TestBadInputLeavesInstancesServing(t *testing.T) {
	s := probeStack(t)
	before := probePID(t, s)

	resp, body := do(t, "GET", s.gatewayURL+"/no/such/route", "", nil)
	if resp.StatusCode != 404 || !strings.Contains(string(body), `\"/no/such/route\"`) {
		t.Errorf("unknown route = %d %s, want 404 naming the path", resp.StatusCode, body)
	}
	big := bytes.Repeat([]byte("x"), 33<<20)
	resp, body = do(t, "POST", s.gatewayURL+"/probe/echo", "text/plain", big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("33 MB body = %d %.200s, want 413", resp.StatusCode, body)
	}
	resp, body = do(t, "DELETE", s.gatewayURL+"/probe/echo", "", nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE on a GET/POST trigger = %d %s, want 405", resp.StatusCode, body)
	}

	resp, body = do(t, "POST", s.gatewayURL+"/2023-03-30/functions/probe/invocations", "",
		[]byte(`{"half":`))
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "malformed") {
		t.Errorf("malformed event through InvokeFunction = %d %s, want 502 from the runtime",
			resp.StatusCode, body)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{\n  \"version\": \"v1\",\n  oops\n}"), 0o644)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"invoke", "--file", s.cfg.proj.sfile, "probe", bad}, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "not valid JSON") ||
		!strings.Contains(stderr.String(), "line 3") {
		t.Errorf("invoke with malformed JSON: exit %d, stderr %q; want exit 2 naming line 3",
			code, stderr.String())
	}

	if after := probePID(t, s); after != before {
		t.Errorf("pid after bad input = %d, want %d (instance kept serving)", after, before)
	}
	resp, body = do(t, "GET", s.gatewayURL+"/_localdev/health", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"live": 1`) {
		t.Errorf("health after bad input = %d %s", resp.StatusCode, body)
	}
}

func TestLogsArePrefixedWithRequestID(t *testing.T) {
	s := probeStack(t)
	resp, _ := do(t, "GET", s.gatewayURL+"/probe/panic", "", nil)
	id := resp.Header.Get("X-Fc-Request-Id")
	if !eventually(stackLogs, "probe[c-") || !eventually(stackLogs, " "+id+" | ") {
		t.Errorf("no log line prefixed with probe[instance] %s in:\n%s", id, stackLogs)
	}
}

func TestStackCreatesTables(t *testing.T) {
	s := probeStack(t)
	client := tablestore.NewClient(s.tablestoreURL, localInstance, s.secrets.AccessKeyID,
		s.secrets.AccessKeySecret)
	resp, err := client.ListTable()
	if err != nil {
		t.Fatalf("ListTable on the emulator: %v", err)
	}
	have := map[string]bool{}
	for _, name := range resp.TableNames {
		have[name] = true
	}
	for _, tb := range tables.All {
		if !have[tb.Name] {
			t.Errorf("table %q was not created", tb.Name)
		}
	}
}

// eventually reports whether logs contain s within a few seconds: an instance's
// output reaches the stack through a pipe, after its answer.
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
