package dingevents_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/dingtalk/callback"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

const (
	univ = dingfake.UniversityCorp
	acme = dingfake.SupplierCorp
)

func init() {
	// The handler logs through slog.Default outside a runtime invocation.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// clock is a settable clock shared by the fake (event timestamps, tokens).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// slowdown delays the fake's answers on chosen paths, to play a slow DingTalk.
type slowdown struct {
	next http.Handler
	mu   sync.Mutex
	by   map[string]time.Duration
}

func (s *slowdown) set(path string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.by[path] = d
}

func (s *slowdown) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.by[r.URL.Path]
	s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	s.next.ServeHTTP(w, r)
}

// stack is the real handler behind an httptest server, over the Tablestore
// emulator and the DingTalk fake.
type stack struct {
	t       testing.TB
	clock   *clock
	fake    *dingfake.Fake
	slow    *slowdown
	store   *tables.Store
	dir     *directory.Directory
	handler *dingevents.Handler
	corps   map[string]dingevents.Corp
	url     string // the callback URL
	fakeURL string // the DingTalk fake's base URL
}

func newStack(t testing.TB, cfg ots.Config) *stack {
	t.Helper()
	return newStackWith(t, cfg, dingfake.DefaultSeed(), 0, 0)
}

// newStackWith serves orgs, each push checked against window (0: the
// default, negative: off, for dated fixtures), with a work budget (0: the
// default).
func newStackWith(t testing.TB, cfg ots.Config, orgs []dingfake.Org,
	window, budget time.Duration) *stack {
	t.Helper()
	return newStackOpts(t, cfg, orgs, stackOpts{window: window, budget: budget})
}

// stackOpts tune newStackOpts.
type stackOpts struct {
	window, budget time.Duration
	// wrap, if set, replaces each Corp before the handler is built, so a
	// test can swap a client.
	wrap func(dingevents.Corp) dingevents.Corp
	// tune, if set, edits the handler's Config.
	tune func(*dingevents.Config)
}

// newStackOpts is newStackWith with more knobs.
func newStackOpts(t testing.TB, cfg ots.Config, orgs []dingfake.Org, so stackOpts) *stack {
	t.Helper()
	window, budget := so.window, so.budget
	store, _ := otstest.Store(t, cfg, nil)
	s := &stack{t: t, clock: &clock{t: time.Now()}, store: store}
	s.fake = dingfake.New(dingfake.Config{Orgs: orgs, Now: s.clock.Now,
		RetryDelays: []time.Duration{}})
	s.slow = &slowdown{next: s.fake, by: map[string]time.Duration{}}
	fakeSrv := httptest.NewServer(s.slow)
	t.Cleanup(fakeSrv.Close)
	s.fakeURL = fakeSrv.URL

	opts := dingtalk.Options{Endpoints: dingtalk.Endpoints{OAPI: fakeSrv.URL,
		API: fakeSrv.URL}, QPS: -1, Retries: -1}
	var corps []dingevents.Corp
	s.corps = map[string]dingevents.Corp{}
	for _, o := range orgs {
		c := corpOf(t, o, opts, window)
		if so.wrap != nil {
			c = so.wrap(c)
		}
		corps = append(corps, c)
		s.corps[c.CorpID] = c
	}
	var err error
	if s.dir, err = directory.New(store); err != nil {
		t.Fatal(err)
	}
	hcfg := dingevents.Config{Corps: corps, Directory: s.dir, Store: store, Budget: budget,
		Now: s.clock.Now}
	if so.tune != nil {
		so.tune(&hcfg)
	}
	s.handler, err = dingevents.New(hcfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.handler)
	t.Cleanup(srv.Close)
	s.url = srv.URL + "/callback/dingtalk"
	return s
}

// corpOf builds the Corp of o's first app.
func corpOf(t testing.TB, o dingfake.Org, opts dingtalk.Options,
	window time.Duration) dingevents.Corp {
	t.Helper()
	a := o.Apps[0]
	owner := a.OwnerKey
	if owner == "" {
		owner = a.AppKey
	}
	cr, err := callback.New(callback.Config{Token: a.CallbackToken, EncodingAESKey: a.AESKey,
		OwnerKey: owner, Window: window})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := dingtalk.New(dingtalk.App{CorpID: o.CorpID, AppKey: a.AppKey,
		AppSecret: a.AppSecret, AgentID: a.AgentID}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return dingevents.Corp{CorpID: o.CorpID, Crypto: cr, Client: cl}
}

// push sends one event through the fake's pusher and fails the test when it
// is not accepted with a valid encrypted "success".
func (s *stack) push(corp, typ string, fields map[string]any) {
	s.t.Helper()
	if err := s.fake.Push(context.Background(), s.url, corp, typ, fields); err != nil {
		s.t.Fatalf("push %s: %v", typ, err)
	}
}

// snapshot renders every row of the given tables for corp, ver included, so
// that a comparison shows any write at all.
func (s *stack) snapshot(corp string, names ...string) string {
	s.t.Helper()
	var lines []string
	for _, name := range names {
		for _, r := range s.rows(name, corp) {
			var cols []string
			for k, v := range r.Cols {
				cols = append(cols, fmt.Sprintf("%s=%v", k, v))
			}
			sort.Strings(cols)
			lines = append(lines, name+" "+r.Key.String()+" "+strings.Join(cols, " "))
		}
	}
	return strings.Join(lines, "\n")
}

// rows reads every row of table name for corp.
func (s *stack) rows(name, corp string) []*tables.Row {
	s.t.Helper()
	ctx := context.Background()
	key := tables.Key{tables.TenantKey(corp)}
	if t, _ := s.store.Table(name); len(t.PrimaryKey) == 1 {
		r, err := s.store.Get(ctx, name, key)
		if errors.Is(err, tables.ErrNotFound) {
			return nil
		}
		if err != nil {
			s.t.Fatal(err)
		}
		return []*tables.Row{r}
	}
	rows, _, err := s.store.Page(ctx, name, tables.Range{Prefix: key})
	if err != nil {
		s.t.Fatal(err)
	}
	return rows
}

// directoryTables are the tables events change.
var directoryTables = []string{tables.Org.Name, tables.Dept.Name, tables.User.Name,
	tables.Approval.Name, tables.Outbox.Name}

// allTables adds the dedupe rows, which any accepted event writes.
var allTables = append(append([]string{}, directoryTables...), tables.Dedupe.Name)

func (s *stack) lookup(corp, userID string) (directory.User, error) {
	return s.dir.Lookup(context.Background(), corp, userID)
}
