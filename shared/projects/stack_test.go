package projects

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
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/httpapi/httpapitest"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

const (
	uni = dingfake.UniversityCorp
	sup = dingfake.SupplierCorp
)

// Mobile numbers of the protected executives of the seed.
var protectedMobiles = []string{"13800000001", "13900000001"}

// clock is a settable test clock, safe for concurrent use.
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

// exchange is one HTTP exchange seen by the test client.
type exchange struct {
	viewer, method, path string
	status               int
	body                 []byte
}

// stack is the projects API over the Tablestore emulator and the DingTalk
// fake, with the fake's seed synced into the directory.
type stack struct {
	t       testing.TB
	clock   *clock
	fake    *dingfake.Fake
	dingURL string
	db      *tables.Store
	dir     *directory.Directory
	signer  *session.Signer
	svc     *Service
	api     *httptest.Server
	tokens  map[string]string // by "corp:user"

	mu  sync.Mutex
	log []exchange
}

var seedApps = []dingtalk.App{
	{CorpID: uni, AppKey: "dinguniv-xietong", AppSecret: "univ-secret-0001", AgentID: 3100001},
	{CorpID: sup, AppKey: "dingacme-xietong", AppSecret: "acme-secret-0002", AgentID: 3200002},
}

func newStack(t testing.TB) *stack { return newStackVia(t, nil) }

// newStackVia is newStack with the Tablestore emulator behind wrap, when
// not nil (a request counter for benchmarks).
func newStackVia(t testing.TB, wrap func(http.Handler) http.Handler) *stack {
	t.Helper()
	ctx := context.Background()
	st := &stack{t: t, tokens: map[string]string{},
		clock: &clock{t: time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)}}
	db, _ := otstest.Store(t, ots.Config{}, wrap)
	st.db = db
	st.fake = dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed(), Now: st.clock.Now})
	ding := httptest.NewServer(st.fake)
	t.Cleanup(ding.Close)
	st.dingURL = ding.URL
	var err error
	if st.dir, err = directory.New(db); err != nil {
		t.Fatal(err)
	}
	apps := map[string]Identifier{}
	for _, a := range seedApps {
		c, err := dingtalk.New(a, dingtalk.Options{QPS: -1, Now: st.clock.Now,
			Endpoints: dingtalk.Endpoints{OAPI: ding.URL, API: ding.URL}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.dir.Reconcile(ctx, c, a.CorpID); err != nil {
			t.Fatalf("reconcile %s: %v", a.CorpID, err)
		}
		apps[a.CorpID] = c
	}
	st.signer, err = session.New(bytes.Repeat([]byte("k"), 32), session.WithClock(st.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	st.svc, err = New(db, st.signer, apps, Config{Now: st.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	st.api = httptest.NewServer(st.svc.Handler())
	t.Cleanup(st.api.Close)
	return st
}

// mint asks the fake for a free-login code of corp:user.
func (st *stack) mint(corp, user string) string {
	st.t.Helper()
	code, err := st.fake.MintAuthCode(corp, user)
	if err != nil {
		st.t.Fatal(err)
	}
	return code
}

// mintHTTP mints a code through the fake's HTTP route, as localdev does.
func (st *stack) mintHTTP(corp, user string) string {
	st.t.Helper()
	body, _ := json.Marshal(map[string]string{"corpId": corp, "userId": user})
	resp, err := http.Post(st.dingURL+"/_fake/authcode", "application/json",
		bytes.NewReader(body))
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Code string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Code == "" {
		st.t.Fatalf("mint %s:%s: status %d, %v", corp, user, resp.StatusCode, err)
	}
	return out.Code
}

// as returns the session token of uid ("corp:user"), signing in through
// the API with a minted auth code; users the fake cannot mint codes for
// (external contacts) get a session from the signer directly.
func (st *stack) as(uid string) string {
	st.t.Helper()
	if tok, ok := st.tokens[uid]; ok {
		return tok
	}
	corp, user, _ := strings.Cut(uid, ":")
	var tok string
	if strings.HasPrefix(user, directory.ExternalPrefix) {
		var err error
		if tok, _, err = st.signer.Issue(corp, user); err != nil {
			st.t.Fatal(err)
		}
	} else {
		var s SessionResponse
		st.must("", "POST", "/api/auth/login", LoginRequest{CorpID: corp,
			AuthCode: st.mintHTTP(corp, user)}, http.StatusOK, &s)
		tok = s.Token
	}
	st.tokens[uid] = tok
	return tok
}

// do sends one request as uid ("" for none) and records the exchange.
func (st *stack) do(uid, method, path string, body any, hdr ...string) (int, []byte) {
	st.t.Helper()
	token := ""
	if uid != "" {
		token = st.as(uid)
	}
	resp, out := httpapitest.Do(st.t, nil,
		httpapitest.Request(st.t, method, st.api.URL+path, body, token, hdr...))
	st.mu.Lock()
	st.log = append(st.log, exchange{viewer: uid, method: method, path: path,
		status: resp.StatusCode, body: out})
	st.mu.Unlock()
	return resp.StatusCode, out
}

// must sends a request and fails the test unless it answers want; the body
// is decoded into out when out is not nil.
func (st *stack) must(uid, method, path string, body any, want int, out any,
	hdr ...string) []byte {
	st.t.Helper()
	got, b := st.do(uid, method, path, body, hdr...)
	if got != want {
		st.t.Fatalf("%s %s as %q = %d %s, want %d", method, path, uid, got, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			st.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

// errorCode returns the error code of an error answer.
func errorCode(b []byte) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return e.Error.Code
}

// exchanges returns what the test client has seen so far.
func (st *stack) exchanges() []exchange {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]exchange(nil), st.log...)
}

// People of the seed, as uids.
const (
	president  = uni + ":u-president"     // executive, protected mobile
	itDirector = uni + ":u-it-director"   // leads dept 3 (and so 4 and 5)
	appsLead   = uni + ":u-apps-lead"     // leads dept 5
	infraLead  = uni + ":u-infra-lead"    // leads dept 4
	dev1       = uni + ":u-dev-1"         // staff
	dev2       = uni + ":u-dev-2"         // staff
	accountant = uni + ":u-accountant"    // staff
	extPM      = uni + ":ext:ext-acme-pm" // external contact of the university
	acmeCEO    = sup + ":a-ceo"           // executive of the supplier, protected
	acmePM     = sup + ":a-pm"            // leads the supplier's delivery dept
	acmeDev    = sup + ":a-dev"           // staff of the supplier
)

// demoProject is created by appsLead with the supplier as partner.
func (st *stack) demoProject(name string) ProjectDetail {
	st.t.Helper()
	var d ProjectDetail
	st.must(appsLead, "POST", "/api/projects", CreateRequest{Name: name, Department: "5",
		Year: 2026, Budget: 500_000_00, Risk: "medium", Start: "2026-09-01", End: "2027-06-30",
		Partners: []OrgRef{{Corp: sup, Name: "Acme"}},
		Members: []MemberInput{
			{Corp: uni, UserID: "u-dev-1", Role: "member"},
			{Corp: uni, UserID: "u-president", Role: "viewer"},
			{Corp: sup, UserID: "a-pm", Role: "supplier"},
			{Corp: uni, UserID: "ext:ext-acme-dev", Role: "supplier"},
		}}, http.StatusCreated, &d)
	return d
}

func projectPath(d ProjectDetail) string {
	return "/api/projects/" + d.Project.Corp + "/" + d.Project.ID
}
