package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/dingtalk/callback"
	"github.com/xietong/xietong/shared/tables"
)

// BenchmarkCallbacksThroughGateway sends 10,000 distinct DingTalk pushes
// (XT_BENCH_CALLBACKS) at 200 a second (XT_BENCH_RATE) through the local gateway
// to the real dingtalk-callback binary under the FC runtime emulator, each
// sealed with the corp's callback keys as DingTalk seals them, and reports the
// latency percentiles and how many were not answered with a valid encrypted
// "success" (goal: p99 at most 50 ms, far inside DingTalk's 1,500 ms). The 16
// instances are started first (XT_BENCH_LOG names a file for the stack's
// log). The directory is filled first by the reconcile timer, as in
// production, so each push is a full user_modify_org round: decrypt, dedupe
// claim, DingTalk read from the fake, directory compare, reply.
//
// The handler never waits for its DingTalk client's QPS limiter (20 a second
// per app and instance) inside the reply: an event that finds no token free
// is queued durably, to be applied by the drain timer, which reads each
// distinct change once. The run reports how many pushes were queued
// ("queued"), fires the drain timer up to three times ("drain-runs") and
// reports how many queued events each run completed ("drained/run") and how
// many were left ("queued-left", want 0). It also reports decrypt-and-verify
// throughput on one core ("verify-decrypt/s/core"), over the same pushes.
//
//	go test ./localdev/cli -run '^$' -bench CallbacksThroughGateway -benchtime 1x
func BenchmarkCallbacksThroughGateway(b *testing.B) {
	n, rate := envInt("XT_BENCH_CALLBACKS", 10000), envInt("XT_BENCH_RATE", 200)
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	st, err := startStack(context.Background(), stackConfig{
		proj: project{root: root, sfile: filepath.Join(root, "s.yaml"), data: benchData(b)},
		addr: "127.0.0.1:0", maxInstances: benchInstances, out: benchLog(b), noTimers: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer st.close()
	trigger(b, st, "dingtalk-callback", "reconcile")
	// Start every instance first, as FC's provisioned instances would be:
	// the figure is the steady state, not 16 cold starts in the first second.
	if err := st.pools["dingtalk-callback"].Warm(context.Background(), benchInstances); err != nil {
		b.Fatal(err)
	}
	corp, _ := st.ding.firstUser()
	cr, err := st.ding.fake.PushCrypto(corp, 0)
	if err != nil {
		b.Fatal(err)
	}
	users := st.ding.userIDs(corp)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		pushes := sealedPushes(b, cr, users, n)
		b.StartTimer()
		lat, failed := sendPushes(st.gatewayURL+callbackPath, cr, pushes, rate)
		b.StopTimer()
		slices.Sort(lat)
		for _, p := range []struct {
			q    float64
			unit string
		}{{0.50, "p50-ms"}, {0.99, "p99-ms"}, {1, "max-ms"}} {
			b.ReportMetric(percentileMS(lat, p.q), p.unit)
		}
		b.ReportMetric(float64(failed), "failed")
		b.ReportMetric(opensPerSecond(b, cr, pushes), "verify-decrypt/s/core")
		store := benchStore(b, st)
		b.ReportMetric(float64(queuedReplies(b, store, corp)), "queued")
		before := queueRows(b, store, corp)
		runs, left := drainSome(b, st, store, corp)
		b.ReportMetric(float64(runs), "drain-runs")
		b.ReportMetric(float64(before-left)/float64(max(runs, 1)), "drained/run")
		b.ReportMetric(float64(left), "queued-left")
		b.StartTimer()
	}
}

// opensPerSecond opens every push on one goroutine (signature, timestamp
// window, AES-256-CBC decrypt, padding and owner-key checks) and returns
// pushes opened per second: the decrypt-and-verify throughput of one core.
func opensPerSecond(b *testing.B, cr *callback.Crypto, pushes []push) float64 {
	b.Helper()
	start := time.Now()
	for _, p := range pushes {
		if _, err := cr.OpenRequest(p.query, p.body); err != nil {
			b.Fatalf("open: %v", err)
		}
	}
	return float64(len(pushes)) / time.Since(start).Seconds()
}

// benchStore is a tables.Store on the stack's Tablestore emulator.
func benchStore(b *testing.B, st *stack) *tables.Store {
	b.Helper()
	client := tablestore.NewClient(st.tablestoreURL, localInstance, st.secrets.AccessKeyID,
		st.secrets.AccessKeySecret)
	store, err := tables.New(client, tables.All)
	if err != nil {
		b.Fatal(err)
	}
	return store
}

// queuedReplies counts the pushes whose work the callback queued instead of
// doing before its reply (dedupe rows whose result is "queued").
func queuedReplies(b *testing.B, store *tables.Store, corp string) int {
	b.Helper()
	n := 0
	for r, err := range store.Scan(context.Background(), tables.Dedupe.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(corp)}}) {
		if err != nil {
			b.Fatal(err)
		}
		if string(r.Bytes("result")) == "queued" {
			n++
		}
	}
	return n
}

// drainSome fires the drain timer, as its every-minute schedule would, until
// corp's callback queue is empty or drainRuns runs went by, and returns the
// runs and the rows left.
func drainSome(b *testing.B, st *stack, store *tables.Store, corp string) (int, int) {
	b.Helper()
	left := queueRows(b, store, corp)
	runs := 0
	for ; left > 0 && runs < drainRuns; runs++ {
		trigger(b, st, "dingtalk-callback", "drain")
		left = queueRows(b, store, corp)
	}
	return runs, left
}

// drainRuns bounds the drain runs of the benchmark; each applies what the
// client's 20 QPS allow in the 8 s a 10 s invocation leaves it.
const drainRuns = 3

// queueRows counts corp's callback work waiting in the queue (outbox rows
// under "cb/" that are not dead).
func queueRows(b *testing.B, store *tables.Store, corp string) int {
	b.Helper()
	tid := tables.TenantKey(corp)
	rows, _, err := store.Page(context.Background(), tables.Outbox.Name, tables.Range{
		Start: tables.Key{tid, "cb/"}, End: tables.Key{tid, "cb0"}})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.String("state") != "dead" {
			n++
		}
	}
	return n
}

// benchInstances caps the callback function's instances in the benchmark.
const benchInstances = 16

// benchData is the stack's data directory: in memory (/dev/shm) when the machine
// has it, since on disk every Tablestore write is an fsync'd commit and the
// disk, not the code, would set the tail; XT_BENCH_DISK=1 keeps it on disk.
func benchData(b *testing.B) string {
	if os.Getenv("XT_BENCH_DISK") == "" {
		if dir, err := os.MkdirTemp("/dev/shm", "xt-bench-"); err == nil {
			b.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return b.TempDir()
}

// benchLog is where the stack logs: the file XT_BENCH_LOG names, or nowhere.
func benchLog(b *testing.B) io.Writer {
	name := os.Getenv("XT_BENCH_LOG")
	if name == "" {
		return io.Discard
	}
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err == nil && n > 0 {
		return n
	}
	return def
}

func percentileMS(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(len(sorted)-1, int(q*float64(len(sorted))))].Microseconds()) /
		1000
}

// trigger fires a timer of the stack and fails unless the function succeeded.
func trigger(b testing.TB, st *stack, function, name string) {
	b.Helper()
	q := url.Values{"function": {function}, "trigger": {name}}
	resp, err := http.Post(st.gatewayURL+"/_localdev/trigger?"+q.Encode(), "", nil)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("trigger %s/%s = %d %s", function, name, resp.StatusCode, body)
	}
}

type push struct {
	query url.Values
	body  []byte
}

// sealedPushes seals n distinct user_modify_org events for the seeded users.
func sealedPushes(b *testing.B, cr *callback.Crypto, users []string, n int) []push {
	out := make([]push, n)
	for i := range out {
		msg, _ := json.Marshal(map[string]any{"EventType": "user_modify_org",
			"eventId": fmt.Sprintf("gw-bench-%d-%d", time.Now().UnixNano(), i),
			"UserId":  []string{users[i%len(users)]}})
		r, err := cr.Seal(msg)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(map[string]string{"encrypt": r.Encrypt})
		out[i] = push{query: r.Query().Values(), body: body}
	}
	return out
}

// sendPushes posts pushes at rate per second, at most 256 in flight, and returns
// the latency of each valid answer and the number of failures.
func sendPushes(target string, cr *callback.Crypto, pushes []push,
	rate int) ([]time.Duration, int) {
	client := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	defer client.CloseIdleConnections()
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		lat    = make([]time.Duration, 0, len(pushes))
		failed int
	)
	sem := make(chan struct{}, 256)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for _, p := range pushes {
		<-tick.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			err := postPush(client, target, cr, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			lat = append(lat, time.Since(start))
		}()
	}
	wg.Wait()
	return lat, failed
}

func postPush(client *http.Client, target string, cr *callback.Crypto, p push) error {
	resp, err := client.Post(target+"?"+p.query.Encode(), "application/json",
		bytes.NewReader(p.body))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return cr.CheckReply(body)
}
