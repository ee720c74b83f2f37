// Package lambdart is an AWS Lambda Runtime API peer for tests: it serves
// the routes a custom runtime (aws-lambda-go's lambda.Start) calls, following
// AWS's published Runtime API (version 2018-06-01), and lets a test push
// invocations with Invoke and read back the response or function error.
//
// Routes:
//
//	GET  /2018-06-01/runtime/invocation/next          long-polls for the next event
//	POST /2018-06-01/runtime/invocation/{id}/response  function result (202)
//	POST /2018-06-01/runtime/invocation/{id}/error     function error (202)
//	POST /2018-06-01/runtime/init/error                initialisation error (202)
//	POST /2020-01-01/extension/register                minimal Extensions API, so
//	GET  /2020-01-01/extension/event/next              lambda.WithEnableSIGTERM works
//
// The /next reply carries Lambda-Runtime-Aws-Request-Id, -Deadline-Ms,
// -Invoked-Function-Arn and -Trace-Id. Errors use the Runtime API's
// {"errorMessage","errorType"} body with 400 (unknown request id, bad
// body), 413 (response over 6 MB) or 500.
package lambdart

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// MaxResponseBytes is Lambda's synchronous response payload limit.
const MaxResponseBytes = 6 << 20

// Sentinel errors from Invoke.
var (
	// ErrClosed means the server was closed before the invocation finished.
	ErrClosed = errors.New("lambdart: server closed")
	// ErrTimeout means the function did not answer before its deadline.
	ErrTimeout = errors.New("lambdart: invocation timed out")
)

// FunctionError is a function or initialisation error reported by the
// runtime on an error route.
type FunctionError struct {
	RequestID  string          `json:"-"`
	Type       string          `json:"errorType"`
	Message    string          `json:"errorMessage"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
	// HeaderType is the Lambda-Runtime-Function-Error-Type header, if sent.
	HeaderType string `json:"-"`
}

// Error reports the error type and message.
func (e *FunctionError) Error() string {
	return fmt.Sprintf("lambdart: function error %s: %s", e.Type, e.Message)
}

// Config sets up a Server. Zero values get defaults.
type Config struct {
	// FunctionName is used in the default ARN and the Extensions API (default "function").
	FunctionName string
	// FunctionARN is sent as Lambda-Runtime-Invoked-Function-Arn.
	FunctionARN string
	// Timeout is the function timeout that sets each deadline (default 30s).
	Timeout time.Duration
}

// Server is a Runtime API peer. It is safe for concurrent use.
type Server struct {
	cfg        Config
	queue      chan *invocation
	done       chan struct{}
	initFailed chan struct{}

	mu      sync.Mutex
	pending map[string]*invocation
	initErr *FunctionError

	grace time.Duration // how long past the deadline Invoke waits

	srv  *http.Server
	ln   net.Listener
	once sync.Once
}

// invocation is one event on its way through the runtime.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time     // set when /next hands it out
	started  chan struct{} // closed when /next hands it out
	result   chan result
}

type result struct {
	body []byte
	err  error
}

// New returns a Server; call Start to listen or mount Handler yourself.
func New(cfg Config) *Server {
	if cfg.FunctionName == "" {
		cfg.FunctionName = "function"
	}
	if cfg.FunctionARN == "" {
		cfg.FunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:" + cfg.FunctionName
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Server{
		cfg: cfg, queue: make(chan *invocation, 64), done: make(chan struct{}),
		initFailed: make(chan struct{}), pending: make(map[string]*invocation),
		grace: time.Second,
	}
}

// Start listens on a random 127.0.0.1 port and serves until Close.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("lambdart: listen: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return nil
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API, after Start.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops serving, fails waiting invocations with ErrClosed and drops
// held /next polls, which makes a runtime process exit.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		if s.srv != nil {
			err = s.srv.Close()
		}
	})
	return err
}

// InitError returns the initialisation error the runtime reported, if any.
func (s *Server) InitError() (*FunctionError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr, s.initErr != nil
}
