// Package runtime runs one function binary on three hosts: Function Compute 3.0
// (FC_RUNTIME_API, through fc-runtime-go-sdk), AWS Lambda (AWS_LAMBDA_RUNTIME_API,
// through aws-lambda-go) and a plain local HTTP server when neither is set.
//
// A Function names its handlers: an ordinary http.Handler for HTTP triggers,
// typed handlers for timer and OSS events, and a JSON handler for direct
// invocation. Both clouds deliver every event as a JSON payload to
// Function.Dispatch, which recognises the payload's shape, converts HTTP events
// to and from net/http, recovers panics and attaches the request id, deadline,
// function name and a request-scoped logger to the context. Handlers never see
// which host runs them.
//
// Health: a GET on any path ending in /healthz is answered by the runtime with
// 200 {"function":name,"status":"ok"} and never reaches Function.HTTP, so every
// function has the same liveness probe whether or not it serves HTTP.
package runtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
)

// Function describes one serverless function: its name and its handlers.
// A nil handler means the function does not accept that kind of event;
// such events end in a 404 (HTTP) or an ErrNoHandler error (others).
type Function struct {
	// Name is the function name used in logs and the health answer.
	// FC_FUNCTION_NAME or AWS_LAMBDA_FUNCTION_NAME override it in Start when set.
	Name string

	// HTTP serves HTTP trigger events. Nil answers every request but the
	// health route with a 404 JSON error.
	HTTP http.Handler

	// Timer handles timer trigger events.
	Timer func(ctx context.Context, ev TimerEvent) error

	// OSS handles OSS object events.
	OSS func(ctx context.Context, ev OSSEvent) error

	// Invoke handles direct invocations: any payload that is not an HTTP,
	// timer or OSS event. The result is marshalled to JSON.
	Invoke func(ctx context.Context, payload json.RawMessage) (any, error)

	// Init runs once per instance before the first event. Under FC it is
	// the initializer hook, and also runs before the first event when no
	// initializer is configured; a failure is reported on the runtime API's
	// error route and Init runs again on the next event. Under Lambda and
	// locally it runs before serving, and a failure makes Start return it
	// (after reporting it on Lambda's init/error route).
	Init func(ctx context.Context) error

	// PreStop runs when the host stops the instance (FC preStop hook,
	// SIGTERM under Lambda, SIGINT/SIGTERM locally).
	PreStop func(ctx context.Context)

	// Logger is the base logger. Nil means slog JSON to stderr at info level
	// under Start, and slog.Default when Dispatch is called directly. Each
	// invocation logs through a child with request_id and function.
	Logger *slog.Logger
}

// Host environment variables read by Start.
const (
	EnvFCRuntimeAPI     = "FC_RUNTIME_API"
	EnvLambdaRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"
	EnvLocalHTTPAddr    = "LOCAL_HTTP_ADDR"
	EnvFCFunctionName   = "FC_FUNCTION_NAME"
	EnvLambdaFuncName   = "AWS_LAMBDA_FUNCTION_NAME"
)

// DefaultLocalAddr is where the local host listens when LOCAL_HTTP_ADDR is unset.
const DefaultLocalAddr = "127.0.0.1:9000"

// Start runs f on the host named by the environment and blocks.
//
// With FC_RUNTIME_API set it serves Function Compute through fc.Start, with
// Init and PreStop registered as lifecycle hooks. With AWS_LAMBDA_RUNTIME_API
// set it serves Lambda through lambda.Start, reporting an Init failure to the
// runtime API's init/error route. Under either cloud the SDK owns the process
// and Start returns only an Init error. Otherwise Start serves f.HTTP on
// LOCAL_HTTP_ADDR (default 127.0.0.1:9000) with the typed handlers on
// POST /_invoke/timer, /_invoke/oss and /_invoke/event, and returns after
// SIGINT or SIGTERM (nil) or when the listener fails.
func Start(f Function) error {
	f = f.fromEnv(os.Getenv)
	h := newHost(f)
	if addr := os.Getenv(EnvFCRuntimeAPI); addr != "" {
		return h.startFC()
	}
	if addr := os.Getenv(EnvLambdaRuntimeAPI); addr != "" {
		return h.startLambda(addr)
	}
	addr := os.Getenv(EnvLocalHTTPAddr)
	if addr == "" {
		addr = DefaultLocalAddr
	}
	return h.startLocal(addr)
}

// fromEnv applies the name override and the default logger.
func (f Function) fromEnv(getenv func(string) string) Function {
	if n := getenv(EnvFCFunctionName); n != "" {
		f.Name = n
	} else if n := getenv(EnvLambdaFuncName); n != "" {
		f.Name = n
	}
	if f.Logger == nil {
		f.Logger = NewLogger(os.Stderr, slog.LevelInfo)
	}
	return f
}

// logger returns the base logger, falling back to slog.Default.
func (f Function) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.Default()
}
