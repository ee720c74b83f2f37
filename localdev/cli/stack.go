package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xietong/xietong/localdev/fcrt"
	"github.com/xietong/xietong/localdev/gateway"
	"github.com/xietong/xietong/localdev/spec"
	"github.com/xietong/xietong/localdev/timers"
)

// Fixed local names: s.yaml resolves its ${env(...)} references to these, and the
// emulators serve them.
const (
	localInstance = "xietong"
	localBucket   = "xietong-files"
	localRegion   = "cn-hangzhou"
)

// stackConfig says what to run.
type stackConfig struct {
	proj         project
	addr         string // gateway listen address
	maxInstances int
	out          io.Writer
	// binaries, when set, maps function names to prebuilt binaries and skips building.
	binaries map[string]string
	// noTimers leaves the cron schedule off (triggers still fire on demand).
	noTimers bool
}

// stack is a running local cloud.
type stack struct {
	cfg     stackConfig
	spec    *spec.Project
	secrets secrets
	env     map[string]string // the local values s.yaml's ${env(...)} resolve to
	build   *builder
	pools   map[string]*fcrt.Pool
	emus    []emulator
	servers []*http.Server
	sched   *timers.Scheduler
	async   sync.WaitGroup

	ding *dingTalk

	gatewayURL, tablestoreURL, ossURL, dingURL string
}

// startStack starts emulators, function pools, the gateway and the timers.
func startStack(ctx context.Context, cfg stackConfig) (*stack, error) {
	s := &stack{cfg: cfg, pools: map[string]*fcrt.Pool{}}
	s.build = &builder{root: cfg.proj.root, binDir: filepath.Join(cfg.proj.data, "bin"),
		out: cfg.out}
	if err := s.start(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *stack) start(ctx context.Context) error {
	gwLn, err := net.Listen("tcp", s.cfg.addr)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	s.gatewayURL = baseURL(gwLn)
	if err := s.startServices(); err != nil {
		gwLn.Close()
		return err
	}
	if err := s.startFunctions(ctx); err != nil {
		gwLn.Close()
		return err
	}
	if err := s.startTimers(); err != nil {
		gwLn.Close()
		return err
	}
	s.serve(gwLn, s.gateway())
	return s.writeState()
}

// startServices loads the secrets and s.yaml and starts the emulators and the DingTalk
// fake: everything but the functions.
func (s *stack) startServices() error {
	var err error
	if s.secrets, err = loadSecrets(filepath.Join(s.cfg.proj.data, "secrets.json")); err != nil {
		return err
	}
	lns, err := listenN(3)
	if err != nil {
		return err
	}
	s.tablestoreURL, s.ossURL, s.dingURL = baseURL(lns[0]), baseURL(lns[1]), baseURL(lns[2])
	if s.ding, err = openDingTalk(); err != nil {
		closeAll(lns...)
		return err
	}
	s.env = s.localEnv()
	if s.spec, err = spec.Load(s.cfg.proj.sfile, spec.Options{Env: s.resolveEnv(),
		Config: map[string]string{"AccountID": s.secrets.AccountID}}); err != nil {
		closeAll(lns...)
		return err
	}
	if err := s.startEmulators(lns[0], lns[1]); err != nil {
		closeAll(lns...)
		return err
	}
	s.serve(lns[2], s.ding.fake)
	return s.createTables()
}

func listenN(n int) ([]net.Listener, error) {
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closeAll(lns...)
			return nil, err
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func baseURL(ln net.Listener) string { return "http://" + ln.Addr().String() }

func closeAll(lns ...net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// localEnv is what the functions' configuration resolves to locally: emulator endpoints,
// local names and the generated secrets.
func (s *stack) localEnv() map[string]string {
	env := map[string]string{
		"FC_REGION":           localRegion,
		"TABLESTORE_ENDPOINT": s.tablestoreURL,
		"TABLESTORE_INSTANCE": localInstance,
		"OSS_ENDPOINT":        s.ossURL,
		"OSS_BUCKET":          localBucket,
		"DINGTALK_OAPI_BASE":  s.dingURL,
		"DINGTALK_API_BASE":   s.dingURL,
		"XT_DOMAIN":           strings.TrimPrefix(s.gatewayURL, "http://"),
	}
	for k, v := range s.secrets.Env {
		env[k] = v
	}
	if s.ding != nil {
		env["DINGTALK_APPS"] = s.ding.apps
	}
	return env
}

// resolveEnv is the host environment overlaid with the local values, which win.
func (s *stack) resolveEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for k, v := range s.env {
		env[k] = v
	}
	return env
}

func (s *stack) startEmulators(otsLn, ossLn net.Listener) error {
	c := emulatorConfig{
		dataDir: s.cfg.proj.data, instance: localInstance, region: localRegion,
		buckets: s.buckets(), accessKeyID: s.secrets.AccessKeyID,
		accessKeySecret: s.secrets.AccessKeySecret, onOSSEvent: s.dispatchOSS,
	}
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return err
	}
	t, err := openTablestore(c)
	if err != nil {
		return err
	}
	s.emus = append(s.emus, t)
	o, err := openOSS(c)
	if err != nil {
		return err
	}
	s.emus = append(s.emus, o)
	s.serve(otsLn, t)
	s.serve(ossLn, o)
	return nil
}

// buckets lists the local bucket and every bucket an OSS trigger watches.
func (s *stack) buckets() []string {
	set := map[string]bool{localBucket: true}
	for _, f := range s.spec.Functions {
		for _, t := range f.Triggers {
			if t.OSS != nil {
				set[t.OSS.Bucket] = true
			}
		}
	}
	var out []string
	for b := range set {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

func (s *stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

func (s *stack) functionNames() []string {
	var names []string
	for _, f := range s.spec.Functions {
		names = append(names, f.Resource)
	}
	return names
}

// startFunctions builds the binaries and starts one warm instance per function.
func (s *stack) startFunctions(ctx context.Context) error {
	names := s.functionNames()
	if s.cfg.binaries == nil {
		if err := s.build.buildAll(ctx, names); err != nil {
			return err
		}
	}
	for i, f := range s.spec.Functions {
		start := time.Now()
		fmt.Fprintf(s.cfg.out, "start %d/%d %s ... ", i+1, len(names), f.Resource)
		p := fcrt.NewPool(s.poolConfig(f, s.binary(f.Resource)))
		s.pools[f.Resource] = p
		if err := p.Warm(ctx, 1); err != nil {
			fmt.Fprintln(s.cfg.out, "FAILED")
			return err
		}
		fmt.Fprintf(s.cfg.out, "%dms\n", time.Since(start).Milliseconds())
	}
	return nil
}

func (s *stack) binary(name string) string {
	if b, ok := s.cfg.binaries[name]; ok {
		return b
	}
	return s.build.binary(name)
}

func (s *stack) poolConfig(f *spec.Function, binary string) fcrt.Config {
	return fcrt.Config{
		Function:     f.Resource,
		FunctionName: f.Name,
		Binary:       binary,
		Env:          f.EnvList(),
		Handler:      f.Handler,
		MemoryMB:     f.MemoryMB,
		Timeout:      f.Timeout,
		Region:       f.Region,
		AccountID:    s.secrets.AccountID,
		Credentials: fcrt.Credentials{AccessKeyID: s.secrets.AccessKeyID,
			AccessKeySecret: s.secrets.AccessKeySecret},
		MaxInstances: s.cfg.maxInstances,
		Initializer:  hook(f.Initializer),
		PreStop:      hook(f.PreStop),
		Log:          s.cfg.out,
	}
}

func hook(h *spec.Hook) *fcrt.Hook {
	if h == nil {
		return nil
	}
	return &fcrt.Hook{Handler: h.Handler, Timeout: h.Timeout}
}

// timerJobs lists every enabled timer trigger.
func (s *stack) timerJobs() []timers.Job {
	var jobs []timers.Job
	for _, f := range s.spec.Functions {
		for _, t := range f.Triggers {
			if t.Timer != nil && t.Timer.Enable {
				jobs = append(jobs, timers.Job{Function: f.Resource, Trigger: t.Name,
					Cron: t.Timer.CronExpression, Payload: t.Timer.Payload})
			}
		}
	}
	return jobs
}

func (s *stack) startTimers() error {
	sched, err := timers.New(s.timerJobs(), func(ctx context.Context, j timers.Job, ev []byte) {
		s.report("timer "+j.Function+"/"+j.Trigger, s.invoke(ctx, j.Function, ev))
	})
	if err != nil {
		return err
	}
	s.sched = sched
	if !s.cfg.noTimers {
		sched.Start()
	}
	return nil
}

// outcome is one event's result, as the admin routes and the log report it.
type outcome struct {
	Function  string          `json:"function"`
	RequestID string          `json:"requestId"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     any             `json:"error,omitempty"`
	Millis    int64           `json:"durationMs"`
	failed    bool
}

func (s *stack) invoke(ctx context.Context, function string, event []byte) outcome {
	o := outcome{Function: function}
	p, ok := s.pools[function]
	if !ok {
		o.Error, o.failed = fmt.Sprintf("no function %q", function), true
		return o
	}
	start := time.Now()
	res, err := p.Invoke(ctx, event)
	o.RequestID, o.Millis = res.RequestID, time.Since(start).Milliseconds()
	switch {
	case err != nil:
		o.Error, o.failed = err.Error(), true
	case res.Err != nil:
		o.Error, o.failed = res.Err, true
	case json.Valid(res.Body):
		o.Result = res.Body
	default:
		o.Result, _ = json.Marshal(string(res.Body))
	}
	return o
}

// report writes one line about an event the stack delivered by itself.
func (s *stack) report(what string, o outcome) {
	if o.failed {
		fmt.Fprintf(s.cfg.out, "%s: FAILED %s %v (%dms)\n", what, o.RequestID, o.Error, o.Millis)
		return
	}
	fmt.Fprintf(s.cfg.out, "%s: ok %s (%dms)\n", what, o.RequestID, o.Millis)
}

// dispatchOSS delivers an object notification to every OSS trigger it matches,
// asynchronously, as OSS triggers are.
func (s *stack) dispatchOSS(ev ossEvent) {
	for _, f := range s.spec.Functions {
		for _, t := range f.Triggers {
			if t.OSS == nil || !t.OSS.Matches(ev.Bucket, ev.Key, ev.EventName) {
				continue
			}
			s.async.Add(1)
			go func() {
				defer s.async.Done()
				what := fmt.Sprintf("oss %s/%s %s %s", f.Resource, t.Name, ev.EventName, ev.Key)
				s.report(what, s.invoke(context.Background(), f.Resource, ev.Payload))
			}()
		}
	}
}

func (s *stack) gateway() http.Handler {
	funcs := map[string]gateway.Invoker{}
	for _, f := range s.spec.Functions {
		funcs[f.Resource] = s.pools[f.Resource]
		funcs[f.Name] = s.pools[f.Resource]
	}
	var routes []gateway.Route
	for _, r := range s.spec.Routes {
		routes = append(routes, gateway.Route{Path: r.Path, Function: r.Function,
			Methods: routeMethods(r, s.spec.Function(r.Function))})
	}
	return gateway.New(gateway.Config{
		Routes: routes, Functions: funcs, AccountID: s.secrets.AccountID,
		Domain: strings.TrimPrefix(s.gatewayURL, "http://"), Admin: s.admin(),
	})
}

// routeMethods is what FC allows through a custom-domain route: the route's methods
// (all when empty) that the function's HTTP trigger also accepts.
func routeMethods(r spec.Route, f *spec.Function) []string {
	var trigger []string
	for _, t := range f.Triggers {
		if t.HTTP != nil {
			trigger = append(trigger, t.HTTP.Methods...)
		}
	}
	if len(trigger) == 0 {
		return []string{"NONE"} // no HTTP trigger: nothing gets through
	}
	if len(r.Methods) == 0 {
		return trigger
	}
	var both []string
	for _, m := range r.Methods {
		for _, tm := range trigger {
			if strings.EqualFold(m, tm) {
				both = append(both, m)
				break
			}
		}
	}
	if len(both) == 0 {
		return []string{"NONE"}
	}
	return both
}

// stackState is written to .localdev/stack.json while a stack runs, so that invoke and
// trigger find it.
type stackState struct {
	PID     int               `json:"pid"`
	Gateway string            `json:"gateway"`
	Env     map[string]string `json:"env"`
}

func statePath(p project) string { return filepath.Join(p.data, "stack.json") }

func (s *stack) writeState() error {
	st := stackState{PID: os.Getpid(), Gateway: s.gatewayURL, Env: s.env}
	data, _ := json.MarshalIndent(st, "", "  ")
	return os.WriteFile(statePath(s.cfg.proj), data, 0o600)
}

// readState returns the running stack's state, or an error when none answers.
func readState(p project) (stackState, error) {
	var st stackState
	data, err := os.ReadFile(statePath(p))
	if err != nil {
		return st, fmt.Errorf("no running stack (start one with localdev up): %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("stack state %q: %w", statePath(p), err)
	}
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(st.Gateway + "/_localdev/health")
	if err != nil {
		return st, fmt.Errorf("no running stack at %s: %w", st.Gateway, err)
	}
	resp.Body.Close()
	return st, nil
}

// close stops everything: timers, gateway, pools (running preStop hooks), emulators.
func (s *stack) close() {
	if s.sched != nil {
		s.sched.Stop()
	}
	for _, srv := range s.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
	}
	s.async.Wait()
	var wg sync.WaitGroup
	for _, p := range s.pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Close()
		}()
	}
	wg.Wait()
	for _, e := range s.emus {
		if err := e.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(s.cfg.out, "close emulator:", err)
		}
	}
	if data, err := os.ReadFile(statePath(s.cfg.proj)); err == nil {
		var st stackState
		if json.Unmarshal(data, &st) == nil && st.PID == os.Getpid() {
			os.Remove(statePath(s.cfg.proj))
		}
	}
}
