package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

const (
	uni = dingfake.UniversityCorp
	sup = dingfake.SupplierCorp
)

// Users of the seed, as uids.
const (
	president = uni + ":u-president"   // executive; manages dept 2
	director  = uni + ":u-it-director" // manages depts 3, 4, 5
	infraLead = uni + ":u-infra-lead"  // manages dept 4; leads the infra project
	appsLead  = uni + ":u-apps-lead"   // manages dept 5; leads the portal project
	dev1      = uni + ":u-dev-1"
	dev2      = uni + ":u-dev-2"
	acmeDev   = sup + ":a-dev"
)

// today is Thursday 2026-12-03 in CST; the clock starts at 18:00 CST.
var (
	today = plan.NewDate(2026, time.December, 3)
	start = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
)

// clock is a test clock; each reading advances it by step, so that a run
// meets a context deadline after a known number of steps.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

// stack is the reports service over the Tablestore and OSS emulators with
// the DingTalk fake's seed synced into the directory.
type stack struct {
	t      testing.TB
	clock  *clock
	db     *tables.Store
	store  *projects.Store
	files  *blob.Store
	signer *session.Signer
	svc    *Service
	api    *httptest.Server
	fake   *dingfake.Fake   // the DingTalk fake, with the seed
	ding   *httptest.Server // serving fake
}

var seedApps = []dingtalk.App{
	{CorpID: uni, AppKey: "dinguniv-xietong", AppSecret: "univ-secret-0001", AgentID: 3100001},
	{CorpID: sup, AppKey: "dingacme-xietong", AppSecret: "acme-secret-0002", AgentID: 3200002},
}

func newStack(t testing.TB, cfg Config) *stack { return newStackVia(t, cfg, nil) }

// newStackVia is newStack with the Tablestore emulator behind wrap (nil:
// none), for counting the requests that reach it.
func newStackVia(t testing.TB, cfg Config, wrap func(http.Handler) http.Handler) *stack {
	t.Helper()
	ctx := context.Background()
	st := &stack{t: t, clock: &clock{t: start}}
	db, _ := otstest.Store(t, ots.Config{}, wrap)
	st.db = db
	var err error
	st.syncDirectory(ctx)
	if st.store, err = projects.NewStore(db); err != nil {
		t.Fatal(err)
	}
	oss := ossemutest.Start(t)
	st.files, err = blob.New(blob.Config{Endpoint: oss.Endpoint, Bucket: oss.Bucket,
		Region: oss.Region, AccessKeyID: oss.AccessKeyID, AccessKeySecret: oss.AccessKeySecret})
	if err != nil {
		t.Fatal(err)
	}
	if st.signer, err = session.New(bytes.Repeat([]byte("r"), 32),
		session.WithClock(st.clock.Now)); err != nil {
		t.Fatal(err)
	}
	if cfg.Now == nil {
		cfg.Now = st.clock.Now
	}
	cfg.Corps = []string{uni}
	if st.svc, err = New(db, st.files, st.signer, cfg); err != nil {
		t.Fatal(err)
	}
	st.api = httptest.NewServer(st.svc.Handler())
	t.Cleanup(st.api.Close)
	return st
}

func (st *stack) syncDirectory(ctx context.Context) {
	st.fake = dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed(), Now: st.clock.Now})
	st.ding = httptest.NewServer(st.fake)
	st.t.Cleanup(st.ding.Close)
	dir, err := directory.New(st.db)
	if err != nil {
		st.t.Fatal(err)
	}
	for _, a := range seedApps {
		c, err := dingtalk.New(a, dingtalk.Options{QPS: -1, Now: st.clock.Now,
			Endpoints: st.endpoints()})
		if err != nil {
			st.t.Fatal(err)
		}
		if _, err := dir.Reconcile(ctx, c, a.CorpID); err != nil {
			st.t.Fatalf("reconcile %s: %v", a.CorpID, err)
		}
	}
}

func (st *stack) endpoints() dingtalk.Endpoints {
	return dingtalk.Endpoints{OAPI: st.ding.URL, API: st.ding.URL}
}

// drain delivers the outbox of corp into the DingTalk fake, as the notify
// function does.
func (st *stack) drain(corp string) outbox.Report {
	st.t.Helper()
	d, err := outbox.NewDrainer(outbox.Config{Store: st.db, Apps: seedApps,
		Options: dingtalk.Options{QPS: -1, Endpoints: st.endpoints()}, Now: st.clock.Now})
	if err != nil {
		st.t.Fatal(err)
	}
	rep, err := d.DrainCorp(context.Background(), corp)
	if err != nil {
		st.t.Fatal(err)
	}
	return rep
}

// outboxRow is one enqueued notification as the tests read it.
type outboxRow struct {
	Corp, Kind, Title, Body, Link, Dedupe string
	Users                                 []string
}

// outbox reads every notification row of corp.
func (st *stack) outbox(corp string) []outboxRow {
	st.t.Helper()
	var out []outboxRow
	for r, err := range st.db.Scan(context.Background(), tables.Outbox.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(corp)}}) {
		if err != nil {
			st.t.Fatal(err)
		}
		o := outboxRow{Corp: corp, Kind: r.String("type"), Title: r.String("title"),
			Body: r.String("body"), Link: r.String("link"), Dedupe: r.String("dedupe_key")}
		json.Unmarshal([]byte(r.String("users")), &o.Users)
		out = append(out, o)
	}
	return out
}

// byRecipient indexes rows by the recipient at the end of their dedupe key.
func byRecipient(rows []outboxRow) map[string]outboxRow {
	out := map[string]outboxRow{}
	for _, r := range rows {
		i := strings.LastIndex(r.Dedupe, "/")
		out[r.Dedupe[i+1:]] = r
	}
	return out
}

// request sends a request as uid ("" for none) to the reports API.
func (st *stack) request(uid, method, path string) (int, []byte) {
	st.t.Helper()
	req, err := http.NewRequest(method, st.api.URL+path, nil)
	if err != nil {
		st.t.Fatal(err)
	}
	if uid != "" {
		corp, user, _ := strings.Cut(uid, ":")
		tok, _, err := st.signer.Issue(corp, user)
		if err != nil {
			st.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}
