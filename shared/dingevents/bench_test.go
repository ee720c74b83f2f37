package dingevents_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingtalk/callback"
)

// benchInt reads a positive integer from the environment, or def.
func benchInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

type benchPush struct {
	query url.Values
	body  []byte
}

// sealPushes prepares n distinct user_modify_org pushes for seed users.
func sealPushes(b *testing.B, c *callback.Crypto, n int) []benchPush {
	users := []string{"u-it-director", "u-infra-lead", "u-apps-lead", "u-dev-1", "u-dev-2",
		"u-finance-head", "u-accountant", "u-president"}
	out := make([]benchPush, n)
	for i := range out {
		q, enc := sealed(b, c, map[string]any{"EventType": "user_modify_org",
			"eventId": fmt.Sprintf("bench-%d", i), "UserId": []string{users[i%len(users)]}})
		out[i] = benchPush{query: q, body: []byte(encryptBody(enc))}
	}
	return out
}

// BenchmarkCallbacks sends XT_BENCH_CALLBACKS (default 10,000) distinct
// pushes at XT_BENCH_RATE per second (default 200) through an httptest server
// on loopback running the real handler (decrypt, dedupe claim, DingTalk read
// from the fake, directory compare, dedupe complete, encrypted reply), and
// reports the latency percentiles, failures, and the decrypt-and-verify
// throughput of one core.
//
// The emulator's bbolt file goes to /dev/shm when it exists: on disk every
// write is an fsync'd bbolt commit (about 200 a second here), which, not the
// handler, then sets the tail. XT_BENCH_OTS_DIR names another directory;
// XT_BENCH_OTS_DIR=tmp uses the test's temporary directory (on disk).
//
//	go test ./shared/dingevents -run '^$' -bench BenchmarkCallbacks -benchtime 1x
func BenchmarkCallbacks(b *testing.B) {
	n, rate := benchInt("XT_BENCH_CALLBACKS", 10000), benchInt("XT_BENCH_RATE", 200)
	var cfg ots.Config
	dir := os.Getenv("XT_BENCH_OTS_DIR")
	if st, err := os.Stat("/dev/shm"); dir == "" && err == nil && st.IsDir() {
		dir = "/dev/shm"
	}
	if dir != "" && dir != "tmp" {
		cfg.Path = filepath.Join(dir, fmt.Sprintf("xt-bench-%d.db", time.Now().UnixNano()))
		b.Cleanup(func() { os.Remove(cfg.Path) })
	}
	s := newStack(b, cfg)
	if _, err := s.dir.Reconcile(context.Background(), s.corps[univ].Client, univ); err != nil {
		b.Fatal(err)
	}
	cr := univCrypto(b, univOwner, nil)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		pushes := sealPushes(b, cr, n)
		b.StartTimer()
		lat, failed := firePushes(b, s.url, cr, pushes, rate)
		slices.Sort(lat)
		pct := func(p float64) float64 {
			if len(lat) == 0 {
				return 0
			}
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
		}
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(pct(1), "max-ms")
		b.ReportMetric(float64(failed), "failed")
	}
	b.StopTimer()
	b.ReportMetric(openRate(b, cr), "opens/s/core")
}

// firePushes sends pushes at rate per second, at most 256 in flight, and
// returns each answered push's latency and the number that failed (error,
// status other than 200, or a reply DingTalk would reject).
func firePushes(b *testing.B, target string, cr *callback.Crypto, pushes []benchPush,
	rate int) ([]time.Duration, int) {
	client := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	defer client.CloseIdleConnections()
	sem := make(chan struct{}, 256)
	var mu sync.Mutex
	var wg sync.WaitGroup
	lat := make([]time.Duration, 0, len(pushes))
	failed := 0
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i, p := range pushes {
		<-tick.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, err := onePush(client, target, cr, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			lat = append(lat, d)
		}()
		if (i+1)%(rate*10) == 0 {
			fmt.Fprintf(os.Stderr, "bench: %d/%d pushes sent\n", i+1, len(pushes))
		}
	}
	wg.Wait()
	return lat, failed
}

func onePush(client *http.Client, target string, cr *callback.Crypto,
	p benchPush) (time.Duration, error) {
	start := time.Now()
	resp, err := client.Post(target+"?"+p.query.Encode(), "application/json",
		bytes.NewReader(p.body))
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return d, cr.CheckReply(body)
}

// openRate measures signature check plus decryption on one goroutine.
func openRate(b *testing.B, cr *callback.Crypto) float64 {
	pushes := sealPushes(b, cr, 256)
	var ring callback.Ring
	if err := ring.Add(univ, cr); err != nil {
		b.Fatal(err)
	}
	ops := 0
	start := time.Now()
	for time.Since(start) < time.Second {
		for _, p := range pushes {
			if _, _, err := ring.OpenRequest(p.query, p.body); err != nil {
				b.Fatal(err)
			}
		}
		ops += len(pushes)
	}
	return float64(ops) / time.Since(start).Seconds()
}
