// Package fcrt emulates the Function Compute 3.0 runtime API (version 2020-11-11) that
// fc-runtime-go-sdk talks to, and runs the real function binary under it.
//
// A Pool owns the instances of one function. Each instance is the binary as a child
// process with FC_RUNTIME_API pointing at its own loopback listener. An instance gets one
// invocation at a time, as FC3 gives built-in runtimes; the pool starts more instances
// under concurrent load, up to Config.MaxInstances, and reuses idle ones. An invocation
// that outlives the function timeout fails with ErrTimeout and its instance is killed and
// replaced. Initializer and preStop hooks run as the SDK's type 1 and type 2 invocations.
package fcrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Errors returned by Pool.Invoke; test with errors.Is.
var (
	// ErrTimeout means the invocation ran past the function timeout; its instance was
	// killed.
	ErrTimeout = errors.New("function timed out")
	// ErrInstanceExited means the process ended (or never asked for work) before answering.
	ErrInstanceExited = errors.New("instance exited")
	// ErrInitializer means the initializer hook kept failing on a new instance.
	ErrInitializer = errors.New("initializer failed")
	// ErrClosed means the pool was closed.
	ErrClosed = errors.New("pool closed")
)

// Credentials are the role credentials handed to the function.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Hook is a lifecycle hook (instanceLifecycleConfig.initializer or .preStop).
type Hook struct {
	Handler string
	Timeout time.Duration
}

// Config describes one function for a Pool.
type Config struct {
	// Function is the short name used in logs and errors (the s.yaml resource key).
	Function string
	// FunctionName is the deployed name (FC_FUNCTION_NAME, x-fc-function-name).
	FunctionName string
	// Binary is the path of the executable; Dir is its working directory (default: the
	// binary's directory).
	Binary string
	Dir    string
	// Env holds KEY=VALUE pairs added after the FC system variables.
	Env       []string
	Handler   string
	MemoryMB  int
	Timeout   time.Duration
	Region    string
	AccountID string
	// Credentials go to ALIBABA_CLOUD_* and the x-fc-access-key-* headers.
	Credentials Credentials
	// MaxInstances caps concurrent instances; 0 means 1.
	MaxInstances int
	Initializer  *Hook
	PreStop      *Hook
	// StartTimeout bounds how long a new process may take to ask for work; 0 means 10s.
	StartTimeout time.Duration
	// Log receives every line the instances print, prefixed; nil discards them.
	Log io.Writer
}

// FunctionError is the body the SDK posts to the error route.
type FunctionError struct {
	Message    string       `json:"errorMessage"`
	Type       string       `json:"errorType"`
	StackTrace []StackFrame `json:"stackTrace,omitempty"`
}

// StackFrame is one frame of a panic's stack trace.
type StackFrame struct {
	Path  string `json:"path"`
	Line  int32  `json:"line"`
	Label string `json:"label"`
}

// Error returns "<type>: <message>".
func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Result is the answer to one invocation. Exactly one of Body (from the response route)
// and Err (from the error route) is meaningful.
type Result struct {
	Body      []byte
	Err       *FunctionError
	RequestID string
	// Instance and PID identify the instance that served the invocation.
	Instance string
	PID      int
	// Duration runs from hand-over to the binary until its answer.
	Duration time.Duration
}

// Pool runs the instances of one function.
type Pool struct {
	cfg Config

	mu     sync.Mutex
	idle   []*instance
	count  int
	gen    int
	wake   chan struct{}
	closed bool
	all    map[*instance]bool
}

// NewPool returns a pool with no instances; they start on demand or with Warm.
func NewPool(cfg Config) *Pool {
	if cfg.MaxInstances < 1 {
		cfg.MaxInstances = 1
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	return &Pool{cfg: cfg, wake: make(chan struct{}), all: map[*instance]bool{}}
}

type requestIDKey struct{}

// WithRequestID returns a context that makes Invoke use id as the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// NewRequestID returns a fresh request id.
func NewRequestID() string { return uuid.NewString() }

// Invoke runs payload through one instance and returns its answer. A function error
// (handler error or panic) is a Result with Err set and a nil error; the error return is
// for ErrTimeout, ErrInstanceExited, ErrInitializer, ErrClosed and ctx's error.
func (p *Pool) Invoke(ctx context.Context, payload []byte) (Result, error) {
	id, _ := ctx.Value(requestIDKey{}).(string)
	if id == "" {
		id = NewRequestID()
	}
	res := Result{RequestID: id}
	in, err := p.acquire(ctx)
	if err != nil {
		return res, p.wrap("invoke", id, err)
	}
	res.Instance, res.PID = in.id, in.pid()
	j := newJob(id, payload, typeHandler, p.cfg.Timeout)
	type answer struct {
		o   outcome
		err error
		d   time.Duration
	}
	ch := make(chan answer, 1)
	go func() {
		start := time.Now()
		o, err := in.run(context.Background(), j, p.cfg.StartTimeout)
		p.release(in, err == nil)
		ch <- answer{o, err, time.Since(start)}
	}()
	select {
	case a := <-ch:
		res.Body, res.Err, res.Duration = a.o.body, a.o.err, a.d
		if a.err != nil {
			return res, p.wrap("invoke", id, a.err)
		}
		return res, nil
	case <-ctx.Done():
		return res, p.wrap("invoke", id, ctx.Err())
	}
}

func (p *Pool) wrap(op, id string, err error) error {
	return fmt.Errorf("fcrt: %s %q %s: %w", op, p.cfg.Function, id, err)
}

// Warm starts instances until n are idle (at most MaxInstances in all).
func (p *Pool) Warm(ctx context.Context, n int) error {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return ErrClosed
		}
		if len(p.idle) >= n || p.count >= p.cfg.MaxInstances {
			p.mu.Unlock()
			return nil
		}
		p.count++
		gen := p.gen
		p.mu.Unlock()
		in, err := p.spawn(ctx, gen)
		if err != nil {
			p.release(nil, false)
			return p.wrap("warm", "-", err)
		}
		p.release(in, true)
	}
}

// acquire returns an idle instance, or starts one if under the cap, or waits.
func (p *Pool) acquire(ctx context.Context) (*instance, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		if in := p.popIdle(); in != nil {
			p.mu.Unlock()
			return in, nil
		}
		if p.count < p.cfg.MaxInstances {
			p.count++
			gen := p.gen
			p.mu.Unlock()
			in, err := p.spawn(ctx, gen)
			if err != nil {
				p.release(nil, false)
				return nil, err
			}
			return in, nil
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// popIdle takes the most recently used live idle instance; p.mu is held.
func (p *Pool) popIdle() *instance {
	for len(p.idle) > 0 {
		in := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !in.dead() {
			return in
		}
		p.count--
		delete(p.all, in)
	}
	return nil
}

// spawn starts an instance and runs its initializer, retrying it on error.
func (p *Pool) spawn(ctx context.Context, gen int) (*instance, error) {
	cfg := p.cfg
	in, err := startInstance(&cfg, gen)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.all[in] = true
	p.mu.Unlock()
	if err := in.awaitReady(ctx, cfg.StartTimeout); err != nil {
		p.forget(in)
		return nil, err
	}
	if cfg.Initializer == nil {
		return in, nil
	}
	if err := p.initialize(ctx, in); err != nil {
		p.forget(in)
		in.kill()
		return nil, err
	}
	return in, nil
}

const initAttempts = 3

func (p *Pool) initialize(ctx context.Context, in *instance) error {
	var last string
	for attempt := 0; attempt < initAttempts; attempt++ {
		j := newJob(NewRequestID(), nil, typeInitializer, p.cfg.Initializer.Timeout)
		o, err := in.run(ctx, j, p.cfg.StartTimeout)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInitializer, err)
		}
		if o.err == nil {
			return nil
		}
		last = o.err.Error()
	}
	return fmt.Errorf("%w after %d attempts: %s", ErrInitializer, initAttempts, last)
}

// release returns an instance after use. An unhealthy, outdated or surplus instance is
// stopped instead; nil only gives back a slot.
func (p *Pool) release(in *instance, healthy bool) {
	p.mu.Lock()
	keep := in != nil && healthy && !p.closed && in.gen == p.gen && !in.dead()
	if keep {
		p.idle = append(p.idle, in)
	} else {
		p.count--
	}
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
	if in != nil && !keep {
		p.retire(in, healthy)
	}
}

func (p *Pool) forget(in *instance) {
	p.mu.Lock()
	delete(p.all, in)
	p.mu.Unlock()
}

// retire runs the preStop hook on a healthy instance, then kills it.
func (p *Pool) retire(in *instance, healthy bool) {
	defer p.forget(in)
	if in.dead() {
		return
	}
	if healthy && p.cfg.PreStop != nil {
		j := newJob(NewRequestID(), nil, typePreStop, p.cfg.PreStop.Timeout)
		_, _ = in.run(context.Background(), j, p.cfg.StartTimeout)
	}
	in.kill()
}

// Reload makes later invocations run binary: idle instances are retired now, busy ones
// when they finish.
func (p *Pool) Reload(binary string) {
	p.mu.Lock()
	p.cfg.Binary = binary
	p.gen++
	idle := p.idle
	p.idle = nil
	p.count -= len(idle)
	p.mu.Unlock()
	p.retireAll(idle)
}

// Close retires every idle instance (running preStop hooks) and kills busy ones.
// Invocations in flight fail with ErrInstanceExited; later ones with ErrClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	var busy []*instance
	for in := range p.all {
		if !contains(idle, in) {
			busy = append(busy, in)
		}
	}
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
	p.retireAll(idle)
	for _, in := range busy {
		in.kill()
	}
	return nil
}

func (p *Pool) retireAll(list []*instance) {
	var wg sync.WaitGroup
	for _, in := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.retire(in, true)
		}()
	}
	wg.Wait()
}

// Stats reports the number of live and idle instances.
func (p *Pool) Stats() (live, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count, len(p.idle)
}

// PIDs returns the process ids of the live instances, for diagnostics.
func (p *Pool) PIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for in := range p.all {
		if !in.dead() {
			out = append(out, in.pid())
		}
	}
	return out
}

func contains(list []*instance, in *instance) bool {
	for _, x := range list {
		if x == in {
			return true
		}
	}
	return false
}
