// Package ossemutest starts an OSS emulator on a loopback port for a test
// and records the events it emits.
package ossemutest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/xietong/xietong/localdev/ossemu"
)

// Fixed names of the test environment.
const (
	Region          = "cn-hangzhou"
	Bucket          = "xietong-test"
	AccessKeyID     = "LTAIossemutest"
	AccessKeySecret = "ossemutest-secret"
)

// Env is a running emulator with one bucket and one credential.
type Env struct {
	Endpoint        string // http://127.0.0.1:port
	Region          string
	Bucket          string
	AccessKeyID     string
	AccessKeySecret string
	Dir             string // where the objects live
	Server          *ossemu.Server

	cfg     ossemu.Config
	handler atomic.Pointer[ossemu.Server]
	offset  atomic.Int64 // added to the wall clock, in nanoseconds

	mu     sync.Mutex
	events []ossemu.Event
}

// Option adjusts the emulator's Config before it opens.
type Option func(*ossemu.Config)

// WithConfig returns an Option that lets f change the Config.
func WithConfig(f func(*ossemu.Config)) Option { return Option(f) }

// Start opens an emulator in a temporary directory, serves it on
// 127.0.0.1:0 and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	e := &Env{
		Region:          Region,
		Bucket:          Bucket,
		AccessKeyID:     AccessKeyID,
		AccessKeySecret: AccessKeySecret,
		Dir:             t.TempDir(),
	}
	e.cfg = ossemu.Config{
		Dir:         e.Dir,
		Region:      Region,
		Buckets:     []string{Bucket},
		Credentials: map[string]string{AccessKeyID: AccessKeySecret},
		OnEvent:     e.record,
		Now:         e.now,
	}
	for _, opt := range opts {
		opt(&e.cfg)
	}
	e.open(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.handler.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.Endpoint = srv.URL
	return e
}

func (e *Env) open(t testing.TB) {
	t.Helper()
	s, err := ossemu.Open(e.cfg)
	if err != nil {
		t.Fatalf("ossemutest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	e.Server = s
	e.handler.Store(s)
}

// Restart closes the server and opens a new one on the same directory and
// port, as a process restart would.
func (e *Env) Restart(t testing.TB) {
	t.Helper()
	e.handler.Load().Close()
	e.open(t)
}

func (e *Env) record(ev ossemu.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
}

// Events returns the events emitted so far, oldest first.
func (e *Env) Events() []ossemu.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.events)
}

func (e *Env) now() time.Time {
	return time.Now().Add(time.Duration(e.offset.Load()))
}

// Advance moves the emulator's clock by d, to test expiry and clock skew.
func (e *Env) Advance(d time.Duration) {
	e.offset.Add(int64(d))
}

// Client returns an SDK bucket handle for the environment, built with the
// given client options (for example oss.AuthVersion(oss.AuthV4)).
func (e *Env) Client(t testing.TB, opts ...oss.ClientOption) *oss.Bucket {
	t.Helper()
	opts = append([]oss.ClientOption{oss.Region(e.Region)}, opts...)
	c, err := oss.New(e.Endpoint, e.AccessKeyID, e.AccessKeySecret, opts...)
	if err != nil {
		t.Fatalf("ossemutest: oss.New: %v", err)
	}
	b, err := c.Bucket(e.Bucket)
	if err != nil {
		t.Fatalf("ossemutest: bucket: %v", err)
	}
	return b
}
