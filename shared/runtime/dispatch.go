package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
)

// Kind names the shape of an event payload.
type Kind string

// The event kinds Dispatch recognises.
const (
	KindFCHTTP     Kind = "fc-http"     // FC3 HTTP trigger, version "v1"
	KindLambdaHTTP Kind = "lambda-http" // payload format 2.0 (HTTP API, Function URL)
	KindRESTHTTP   Kind = "rest-http"   // API Gateway REST proxy (httpMethod)
	KindTimer      Kind = "timer"       // FC timer trigger
	KindOSS        Kind = "oss"         // FC OSS trigger
	KindInvoke     Kind = "invoke"      // anything else: direct invocation
)

// Sniff reports the kind of payload. It returns an error wrapping
// ErrMalformedEvent only when payload is not valid JSON; valid JSON of an
// unrecognised shape (including non-objects) is KindInvoke.
func Sniff(payload []byte) (Kind, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 {
		return "", fmt.Errorf("runtime: sniff event: %w: empty payload", ErrMalformedEvent)
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			var v any
			err := json.Unmarshal(trimmed, &v)
			return "", fmt.Errorf("runtime: sniff event: %w: %v", ErrMalformedEvent, err)
		}
		return KindInvoke, nil // an array, string, number, bool or null
	}
	var top struct {
		Version        json.RawMessage `json:"version"`
		RawPath        json.RawMessage `json:"rawPath"`
		RequestContext json.RawMessage `json:"requestContext"`
		HTTPMethod     json.RawMessage `json:"httpMethod"`
		TriggerTime    json.RawMessage `json:"triggerTime"`
		Events         json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return "", fmt.Errorf("runtime: sniff event: %w: %v", ErrMalformedEvent, err)
	}
	switch {
	case top.RawPath != nil && jsonString(top.Version) == "2.0":
		return KindLambdaHTTP, nil
	case top.RawPath != nil && top.RequestContext != nil:
		return KindFCHTTP, nil
	case top.HTTPMethod != nil && top.RequestContext != nil:
		return KindRESTHTTP, nil
	case top.TriggerTime != nil:
		return KindTimer, nil
	case isOSSEvents(top.Events):
		return KindOSS, nil
	}
	return KindInvoke, nil
}

// jsonString returns raw as a string when it is a JSON string, else "".
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// isOSSEvents reports whether raw is an array whose first element comes
// from OSS (eventSource "acs:oss").
func isOSSEvents(raw json.RawMessage) bool {
	var recs []struct {
		EventSource any `json:"eventSource"`
	}
	if raw == nil || json.Unmarshal(raw, &recs) != nil || len(recs) == 0 {
		return false
	}
	src, _ := recs[0].EventSource.(string)
	return strings.HasPrefix(src, "acs:oss")
}

// Decode unmarshals payload as the given kind into v, returning an error
// that wraps ErrMalformedEvent and names the kind when it does not fit.
func Decode(kind Kind, payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("runtime: decode %s event: %w: %w", kind, ErrMalformedEvent, err)
	}
	return nil
}

// Dispatch is the host-independent entry point: it recognises payload with
// Sniff, runs the matching handler and returns the value the host marshals
// as the result. HTTP events return FCHTTPResponse, LambdaHTTPResponse or
// RESTHTTPResponse to match the request's format, and handler panics become
// 500 responses. Timer and OSS events return nil or the handler's error.
// Other payloads go to f.Invoke. Panics outside HTTP become errors wrapping
// ErrPanic. Every failure is logged with request_id and function.
func (f Function) Dispatch(ctx context.Context, payload []byte) (any, error) {
	ctx, l := f.begin(ctx)
	kind, err := Sniff(payload)
	if err != nil {
		l.Error("dispatch", "error", err)
		return nil, err
	}
	res, err := f.dispatchKind(ctx, l, kind, payload)
	if err != nil {
		l.Error("invoke", "kind", string(kind), "error", err)
	}
	return res, err
}

// dispatchKind decodes payload as kind and calls its handler.
func (f Function) dispatchKind(ctx context.Context, l *slog.Logger, kind Kind,
	payload []byte) (any, error) {
	switch kind {
	case KindFCHTTP:
		return dispatchHTTP[FCHTTPEvent](ctx, f, l, kind, payload, fcResponse)
	case KindLambdaHTTP:
		return dispatchHTTP[LambdaHTTPEvent](ctx, f, l, kind, payload, lambdaResponse)
	case KindRESTHTTP:
		return dispatchHTTP[RESTHTTPEvent](ctx, f, l, kind, payload, restResponse)
	case KindTimer:
		return nil, f.dispatchTimer(ctx, l, payload)
	case KindOSS:
		return nil, f.dispatchOSS(ctx, l, payload)
	}
	return f.dispatchInvoke(ctx, l, payload)
}

// httpEvent is an HTTP event format that converts into an *http.Request.
type httpEvent interface {
	Request(ctx context.Context) (*http.Request, error)
}

// dispatchHTTP decodes an HTTP event of type E, serves it and converts the
// buffered response with conv.
func dispatchHTTP[E httpEvent, R any](ctx context.Context, f Function, l *slog.Logger,
	kind Kind, payload []byte, conv func(*recorder) R) (any, error) {
	var ev E
	if err := Decode(kind, payload, &ev); err != nil {
		return nil, err
	}
	r, err := ev.Request(ctx)
	if err != nil {
		return nil, fmt.Errorf("runtime: decode %s event: %w", kind, err)
	}
	rec := newRecorder()
	f.serveHTTP(rec, r, l)
	logHTTP(l, r, rec.status)
	return conv(rec), nil
}

// dispatchTimer decodes and runs a timer event.
func (f Function) dispatchTimer(ctx context.Context, l *slog.Logger, payload []byte) error {
	var ev TimerEvent
	if err := Decode(KindTimer, payload, &ev); err != nil {
		return err
	}
	if f.Timer == nil {
		return fmt.Errorf("runtime: timer %q: %w", ev.TriggerName, ErrNoHandler)
	}
	return guard(l, "timer", func() error { return f.Timer(ctx, ev) })
}

// dispatchOSS decodes and runs an OSS event.
func (f Function) dispatchOSS(ctx context.Context, l *slog.Logger, payload []byte) error {
	var ev OSSEvent
	if err := Decode(KindOSS, payload, &ev); err != nil {
		return err
	}
	if f.OSS == nil {
		return fmt.Errorf("runtime: oss event: %w", ErrNoHandler)
	}
	return guard(l, "oss", func() error { return f.OSS(ctx, ev) })
}

// dispatchInvoke runs a direct invocation.
func (f Function) dispatchInvoke(ctx context.Context, l *slog.Logger, payload []byte) (any, error) {
	if f.Invoke == nil {
		return nil, fmt.Errorf("runtime: invoke: %w", ErrNoHandler)
	}
	var res any
	err := guard(l, "invoke", func() error {
		var err error
		res, err = f.Invoke(ctx, json.RawMessage(payload))
		return err
	})
	return res, err
}

// guard runs fn, turning a panic into an error wrapping ErrPanic and
// logging the stack.
func guard(l *slog.Logger, what string, fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			l.Error("panic", "kind", what, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("runtime: %s handler: %w: %v", what, ErrPanic, v)
		}
	}()
	return fn()
}
