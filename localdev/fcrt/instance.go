package fcrt

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
)

// instance is one running copy of the function binary with its own runtime API listener.
type instance struct {
	id     string
	gen    int
	cfg    *Config
	ln     net.Listener
	srv    *http.Server
	cmd    *exec.Cmd
	jobs   chan *job
	exited chan struct{}
	ready  chan struct{} // closed when the binary first asks for work
	once   sync.Once
	stdout *lineWriter
	stderr *lineWriter
	sink   *logSink

	mu      sync.Mutex
	current *job
	waitErr error
	killed  bool
}

// startInstance launches the binary and serves its runtime API on 127.0.0.1:0.
func startInstance(cfg *Config, gen int) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fcrt: start %q: %w", cfg.Function, err)
	}
	in := &instance{
		id:     "c-" + uuid.NewString()[:8],
		gen:    gen,
		cfg:    cfg,
		ln:     ln,
		jobs:   make(chan *job),
		exited: make(chan struct{}),
		ready:  make(chan struct{}),
	}
	in.srv = &http.Server{Handler: in.apiHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = in.srv.Serve(ln) }()

	in.sink = newLogSink(cfg.Log, cfg.Function, in.id)
	in.stdout, in.stderr = in.sink.writer(true), in.sink.writer(false)
	in.cmd = exec.Command(cfg.Binary)
	in.cmd.Dir = cfg.Dir
	if in.cmd.Dir == "" {
		in.cmd.Dir = filepath.Dir(cfg.Binary)
	}
	in.cmd.Env = in.environ(ln.Addr().String())
	in.cmd.Stdout, in.cmd.Stderr = in.stdout, in.stderr
	bindToParent(in.cmd)
	if err := in.cmd.Start(); err != nil {
		_ = in.srv.Close()
		return nil, fmt.Errorf("fcrt: start %q: %w", cfg.Function, err)
	}
	go in.wait()
	return in, nil
}

// environ is the FC system environment, then the function's own variables.
func (in *instance) environ(api string) []string {
	c := in.cfg
	env := []string{
		"FC_RUNTIME_API=" + api,
		"FC_FUNC_CODE_PATH=" + filepath.Dir(c.Binary),
		"FC_FUNCTION_NAME=" + c.FunctionName,
		"FC_FUNCTION_HANDLER=" + c.Handler,
		"FC_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(c.MemoryMB),
		"FC_FUNCTION_VERSION=LATEST",
		"FC_REGION=" + c.Region,
		"FC_ACCOUNT_ID=" + c.AccountID,
		"FC_INSTANCE_ID=" + in.id,
		"FC_CUSTOM_LISTEN_PORT=9000",
		"FC_RUNTIME=go1",
		"FC_TIMEOUT=" + strconv.Itoa(seconds(c.Timeout)),
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + c.Credentials.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + c.Credentials.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN=" + c.Credentials.SecurityToken,
	}
	if c.Initializer != nil {
		env = append(env,
			"FC_INITIALIZER_HANDLER="+c.Initializer.Handler,
			"FC_INITIALIZATION_TIMEOUT="+strconv.Itoa(seconds(c.Initializer.Timeout)))
	}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, c.Env...)
}

func (in *instance) wait() {
	err := in.cmd.Wait()
	in.mu.Lock()
	in.waitErr = err
	in.mu.Unlock()
	close(in.exited)
	_ = in.srv.Close()
}

// awaitReady waits until the binary asks for its first job.
func (in *instance) awaitReady(ctx context.Context, limit time.Duration) error {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-in.ready:
		return nil
	case <-in.exited:
		return in.exitError()
	case <-t.C:
		in.kill()
		return fmt.Errorf("%w: no /next within %v", ErrInstanceExited, limit)
	case <-ctx.Done():
		in.kill()
		return ctx.Err()
	}
}

// pid returns the process id of the instance.
func (in *instance) pid() int { return in.cmd.Process.Pid }

func (in *instance) dead() bool {
	select {
	case <-in.exited:
		return true
	default:
		return false
	}
}

func (in *instance) setCurrent(j *job) {
	in.mu.Lock()
	in.current = j
	in.mu.Unlock()
	in.sink.setJob(j.id)
}

func (in *instance) takeCurrent(id string) *job {
	in.mu.Lock()
	defer in.mu.Unlock()
	j := in.current
	if j == nil || j.id != id {
		return nil
	}
	in.current = nil
	return j
}

// kill stops the process at once and waits for it to exit.
func (in *instance) kill() {
	in.mu.Lock()
	in.killed = true
	in.mu.Unlock()
	_ = in.cmd.Process.Kill()
	<-in.exited
}

// exitError describes why the process ended, with the last lines it wrote.
func (in *instance) exitError() error {
	in.mu.Lock()
	err, killed := in.waitErr, in.killed
	in.mu.Unlock()
	if killed {
		return fmt.Errorf("%w: killed", ErrInstanceExited)
	}
	tail := in.stderr.tail()
	if tail == "" {
		tail = in.stdout.tail()
	}
	return fmt.Errorf("%w: %v: %s", ErrInstanceExited, err, tail)
}

// run hands j to the binary and waits for its answer, the deadline or the process's end.
// On deadline the instance is killed and ErrTimeout returned.
func (in *instance) run(ctx context.Context, j *job, startWait time.Duration) (outcome, error) {
	j.instance = in
	start := time.NewTimer(startWait)
	defer start.Stop()
	select {
	case in.jobs <- j:
	case <-in.exited:
		return outcome{}, in.exitError()
	case <-start.C:
		in.kill()
		return outcome{}, fmt.Errorf("%w: no /next within %v", ErrInstanceExited, startWait)
	case <-ctx.Done():
		return outcome{}, ctx.Err()
	}
	deadline := <-j.started
	timer := time.NewTimer(time.Until(deadline) + timeoutGrace)
	defer timer.Stop()
	select {
	case o := <-j.done:
		return o, nil
	case <-in.exited:
		return outcome{}, in.exitError()
	case <-timer.C:
		in.kill()
		return outcome{}, fmt.Errorf("%w after %v", ErrTimeout, j.timeout)
	}
}

// timeoutGrace lets a handler that honours its context deadline answer by itself before
// the harness declares a timeout.
const timeoutGrace = 50 * time.Millisecond
