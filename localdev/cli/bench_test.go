package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/fcrt"
	"github.com/xietong/xietong/shared/runtime"
)

// Benchmarks for `make bench` (which runs -benchtime 1x, so each benchmark takes its own
// samples inside one iteration):
//
//	BenchmarkColdStart/<fn>   spawn → first response of each function and of testdata/fchello,
//	                          medians of coldSamples alternating starts; metric "ratio"
//	                          (goal ≤ 1.3)
//	BenchmarkWarmInvoke       p50 of the harness (gateway-less Pool.Invoke) minus p50 of
//	                          runtime.Function.Dispatch in process; metric "added-p50-us"
//	                          (goal < 1000)
//	BenchmarkBinarySize/<fn>  stripped linux/amd64 binary size; metric "MB" (goal ≤ 15)

const (
	coldSamples = 21
	warmSamples = 300
)

var (
	benchOnce  sync.Once
	benchDir   string
	benchErr   error
	benchStack *stack
)

// benchSetup builds every function of the real s.yaml, fchello and the probe the same
// way `make build` does, and starts the emulators the functions are configured against.
func benchSetup(b *testing.B) *stack {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "localdev-bench")
		if benchErr != nil {
			return
		}
		sfile, _ := filepath.Abs(realSpec)
		proj := project{root: filepath.Dir(sfile), sfile: sfile,
			data: filepath.Join(benchDir, "data")}
		s := &stack{cfg: stackConfig{proj: proj, out: os.Stderr, maxInstances: 1}}
		s.gatewayURL = "http://127.0.0.1:1"
		if benchErr = s.startServices(); benchErr != nil {
			return
		}
		benchStack = s
		pkgs := map[string]string{"fchello": "./localdev/testdata/fchello",
			"probe": "./localdev/testdata/probe"}
		for _, f := range s.spec.Functions {
			pkgs[f.Resource] = "./functions/" + f.Resource
		}
		for name, pkg := range pkgs {
			if benchErr = stripBuild(proj.root, pkg, benchBinary(name)); benchErr != nil {
				return
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStack
}

func benchBinary(name string) string { return filepath.Join(benchDir, "bin", name, "main") }

func stripBuild(root, pkg, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", pkg, err, msg)
	}
	return nil
}

// healthEvent is an FC3 HTTP event for GET /healthz, which every function answers.
var healthEvent = []byte(`{"version":"v1","rawPath":"/healthz","body":"","isBase64Encoded":false,` +
	`"headers":{},"queryParameters":{},"requestContext":{"requestId":"bench","timeEpoch":"0",` +
	`"http":{"method":"GET","path":"/healthz","protocol":"HTTP/1.1","sourceIp":"127.0.0.1"}}}`)

// coldStart spawns a fresh instance and returns the time to its first response.
func coldStart(b *testing.B, cfg fcrt.Config) time.Duration {
	b.Helper()
	p := fcrt.NewPool(cfg)
	defer p.Close()
	start := time.Now()
	res, err := p.Invoke(context.Background(), healthEvent)
	d := time.Since(start)
	if err != nil || res.Err != nil {
		b.Fatalf("cold start %s: %v %v", cfg.Function, err, res.Err)
	}
	return d
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func BenchmarkColdStart(b *testing.B) {
	s := benchSetup(b)
	hello := fcrt.Config{Function: "fchello", FunctionName: "fchello",
		Binary:  benchBinary("fchello"),
		Handler: "main", MemoryMB: 128, Timeout: 10 * time.Second}
	for _, f := range s.spec.Functions {
		cfg := s.poolConfig(f, benchBinary(f.Resource))
		cfg.Log = nil
		b.Run(f.Resource, func(b *testing.B) {
			var fn, base []time.Duration
			for range b.N {
				for range coldSamples {
					base = append(base, coldStart(b, hello))
					fn = append(fn, coldStart(b, cfg))
				}
			}
			mf, mb := median(fn), median(base)
			b.ReportMetric(float64(mf.Microseconds())/1000, "cold-ms")
			b.ReportMetric(float64(mb.Microseconds())/1000, "fchello-ms")
			b.ReportMetric(float64(mf)/float64(mb), "ratio")
		})
	}
}

func BenchmarkWarmInvoke(b *testing.B) {
	benchSetup(b)
	p := fcrt.NewPool(fcrt.Config{Function: "probe", FunctionName: "probe",
		Binary: benchBinary("probe"), Handler: "main", MemoryMB: 128, Timeout: 10 * time.Second})
	defer p.Close()
	if err := p.Warm(context.Background(), 1); err != nil {
		b.Fatal(err)
	}
	direct := runtime.Function{Name: "probe", HTTP: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"pid": os.Getpid(), "inits": 0})
		}),
		Logger: runtime.NewLogger(discard{}, 0)}
	event := []byte(`{"version":"v1","rawPath":"/pid","body":"",` +
		`"isBase64Encoded":false,"headers":{},"queryParameters":{},"requestContext":` +
		`{"requestId":"bench","timeEpoch":"0","http":{"method":"GET","path":"/pid"}}}`)
	var harness, inproc []time.Duration
	b.ResetTimer()
	for range b.N {
		for range warmSamples {
			start := time.Now()
			if _, err := p.Invoke(context.Background(), event); err != nil {
				b.Fatal(err)
			}
			harness = append(harness, time.Since(start))
			start = time.Now()
			if _, err := direct.Dispatch(context.Background(), event); err != nil {
				b.Fatal(err)
			}
			inproc = append(inproc, time.Since(start))
		}
	}
	h, d := median(harness), median(inproc)
	b.ReportMetric(float64(h.Microseconds()), "harness-p50-us")
	b.ReportMetric(float64(d.Microseconds()), "dispatch-p50-us")
	b.ReportMetric(float64((h - d).Microseconds()), "added-p50-us")
}

func BenchmarkBinarySize(b *testing.B) {
	s := benchSetup(b)
	names := []string{"fchello"}
	for _, f := range s.spec.Functions {
		names = append(names, f.Resource)
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			info, err := os.Stat(benchBinary(name))
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
			}
			b.ReportMetric(float64(info.Size())/(1<<20), "MB")
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
