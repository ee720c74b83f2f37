package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/projects"
)

// BenchmarkViewsThroughGateway measures the role views the micro-app opens most,
// through the local gateway to the real binaries under the FC runtime emulator,
// over the demo that `localdev up` seeds: the staff view (GET /api/tasks/me, the
// tasks function) and the executive portfolio (GET /api/views/executive grouped by
// department and status, the projects function), the latter again once the
// organization has XT_BENCH_PROJECTS more projects (200), created through the API.
// XT_BENCH_VIEWS requests (2,000) are sent by XT_BENCH_CLIENTS concurrent clients
// (16), with up to 4 instances per function; it reports requests per second, the
// p99 latency and the failures.
//
//	go test ./localdev/cli -run '^$' -bench ViewsThroughGateway -benchtime 1x
func BenchmarkViewsThroughGateway(b *testing.B) {
	n, clients := envInt("XT_BENCH_VIEWS", 2000), envInt("XT_BENCH_CLIENTS", 16)
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	st, err := startStack(context.Background(), stackConfig{
		proj: project{root: root, sfile: filepath.Join(root, "s.yaml"), data: benchData(b)},
		addr: "127.0.0.1:0", maxInstances: 4, out: io.Discard, noTimers: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer st.close()
	d, err := st.seedDemo(context.Background(), io.Discard)
	if err != nil {
		b.Fatalf("seed the demo: %v", err)
	}
	const exec = "/api/views/executive?groupBy=department,status"
	for _, v := range []struct{ name, as, path string }{
		{"staff", "dev1", "/api/tasks/me"},
		{"executive", "exec", exec},
		{"executive/projects=more", "exec", exec},
	} {
		if strings.HasSuffix(v.name, "more") {
			more := envInt("XT_BENCH_PROJECTS", 200)
			createProjects(b, d.api, more)
			v.name = strings.Replace(v.name, "more", strconv.Itoa(more+2), 1)
		}
		b.Run(v.name, func(b *testing.B) {
			req := viewRequest{url: st.gatewayURL + v.path, token: d.api.tokens[v.as]}
			if code := req.send(http.DefaultClient); code != http.StatusOK {
				b.Fatalf("GET %s as %s = %d, want 200", v.path, v.as, code)
			}
			b.ResetTimer()
			for range b.N {
				lat, failed, took := req.load(n, clients)
				slices.Sort(lat)
				b.ReportMetric(float64(n)/took.Seconds(), "req_per_s")
				b.ReportMetric(percentileMS(lat, 0.99), "p99_ms")
				b.ReportMetric(float64(failed), "failed")
			}
		})
	}
}

// createProjects has the demo's infrastructure lead create n projects through the
// gateway, from 4 clients.
func createProjects(b *testing.B, api *demoAPI, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				req := projects.CreateRequest{Name: fmt.Sprintf("基准项目 %d", i),
					Department: strconv.Itoa(4 + int(i%2)), Budget: i * 100_000,
					Risk: []string{"low", "medium", "high"}[i%3], Status: "active"}
				if err := api.call(context.Background(), "infra", "POST", "/api/projects",
					fmt.Sprintf("bench-project-%d", i), req, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// viewRequest is one GET of a view with a session.
type viewRequest struct {
	url, token string
}

// send makes the request once and returns the status, 0 when it did not complete.
func (r viewRequest) send(c *http.Client) int {
	req, err := http.NewRequest("GET", r.url, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// load sends n requests from clients concurrent clients, each with its own
// keep-alive connection, and returns every latency, how many were not 200 and the
// wall time.
func (r viewRequest) load(n, clients int) ([]time.Duration, int, time.Duration) {
	var next, failed atomic.Int64
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 30 * time.Second,
				Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				t0 := time.Now()
				if r.send(c) != http.StatusOK {
					failed.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return lat, int(failed.Load()), time.Since(start)
}
