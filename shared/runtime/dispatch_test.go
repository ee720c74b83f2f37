package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		payload string
		want    Kind
	}{
		{`{"version":"v1","rawPath":"/a","requestContext":{}}`, KindFCHTTP},
		{`{"rawPath":"/a","requestContext":{"http":{}}}`, KindFCHTTP},
		{`{"version":"2.0","rawPath":"/a","rawQueryString":""}`, KindLambdaHTTP},
		{`{"httpMethod":"GET","path":"/","requestContext":{}}`, KindRESTHTTP},
		{`{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"t","payload":""}`, KindTimer},
		{`{"events":[{"eventSource":"acs:oss","eventName":"ObjectCreated:PutObject"}]}`, KindOSS},
		{`{"events":[{"eventSource":"acs:mns"}]}`, KindInvoke},
		{`{"events":[]}`, KindInvoke},
		{`{"events":"x"}`, KindInvoke},
		{`{"httpMethod":"GET"}`, KindInvoke},
		{`{"hello":"world"}`, KindInvoke},
		{`[1,2,3]`, KindInvoke},
		{`"just a string"`, KindInvoke},
		{`null`, KindInvoke},
		{`{"version":2,"rawPath":"/","requestContext":{}}`, KindFCHTTP},
	}
	for _, tt := range tests {
		got, err := Sniff([]byte(tt.payload))
		if err != nil || got != tt.want {
			t.Errorf("Sniff(%s) = %q, %v; want %q, nil", tt.payload, got, err, tt.want)
		}
	}
}

func TestDispatchMalformed(t *testing.T) {
	f := Function{Name: "t", Logger: discardLogger(),
		HTTP:   http.NotFoundHandler(),
		Timer:  func(context.Context, TimerEvent) error { return nil },
		OSS:    func(context.Context, OSSEvent) error { return nil },
		Invoke: func(context.Context, json.RawMessage) (any, error) { return nil, nil },
	}
	tests := []struct {
		name, payload, wantIn string
	}{
		{"empty", ``, "empty payload"},
		{"truncated", `{"version":"v1","rawPath":"/`, "unexpected end"},
		{"garbage", `not json`, "invalid character"},
		{"fc wrong type", `{"version":"v1","rawPath":"/","requestContext":{},"headers":[1]}`,
			"decode fc-http event"},
		{"lambda wrong type", `{"version":"2.0","rawPath":5}`, "decode lambda-http event"},
		{"timer wrong type", `{"triggerTime":17,"triggerName":"t"}`, "decode timer event"},
		{"timer bad time", `{"triggerTime":"yesterday","triggerName":"t"}`, "decode timer event"},
		{"oss wrong type", `{"events":[{"eventSource":"acs:oss","oss":{"object":{"size":"big"}}}]}`,
			"decode oss event"},
		{"oss bad time", `{"events":[{"eventSource":"acs:oss","eventTime":"noon"}]}`,
			"decode oss event"},
		{"fc bad base64", `{"version":"v1","rawPath":"/","requestContext":{},` +
			`"body":"*","isBase64Encoded":true}`, "base64 body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.Dispatch(context.Background(), []byte(tt.payload))
			if !errors.Is(err, ErrMalformedEvent) {
				t.Fatalf("Dispatch(%q) = %v, %v; want ErrMalformedEvent", tt.payload, res, err)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("Dispatch(%q) error = %q, want it to mention %q", tt.payload, err,
					tt.wantIn)
			}
		})
	}
}

func TestDispatchHTTPPanic(t *testing.T) {
	var logs logBuffer
	calls := 0
	f := Function{Name: "tasks", Logger: NewLogger(&logs, 0),
		HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			if r.URL.Path == "/boom" {
				w.Header().Set("X-Partial", "1")
				w.Write([]byte("partial"))
				panic("kaboom")
			}
			w.Write([]byte("fine"))
		}),
	}
	ctx := WithInvocation(context.Background(), Invocation{RequestID: "req-1"})
	got, err := f.Dispatch(ctx, mustJSON(t, fcEvent("GET", "/boom", "/boom")))
	if err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	resp := got.(FCHTTPResponse)
	var body ErrorBody
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("500 body %q: %v", resp.Body, err)
	}
	wantBody := ErrorBody{Error: ErrorInfo{Code: "internal", Message: "internal error",
		Details: map[string]any{"request_id": "req-1"}}}
	if resp.StatusCode != 500 || resp.Headers["X-Partial"] != "" {
		t.Errorf("panic response = %d %v, want 500 without partial headers", resp.StatusCode,
			resp.Headers)
	}
	if diff := cmp.Diff(wantBody, body); diff != "" {
		t.Errorf("panic body (-want +got):\n%s", diff)
	}
	line := logs.find(t, "panic")
	if line["request_id"] != "req-1" || line["function"] != "tasks" ||
		line["panic"] != "kaboom" || !strings.Contains(line["stack"].(string), "dispatch_test.go") {
		t.Errorf("panic log line = %v, want request_id, function, panic and stack", line)
	}
	// The same Function keeps serving.
	if resp := dispatchFC(t, f, fcEvent("GET", "/ok", "/ok")); resp.Body != "fine" {
		t.Errorf("after panic: body %q, want %q", resp.Body, "fine")
	}
	if calls != 2 {
		t.Errorf("handler calls = %d, want 2", calls)
	}
}

func TestDispatchEventPanicsAndErrors(t *testing.T) {
	errBoom := errors.New("boom")
	f := Function{Name: "reports",
		Timer: func(_ context.Context, ev TimerEvent) error {
			if ev.Payload == "panic" {
				var m map[string]int
				m["x"] = 1
			}
			return errBoom
		},
		OSS: func(context.Context, OSSEvent) error { panic(errors.New("oss down")) },
		Invoke: func(_ context.Context, p json.RawMessage) (any, error) {
			if string(p) == `"panic"` {
				panic("invoke")
			}
			return nil, errBoom
		},
	}
	tests := []struct {
		name, payload string
		want          error
		logMsg        string
	}{
		{"timer error", `{"triggerTime":"2026-01-01T00:00:00Z","triggerName":"d"}`, errBoom,
			"invoke"},
		{"timer panic", `{"triggerTime":"2026-01-01T00:00:00Z","payload":"panic"}`, ErrPanic,
			"panic"},
		{"oss panic", `{"events":[{"eventSource":"acs:oss"}]}`, ErrPanic, "panic"},
		{"invoke error", `{"x":1}`, errBoom, "invoke"},
		{"invoke panic", `"panic"`, ErrPanic, "panic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			f.Logger = NewLogger(&logs, 0)
			ctx := WithInvocation(context.Background(), Invocation{RequestID: "r-9"})
			_, err := f.Dispatch(ctx, []byte(tt.payload))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Dispatch() error = %v, want %v", err, tt.want)
			}
			for _, line := range logs.lines(t) {
				if line["request_id"] != "r-9" || line["function"] != "reports" {
					t.Errorf("log line %v lacks request_id r-9 / function reports", line)
				}
			}
			line := logs.find(t, tt.logMsg)
			if tt.want == ErrPanic && line["stack"] == nil {
				t.Errorf("panic log line %v has no stack", line)
			}
		})
	}
}

func TestDispatchNoHandler(t *testing.T) {
	f := Function{Name: "notify", Logger: discardLogger()}
	for _, p := range []string{
		`{"triggerTime":"2026-01-01T00:00:00Z"}`,
		`{"events":[{"eventSource":"acs:oss"}]}`,
		`{"direct":true}`,
	} {
		if _, err := f.Dispatch(context.Background(), []byte(p)); !errors.Is(err, ErrNoHandler) {
			t.Errorf("Dispatch(%s) error = %v, want ErrNoHandler", p, err)
		}
	}
	resp := dispatchFC(t, f, fcEvent("POST", "/api/x", "/api/x"))
	if resp.StatusCode != 404 || !strings.Contains(resp.Body, `"code":"not_found"`) {
		t.Errorf("nil HTTP response = %d %s, want 404 not_found JSON", resp.StatusCode, resp.Body)
	}
}

func TestDispatchTypedEvents(t *testing.T) {
	var gotTimer TimerEvent
	var gotOSS OSSEvent
	f := Function{Name: "contracts", Logger: discardLogger(),
		Timer: func(_ context.Context, ev TimerEvent) error { gotTimer = ev; return nil },
		OSS:   func(_ context.Context, ev OSSEvent) error { gotOSS = ev; return nil },
		Invoke: func(_ context.Context, p json.RawMessage) (any, error) {
			return map[string]int{"n": len(p)}, nil
		},
	}
	ctx := context.Background()
	if _, err := f.Dispatch(ctx, []byte(`{"triggerTime":"2023-12-26T07:49:00Z",`+
		`"triggerName":"daily","payload":"{\"k\":1}"}`)); err != nil {
		t.Fatalf("timer: %v", err)
	}
	wantTimer := TimerEvent{TriggerTime: time.Date(2023, 12, 26, 7, 49, 0, 0, time.UTC),
		TriggerName: "daily", Payload: `{"k":1}`}
	if diff := cmp.Diff(wantTimer, gotTimer); diff != "" {
		t.Errorf("timer event (-want +got):\n%s", diff)
	}
	oss := `{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss",` +
		`"eventTime":"2022-06-10T06:21:35.000Z","region":"cn-shenzhen","oss":{"bucket":` +
		`{"name":"b"},"object":{"key":"a/b.pdf","size":29203,"eTag":"7D73"}}}]}`
	if _, err := f.Dispatch(ctx, []byte(oss)); err != nil {
		t.Fatalf("oss: %v", err)
	}
	wantOSS := OSSEvent{Records: []OSSRecord{{EventName: "ObjectCreated:PutObject",
		EventSource: "acs:oss", EventTime: time.Date(2022, 6, 10, 6, 21, 35, 0, time.UTC),
		Region: "cn-shenzhen", Bucket: "b", Key: "a/b.pdf", Size: 29203, ETag: "7D73"}}}
	if diff := cmp.Diff(wantOSS, gotOSS); diff != "" {
		t.Errorf("oss event (-want +got):\n%s", diff)
	}
	res, err := f.Dispatch(ctx, []byte(`{"abc":1}`))
	if err != nil || !cmp.Equal(res, map[string]int{"n": 9}) {
		t.Errorf("invoke = %v, %v; want map[n:9], nil", res, err)
	}
}

func TestHealth(t *testing.T) {
	served := 0
	f := Function{Name: "projects", Logger: discardLogger(),
		HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served++
			w.WriteHeader(http.StatusTeapot)
		})}
	tests := []struct {
		method, path string
		want         int
		wantBody     string
	}{
		{"GET", "/healthz", 200, `{"function":"projects","status":"ok"}` + "\n"},
		{"GET", "/api/projects/healthz", 200, `{"function":"projects","status":"ok"}` + "\n"},
		{"POST", "/healthz", 418, ""},
		{"GET", "/healthzz", 418, ""},
	}
	for _, tt := range tests {
		served = 0
		resp := dispatchFC(t, f, fcEvent(tt.method, tt.path, tt.path))
		if resp.StatusCode != tt.want || resp.Body != tt.wantBody {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, resp.StatusCode,
				resp.Body, tt.want, tt.wantBody)
		}
		if wantServed := map[bool]int{true: 1, false: 0}[tt.want == 418]; served != wantServed {
			t.Errorf("%s %s reached f.HTTP %d times, want %d", tt.method, tt.path, served,
				wantServed)
		}
	}
	// The health answer needs no HTTP handler.
	bare := Function{Name: "notify", Logger: discardLogger()}
	lev := LambdaHTTPEvent{Version: "2.0", RawPath: "/healthz",
		RequestContext: LambdaRequestContext{HTTP: HTTPDetail{Method: "GET"}}}
	if resp := dispatchLambda(t, bare, lev); resp.StatusCode != 200 ||
		!strings.Contains(resp.Body, `"function":"notify"`) {
		t.Errorf("bare health = %d %s, want 200 naming notify", resp.StatusCode, resp.Body)
	}
}

func TestInvocationContext(t *testing.T) {
	type seen struct {
		ID, Name    string
		HasDeadline bool
	}
	var got seen
	f := Function{Name: "ledger", Logger: discardLogger(),
		Invoke: func(ctx context.Context, _ json.RawMessage) (any, error) {
			_, ok := ctx.Deadline()
			got = seen{RequestID(ctx), FunctionName(ctx), ok}
			Logger(ctx).Info("inside")
			return nil, nil
		}}
	deadline, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	fcCtx := fccontext.NewContext(deadline, &fccontext.FcContext{RequestID: "fc-1",
		Function: fccontext.Function{Name: "xietong-ledger"}})
	tests := []struct {
		name string
		ctx  context.Context
		f    Function
		want seen
	}{
		{"explicit", WithInvocation(context.Background(),
			Invocation{RequestID: "t-1", FunctionName: "other"}), f, seen{"t-1", "other", false}},
		{"fc context", fcCtx, f, seen{"fc-1", "ledger", true}},
		{"fc name when Name empty", fcCtx, Function{Invoke: f.Invoke, Logger: f.Logger},
			seen{"fc-1", "xietong-ledger", true}},
		{"lambda context", lambdacontext.NewContext(deadline,
			&lambdacontext.LambdaContext{AwsRequestID: "aws-1"}), f, seen{"aws-1", "ledger", true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.f.Dispatch(tt.ctx, []byte(`{}`)); err != nil {
				t.Fatalf("Dispatch: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("invocation (-want +got):\n%s", diff)
			}
		})
	}
	// Without any host context a request id is generated.
	if _, err := f.Dispatch(context.Background(), []byte(`{}`)); err != nil || len(got.ID) != 36 {
		t.Errorf("generated request id = %q, %v; want a UUID", got.ID, err)
	}
}

func TestLoggerOutsideInvocation(t *testing.T) {
	if Logger(context.Background()) != slogDefault() {
		t.Errorf("Logger(background) is not slog.Default")
	}
	ctx := WithInvocation(context.Background(), Invocation{RequestID: "x"})
	if RequestID(ctx) != "x" || FunctionName(ctx) != "" {
		t.Errorf("RequestID, FunctionName = %q, %q; want x, empty", RequestID(ctx),
			FunctionName(ctx))
	}
}
