package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xietong/xietong/localdev/fcrt"
)

// recorder is a fake Invoker that keeps the last event and answers with a canned result.
type recorder struct {
	event []byte
	res   fcrt.Result
	err   error
}

func (r *recorder) Invoke(ctx context.Context, payload []byte) (fcrt.Result, error) {
	r.event = payload
	return r.res, r.err
}

func TestMatch(t *testing.T) {
	g := New(Config{Routes: []Route{
		{Path: "/*", Function: "catchall"},
		{Path: "/api/*", Function: "api"},
		{Path: "/api/tasks/*", Function: "tasks"},
		{Path: "/api/tasks/export", Function: "export"},
		{Path: "/callback/dingtalk", Function: "callback"},
	}})
	tests := []struct{ path, want string }{
		{"/api/tasks/T-1", "tasks"},
		{"/api/tasks/", "tasks"},
		{"/api/tasks/export", "export"},
		{"/api/tasks", "api"},
		{"/api/orgs/1", "api"},
		{"/callback/dingtalk", "callback"},
		{"/callback/dingtalk/x", "catchall"},
		{"/", "catchall"},
	}
	for _, tt := range tests {
		r, ok := g.Match(tt.path)
		if !ok || r.Function != tt.want {
			t.Errorf("Match(%q) = %q, %v; want %q", tt.path, r.Function, ok, tt.want)
		}
	}
	if r, ok := New(Config{Routes: []Route{{Path: "/a/*"}}}).Match("/b"); ok {
		t.Errorf("Match(/b) = %v, want no route", r)
	}
}

func TestEventFromRequest(t *testing.T) {
	fn := &recorder{res: fcrt.Result{Body: []byte(`{"statusCode":204}`)}}
	g := New(Config{Routes: []Route{{Path: "/api/*", Function: "f"}},
		Functions: map[string]Invoker{"f": fn}, AccountID: "123", Domain: "127.0.0.1:9000"})
	req := httptest.NewRequest("POST", "/api/a%20b/c?x=1&x=2&y=", strings.NewReader("héllo"))
	req.Header.Add("x-custom", "one")
	req.Header.Add("X-Custom", "two")
	req.Header.Set("User-Agent", "test/1")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, req)
	if w.Code != 204 {
		t.Fatalf("status = %d, want 204 from the function", w.Code)
	}
	var ev httpEvent
	if err := json.Unmarshal(fn.event, &ev); err != nil {
		t.Fatalf("event %s: %v", fn.event, err)
	}
	if ev.Version != "v1" || ev.RawPath != "/api/a%20b/c" ||
		ev.RequestContext.HTTP.Path != "/api/a b/c" {
		t.Errorf("version/rawPath/path = %q %q %q", ev.Version, ev.RawPath,
			ev.RequestContext.HTTP.Path)
	}
	if ev.Body != "héllo" || ev.IsBase64Encoded {
		t.Errorf("body = %q base64=%v, want the UTF-8 text as is", ev.Body, ev.IsBase64Encoded)
	}
	if got := ev.Headers["X-Custom"]; got != "one,two" {
		t.Errorf("X-Custom = %q, want one,two", got)
	}
	if diff := cmp.Diff(map[string]string{"x": "1,2", "y": ""}, ev.QueryParameters); diff != "" {
		t.Errorf("queryParameters (-want +got):\n%s", diff)
	}
	rc := ev.RequestContext
	if rc.RequestID == "" || rc.RequestID != w.Header().Get(headerRequestID) {
		t.Errorf("requestId %q, reply header %q; want equal and set", rc.RequestID,
			w.Header().Get(headerRequestID))
	}
	if rc.HTTP.Method != "POST" || rc.HTTP.SourceIP != "192.0.2.1" || rc.AccountID != "123" ||
		rc.HTTP.UserAgent != "test/1" {
		t.Errorf("requestContext = %+v", rc)
	}
	var raw map[string]map[string]any
	json.Unmarshal(fn.event, &raw)
	if _, ok := raw["requestContext"]["timeEpoch"].(string); !ok {
		t.Errorf("timeEpoch is %T, want a string", raw["requestContext"]["timeEpoch"])
	}
}

func TestBinaryBodyIsBase64(t *testing.T) {
	fn := &recorder{res: fcrt.Result{Body: []byte(`{"statusCode":200}`)}}
	g := New(Config{Routes: []Route{{Path: "/*", Function: "f"}},
		Functions: map[string]Invoker{"f": fn}})
	body := []byte{0xff, 0x00, 0xfe, 'a'}
	g.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("PUT", "/x", bytes.NewReader(body)))
	var ev httpEvent
	json.Unmarshal(fn.event, &ev)
	got, err := base64.StdEncoding.DecodeString(ev.Body)
	if !ev.IsBase64Encoded || err != nil || !bytes.Equal(got, body) {
		t.Errorf("binary body: base64=%v body=%q, want base64 of %x", ev.IsBase64Encoded, ev.Body,
			body)
	}
}

func TestReplyFromResult(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte{0, 1, 2})
	tests := []struct {
		name       string
		res        fcrt.Result
		err        error
		wantStatus int
		wantBody   string
		wantHeader string
	}{
		{"response struct",
			fcrt.Result{Body: []byte(`{"statusCode":201,"headers":{"X-A":"b"},"body":"made"}`)},
			nil, 201, "made", "b"},
		{"base64 body",
			fcrt.Result{Body: []byte(`{"statusCode":200,"isBase64Encoded":true,"body":"` + b64 +
				`"}`)},
			nil, 200, "\x00\x01\x02", ""},
		{"plain value", fcrt.Result{Body: []byte(`"just a string"`)}, nil, 200, `"just a string"`,
			""},
		{"object without statusCode", fcrt.Result{Body: []byte(`{"ok":true}`)}, nil, 200,
			`{"ok":true}`, ""},
		{"function error",
			fcrt.Result{Err: &fcrt.FunctionError{Message: "boom", Type: "errorString"}},
			nil, 502, `"code":"FunctionError"`, ""},
		{"timeout", fcrt.Result{}, fmt.Errorf("x: %w", fcrt.ErrTimeout), 504,
			`"code":"FunctionTimeout"`, ""},
		{"instance died", fcrt.Result{}, fcrt.ErrInstanceExited, 503,
			`"code":"FunctionUnavailable"`, ""},
	}
	for _, tt := range tests {
		fn := &recorder{res: tt.res, err: tt.err}
		g := New(Config{Routes: []Route{{Path: "/*", Function: "f"}},
			Functions: map[string]Invoker{"f": fn}})
		w := httptest.NewRecorder()
		g.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantBody) {
			t.Errorf("%s: reply %d %q, want %d containing %q", tt.name, w.Code, w.Body,
				tt.wantStatus, tt.wantBody)
		}
		if tt.wantHeader != "" && w.Header().Get("X-A") != tt.wantHeader {
			t.Errorf("%s: X-A = %q, want %q", tt.name, w.Header().Get("X-A"), tt.wantHeader)
		}
	}
}

func TestBadInput(t *testing.T) {
	fn := &recorder{res: fcrt.Result{Body: []byte(`{"statusCode":200}`)}}
	g := New(Config{Routes: []Route{{Path: "/api/*", Function: "f",
		Methods: []string{"GET", "POST"}}},
		Functions: map[string]Invoker{"f": fn}})
	srv := httptest.NewServer(g)
	defer srv.Close()
	tests := []struct {
		name, method, path string
		body               io.Reader
		wantStatus         int
		wantText           string
	}{
		{"unknown route", "GET", "/nowhere", nil, 404, `no route for path \"/nowhere\"`},
		{"method not allowed", "DELETE", "/api/x", nil, 405, "MethodNotAllowed"},
		{"too large", "POST", "/api/x", bytes.NewReader(make([]byte, MaxEventBytes+1)), 413,
			"PayloadTooLarge"},
		{"too large, chunked", "POST", "/api/x",
			io.MultiReader(strings.NewReader("a"),
				bytes.NewReader(make([]byte, MaxEventBytes))), 413, "PayloadTooLarge"},
		{"unknown function", "POST", "/2023-03-30/functions/nope/invocations", nil, 404,
			"FunctionNotFound"},
	}
	for _, tt := range tests {
		fn.event = nil
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, tt.body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantText) {
			t.Errorf("%s: %d %s, want %d containing %q", tt.name, resp.StatusCode, body,
				tt.wantStatus, tt.wantText)
		}
		if fn.event != nil {
			t.Errorf("%s: the function was invoked", tt.name)
		}
	}
}

func TestInvokeFunctionAPI(t *testing.T) {
	fn := &recorder{res: fcrt.Result{Body: []byte(`{"drained":3}`)}}
	g := New(Config{Functions: map[string]Invoker{"notify": fn}})
	w := httptest.NewRecorder()
	g.ServeHTTP(w, httptest.NewRequest("POST", "/2023-03-30/functions/notify/invocations",
		strings.NewReader(`{"job":"drain"}`)))
	if w.Code != 200 || w.Body.String() != `{"drained":3}` ||
		string(fn.event) != `{"job":"drain"}` {
		t.Errorf("invoke = %d %q (event %q), want the raw result of the raw event", w.Code, w.Body,
			fn.event)
	}
}
