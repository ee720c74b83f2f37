// Package otstest starts a Tablestore emulator for a test: a bbolt file in
// the test's temporary directory behind an httptest server on 127.0.0.1,
// with a real SDK client pointed at it.
package otstest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/tables"
)

// Env is a running emulator and what a client needs to reach it.
type Env struct {
	Endpoint        string
	Instance        string
	AccessKeyID     string
	AccessKeySecret string
	Server          *ots.Server
	Client          *tablestore.TableStoreClient
}

// Start starts an emulator for t; t.Cleanup stops it and closes the file.
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWith(t, ots.Config{})
}

// StartWith is Start with a base Config; its empty fields get defaults
// (file in t.TempDir, instance "xietong", test credentials).
func StartWith(t testing.TB, cfg ots.Config) *Env {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "ots.db")
	}
	if cfg.Instance == "" {
		cfg.Instance = "xietong"
	}
	if cfg.AccessKeyID == "" {
		cfg.AccessKeyID, cfg.AccessKeySecret = "test-ak", "test-secret"
	}
	srv, err := ots.Open(cfg)
	if err != nil {
		t.Fatalf("otstest: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("otstest: %v", err)
		}
	})
	env := &Env{Endpoint: hs.URL, Instance: cfg.Instance, AccessKeyID: cfg.AccessKeyID,
		AccessKeySecret: cfg.AccessKeySecret, Server: srv}
	env.Client = env.NewClient()
	return env
}

// NewClient returns a fresh SDK client for the emulator.
func (e *Env) NewClient() *tablestore.TableStoreClient {
	return tablestore.NewClient(e.Endpoint, e.Instance, e.AccessKeyID, e.AccessKeySecret)
}

// Store starts an emulator for t (StartWith cfg), creates every table of
// tables.All in it and returns the typed store over it, with the Env. wrap,
// when not nil, stands between the store's client and the emulator (to
// count or delay requests); the tables are created around it.
func Store(t testing.TB, cfg ots.Config, wrap func(http.Handler) http.Handler) (*tables.Store,
	*Env) {
	t.Helper()
	env := StartWith(t, cfg)
	if err := tables.Create(context.Background(), env.Client, tables.All); err != nil {
		t.Fatalf("otstest: %v", err)
	}
	client := env.Client
	if wrap != nil {
		hs := httptest.NewServer(wrap(env.Server))
		t.Cleanup(hs.Close)
		client = tablestore.NewClient(hs.URL, env.Instance, env.AccessKeyID, env.AccessKeySecret)
	}
	db, err := tables.New(client, tables.All)
	if err != nil {
		t.Fatalf("otstest: %v", err)
	}
	return db, env
}

// ReadCounter counts the read requests (GetRow, GetRange, BatchGetRow) that
// reach the emulator through its Wrap, which Store takes as wrap.
type ReadCounter struct{ N atomic.Int64 }

// Wrap returns h counting the read requests it serves in c.N.
func (c *ReadCounter) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch path.Base(r.URL.Path) {
		case "GetRow", "GetRange", "BatchGetRow":
			c.N.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}
