package directory_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

const (
	univ = dingfake.UniversityCorp
	acme = dingfake.SupplierCorp
)

// env is a Directory over the Tablestore emulator with DingTalk clients of
// the fake's two seed organizations.
type env struct {
	store   *tables.Store
	dir     *directory.Directory
	fake    *dingfake.Fake
	clients map[string]*dingtalk.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clients: map[string]*dingtalk.Client{}}
	e.store, e.dir = newDirectory(t)
	e.fake = dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed()})
	srv := httptest.NewServer(e.fake)
	t.Cleanup(srv.Close)
	for _, o := range dingfake.DefaultSeed() {
		a := o.Apps[0]
		c, err := dingtalk.New(dingtalk.App{CorpID: o.CorpID, AppKey: a.AppKey,
			AppSecret: a.AppSecret, AgentID: a.AgentID}, dingtalk.Options{
			Endpoints: dingtalk.Endpoints{OAPI: srv.URL, API: srv.URL}, QPS: -1})
		if err != nil {
			t.Fatal(err)
		}
		e.clients[o.CorpID] = c
	}
	return e
}

func newDirectory(t *testing.T) (*tables.Store, *directory.Directory) {
	t.Helper()
	store, _ := otstest.Store(t, ots.Config{}, nil)
	dir, err := directory.New(store)
	if err != nil {
		t.Fatal(err)
	}
	return store, dir
}

// fresh returns an env over an empty directory and the same DingTalk.
func (e *env) fresh(t *testing.T) *env {
	t.Helper()
	f := *e
	f.store, f.dir = newDirectory(t)
	return &f
}

func (e *env) reconcile(t *testing.T, corp string) directory.Changes {
	t.Helper()
	ch, err := e.dir.Reconcile(context.Background(), e.clients[corp], corp)
	if err != nil {
		t.Fatalf("Reconcile(%s): %v", corp, err)
	}
	return ch
}

func (e *env) users(t *testing.T, corp string) []directory.User {
	t.Helper()
	var out []directory.User
	for u, err := range e.dir.Users(context.Background(), corp) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}
