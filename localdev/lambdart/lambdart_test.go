package lambdart

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s := New(cfg)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// call makes one Runtime API request and returns status, headers and body.
func call(t *testing.T, s *Server, method, path, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.Addr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// invokeAsync starts Invoke and returns a channel with its outcome.
func invokeAsync(s *Server, payload string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		b, err := s.Invoke(context.Background(), []byte(payload))
		ch <- result{b, err}
	}()
	return ch
}

func TestNextResponse(t *testing.T) {
	s := startServer(t, Config{FunctionName: "probe", Timeout: 3 * time.Second})
	done := invokeAsync(s, `{"n":1}`)
	before := time.Now()
	status, h, body := call(t, s, "GET", prefix+"/invocation/next", "")
	if status != 200 || body != `{"n":1}` {
		t.Fatalf("next = %d %q, want 200 with the payload", status, body)
	}
	id := h.Get(HeaderRequestID)
	deadline, err := strconv.ParseInt(h.Get(HeaderDeadlineMs), 10, 64)
	if err != nil || id == "" {
		t.Fatalf("next headers %v: want request id and deadline", h)
	}
	if d := time.UnixMilli(deadline).Sub(before); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("deadline is %v after the call, want about the 3s timeout", d)
	}
	if h.Get(HeaderFunctionARN) != "arn:aws:lambda:us-east-1:000000000000:function:probe" ||
		!strings.HasPrefix(h.Get(HeaderTraceID), "Root=1-") {
		t.Errorf("next headers %v: want the function ARN and a trace id", h)
	}
	status, _, body = call(t, s, "POST", prefix+"/invocation/"+id+"/response", `{"ok":true}`)
	if status != 202 {
		t.Errorf("response = %d %s, want 202", status, body)
	}
	if res := <-done; res.err != nil || string(res.body) != `{"ok":true}` {
		t.Errorf("Invoke = %q, %v; want the posted body", res.body, res.err)
	}
	status, _, body = call(t, s, "POST", prefix+"/invocation/"+id+"/response", `{}`)
	if status != 400 || !strings.Contains(body, "InvalidRequestID") {
		t.Errorf("second response = %d %s, want 400 InvalidRequestID", status, body)
	}
}

func TestErrorRoutes(t *testing.T) {
	s := startServer(t, Config{})
	done := invokeAsync(s, `{}`)
	_, h, _ := call(t, s, "GET", prefix+"/invocation/next", "")
	req, _ := http.NewRequest("POST", "http://"+s.Addr()+prefix+"/invocation/"+
		h.Get(HeaderRequestID)+"/error",
		strings.NewReader(`{"errorMessage":"bad thing","errorType":"errorString"}`))
	req.Header.Set(HeaderErrorType, "errorString")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("error route = %v, %v; want 202", resp, err)
	}
	resp.Body.Close()
	res := <-done
	var fe *FunctionError
	if !errors.As(res.err, &fe) || fe.Type != "errorString" || fe.Message != "bad thing" ||
		fe.HeaderType != "errorString" {
		t.Errorf("Invoke error = %#v, want the posted FunctionError", res.err)
	}

	status, _, body := call(t, s, "POST", prefix+"/invocation/nope/error", `{}`)
	if status != 400 || !strings.Contains(body, "InvalidRequestID") {
		t.Errorf("error for unknown id = %d %s, want 400 InvalidRequestID", status, body)
	}
	status, _, _ = call(t, s, "GET", "/2018-06-01/runtime/elsewhere", "")
	if status != 404 {
		t.Errorf("unknown route = %d, want 404", status)
	}

	status, _, _ = call(t, s, "POST", prefix+"/init/error",
		`{"errorMessage":"no config","errorType":"Runtime.InitError"}`)
	if status != 202 {
		t.Fatalf("init/error = %d, want 202", status)
	}
	if ie, ok := s.InitError(); !ok || ie.Message != "no config" {
		t.Errorf("InitError() = %v, %v; want no config", ie, ok)
	}
	if _, err := s.Invoke(context.Background(), []byte(`{}`)); !errors.As(err, &fe) ||
		fe.Type != "Runtime.InitError" {
		t.Errorf("Invoke after init error = %v, want the init error", err)
	}
}

func TestResponseTooLarge(t *testing.T) {
	s := startServer(t, Config{})
	done := invokeAsync(s, `{}`)
	_, h, _ := call(t, s, "GET", prefix+"/invocation/next", "")
	big := strings.Repeat("x", MaxResponseBytes+1)
	status, _, _ := call(t, s, "POST", prefix+"/invocation/"+h.Get(HeaderRequestID)+"/response",
		big)
	if status != 413 {
		t.Errorf("oversized response = %d, want 413", status)
	}
	var fe *FunctionError
	if res := <-done; !errors.As(res.err, &fe) || fe.Type != "Function.ResponseSizeTooLarge" {
		t.Errorf("Invoke = %v, want Function.ResponseSizeTooLarge", res.err)
	}
}

func TestInvokeCancelAndTimeout(t *testing.T) {
	s := startServer(t, Config{Timeout: time.Millisecond})
	s.grace = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Invoke(ctx, []byte(`"cancelled"`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke(cancelled) = %v, want context.Canceled", err)
	}
	done := invokeAsync(s, `"live"`)
	// The cancelled invocation is skipped: /next hands out the live one.
	_, _, body := call(t, s, "GET", prefix+"/invocation/next", "")
	if body != `"live"` {
		t.Errorf("next = %q, want the live invocation", body)
	}
	if res := <-done; !errors.Is(res.err, ErrTimeout) {
		t.Errorf("unanswered Invoke = %v, want ErrTimeout", res.err)
	}
}

func TestClose(t *testing.T) {
	s := startServer(t, Config{})
	done := invokeAsync(s, `{}`)
	for s.pendingCount() == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if res := <-done; !errors.Is(res.err, ErrClosed) {
		t.Errorf("Invoke after Close = %v, want ErrClosed", res.err)
	}
}
