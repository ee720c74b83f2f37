// Command probe is a function binary for localdev's tests and benchmarks. It starts
// through shared/runtime like the real functions and offers behaviour the tests can
// check: /echo (body round trip), /panic, /fail, /sleep?ms=, /pid, /last, a timer and
// an OSS handler, a direct-invocation handler, and lifecycle hooks.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xietong/xietong/shared/runtime"
)

type probe struct {
	inflight atomic.Int32

	mu    sync.Mutex
	last  map[string]string
	inits int
}

func main() {
	p := &probe{}
	err := runtime.Start(runtime.Function{
		Name:    "probe",
		HTTP:    p.routes(),
		Timer:   p.timer,
		OSS:     p.oss,
		Invoke:  p.invoke,
		Init:    p.init,
		PreStop: p.preStop,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

// routes dispatches on the last path element, so the probe answers under any route
// prefix ("/echo", "/probe/echo").
func (p *probe) routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch path.Base(r.URL.Path) {
		case "echo":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
			w.Header().Set("X-Probe-Query", r.URL.RawQuery)
			w.Header().Set("X-Probe-Method", r.Method)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(body)
		case "panic":
			panic("probe: asked to panic")
		case "fail":
			runtime.WriteError(w, http.StatusInternalServerError, "probe_failed", "asked to fail",
				nil)
		case "sleep":
			p.sleep(w, r)
		case "pid":
			p.mu.Lock()
			defer p.mu.Unlock()
			writeJSON(w, map[string]any{"pid": os.Getpid(), "inits": p.inits})
		case "last":
			p.mu.Lock()
			defer p.mu.Unlock()
			writeJSON(w, p.last)
		default:
			http.NotFound(w, r)
		}
	})
}

func (p *probe) sleep(w http.ResponseWriter, r *http.Request) {
	n := p.inflight.Add(1)
	defer p.inflight.Add(-1)
	ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
	time.Sleep(time.Duration(ms) * time.Millisecond)
	writeJSON(w, map[string]any{"slept_ms": ms, "pid": os.Getpid(), "inflight": n})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (p *probe) timer(ctx context.Context, ev runtime.TimerEvent) error {
	if ev.Payload == "fail" {
		return errors.New("probe: timer asked to fail")
	}
	p.remember(map[string]string{"kind": "timer", "trigger": ev.TriggerName,
		"payload": ev.Payload, "time": ev.TriggerTime.Format(time.RFC3339)})
	return nil
}

func (p *probe) oss(ctx context.Context, ev runtime.OSSEvent) error {
	if len(ev.Records) == 0 {
		return errors.New("probe: oss event without records")
	}
	r := ev.Records[0]
	p.remember(map[string]string{"kind": "oss", "bucket": r.Bucket, "key": r.Key,
		"event": r.EventName})
	return nil
}

func (p *probe) remember(m map[string]string) {
	p.mu.Lock()
	p.last = m
	p.mu.Unlock()
}

func (p *probe) invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	var in struct {
		Fail bool `json:"fail"`
	}
	_ = json.Unmarshal(payload, &in)
	if in.Fail {
		return nil, errors.New("probe: invoke asked to fail")
	}
	return map[string]any{"pid": os.Getpid(), "echo": payload}, nil
}

// init fails the first PROBE_INIT_FAILS times it runs in a process.
func (p *probe) init(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inits++
	fails, _ := strconv.Atoi(os.Getenv("PROBE_INIT_FAILS"))
	if p.inits <= fails {
		return fmt.Errorf("probe: init attempt %d asked to fail", p.inits)
	}
	return nil
}

// preStop records the pid in PROBE_PRESTOP_DIR.
func (p *probe) preStop(ctx context.Context) {
	dir := os.Getenv("PROBE_PRESTOP_DIR")
	if dir == "" {
		return
	}
	pid := strconv.Itoa(os.Getpid())
	_ = os.WriteFile(dir+"/prestop-"+pid, []byte(pid), 0o644)
}
