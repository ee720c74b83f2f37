package tasksapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
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
	director  = uni + ":u-it-director" // lead of the university's project
	dev1      = uni + ":u-dev-1"
	dev2      = uni + ":u-dev-2"
	president = uni + ":u-president" // executive, no member
	clerk     = uni + ":u-accountant"
	acmePM    = sup + ":a-pm" // lead of the supplier's project
	acmeDev   = sup + ":a-dev"
	acmeCEO   = sup + ":a-ceo"
)

// start is the test clock's first reading: Thursday 2026-12-03, 09:00 CST.
var start = time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)

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

// stack is the tasks API over the Tablestore emulator, with the DingTalk
// fake's seed synced into the directory.
type stack struct {
	t      testing.TB
	clock  *clock
	db     *tables.Store
	store  *projects.Store
	signer *session.Signer
	svc    *Service
	api    *httptest.Server
	client *http.Client
	tokens sync.Map // uid → token
	// seen, when set, is told of every exchange.
	seen func(method, path string, a answer)
}

var seedApps = []dingtalk.App{
	{CorpID: uni, AppKey: "dinguniv-xietong", AppSecret: "univ-secret-0001", AgentID: 3100001},
	{CorpID: sup, AppKey: "dingacme-xietong", AppSecret: "acme-secret-0002", AgentID: 3200002},
}

func newStack(t testing.TB) *stack { return newStackVia(t, nil) }

// newStackVia is newStack with the emulator behind wrap (nil: none), for
// counting the requests that reach it.
func newStackVia(t testing.TB, wrap func(http.Handler) http.Handler) *stack {
	t.Helper()
	ctx := context.Background()
	st := &stack{t: t, clock: &clock{t: start}}
	db, _ := otstest.Store(t, ots.Config{}, wrap)
	st.db = db
	var err error
	st.syncDirectory(ctx)
	st.signer, err = session.New(bytes.Repeat([]byte("k"), 32), session.WithClock(st.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := projects.New(db, st.signer, nil, projects.Config{Now: st.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	st.store = auth.Store()
	if st.svc, err = New(auth, Config{Now: st.clock.Now}); err != nil {
		t.Fatal(err)
	}
	st.api = httptest.NewServer(st.svc.Handler())
	t.Cleanup(st.api.Close)
	st.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return st
}

func (st *stack) syncDirectory(ctx context.Context) {
	fake := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed(), Now: st.clock.Now})
	ding := httptest.NewServer(fake)
	defer ding.Close()
	dir, err := directory.New(st.db)
	if err != nil {
		st.t.Fatal(err)
	}
	for _, a := range seedApps {
		c, err := dingtalk.New(a, dingtalk.Options{QPS: -1, Now: st.clock.Now,
			Endpoints: dingtalk.Endpoints{OAPI: ding.URL, API: ding.URL}})
		if err != nil {
			st.t.Fatal(err)
		}
		if _, err := dir.Reconcile(ctx, c, a.CorpID); err != nil {
			st.t.Fatalf("reconcile %s: %v", a.CorpID, err)
		}
	}
}

func (st *stack) token(uid string) string {
	if tok, ok := st.tokens.Load(uid); ok {
		return tok.(string)
	}
	corp, user, _ := strings.Cut(uid, ":")
	tok, _, err := st.signer.Issue(corp, user)
	if err != nil {
		st.t.Fatal(err)
	}
	st.tokens.Store(uid, tok)
	return tok
}

// answer is one HTTP exchange.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v, zeroed first.
func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	reflect.ValueOf(v).Elem().SetZero()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// errorCode returns the error code of an error answer.
func (a answer) errorCode() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(a.body, &e)
	return e.Error.Code
}

// do sends a request as uid ("" for none) with an optional JSON body and
// Idempotency-Key.
func (st *stack) do(uid, method, path string, body any, idem string) answer {
	st.t.Helper()
	token := ""
	if uid != "" {
		token = st.token(uid)
	}
	var hdr []string
	if idem != "" {
		hdr = []string{"Idempotency-Key", idem}
	}
	resp, b := httpapitest.Do(st.t, st.client,
		httpapitest.Request(st.t, method, st.api.URL+path, body, token, hdr...))
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if st.seen != nil {
		st.seen(method, path, a)
	}
	return a
}

// must sends a request and fails the test unless the answer has status.
func (st *stack) must(status int, uid, method, path string, body any) answer {
	st.t.Helper()
	a := st.do(uid, method, path, body, "")
	if a.status != status {
		st.t.Fatalf("%s %s as %s = %d %s, want %d", method, path, uid, a.status, a.body, status)
	}
	return a
}

// member is a project member of the seed.
type member struct {
	uid, name string
	role      plan.Role
}

// seedProject writes a project owned by corp with the given members (the
// first is the lead) and milestones due on the given dates, through
// projects.Store.InsertPlan, and returns its API path prefix.
func (st *stack) seedProject(id, corp string, partners []string, ms []member,
	milestones ...string) string {
	st.t.Helper()
	a := plan.Actor{User: ms[0].uid, At: st.clock.Now()}
	pr := plan.Project{ID: id, Name: "项目 " + id, Org: plan.Organization{Corp: corp,
		Name: corp}}
	for _, p := range partners {
		pr.Partners = append(pr.Partners, plan.Organization{Corp: p, Name: p})
	}
	lead := plan.Member{User: ms[0].uid, Corp: corpOf(ms[0].uid), Name: ms[0].name,
		Role: plan.RoleLead}
	p, _, err := plan.New(a, pr, lead)
	if err != nil {
		st.t.Fatal(err)
	}
	for _, m := range ms[1:] {
		if _, err := p.AddMember(a, plan.Member{User: m.uid, Corp: corpOf(m.uid),
			Name: m.name, Role: m.role}); err != nil {
			st.t.Fatal(err)
		}
	}
	for i, due := range milestones {
		d, _ := plan.ParseDate(due)
		if _, _, err := p.AddMilestone(a, plan.NewMilestone{Title: fmt.Sprintf("里程碑 %d",
			i+1), Due: d}); err != nil {
			st.t.Fatal(err)
		}
	}
	if err := st.store.InsertPlan(context.Background(), p, ms[0].uid, a.At); err != nil {
		st.t.Fatal(err)
	}
	return "/api/tasks/" + corp + "/" + id
}

func corpOf(uid string) string {
	corp, _, _ := strings.Cut(uid, ":")
	return corp
}

// uniProject is the university's project P1 with the supplier as partner:
// director leads; dev1, dev2 and acmePM are members, acmeDev a supplier,
// the president and clerk are not in it; one milestone due 2026-12-31.
func (st *stack) uniProject() string {
	return st.seedProject("P1", uni, []string{sup}, []member{
		{director, "李主任", plan.RoleLead}, {dev1, "陈工", plan.RoleMember},
		{dev2, "刘工", plan.RoleMember}, {acmePM, "Amy Lin", plan.RoleMember},
		{acmeDev, "Bo Wu", plan.RoleSupplier},
	}, "2026-12-31")
}

// supProject is the supplier's project P2 with the university as partner:
// acmePM leads; dev1 is a member, dev2 a viewer.
func (st *stack) supProject() string {
	return st.seedProject("P2", sup, []string{uni}, []member{
		{acmePM, "Amy Lin", plan.RoleLead}, {dev1, "陈工", plan.RoleMember},
		{dev2, "刘工", plan.RoleViewer},
	})
}

// createTask creates a task as uid and returns it.
func (st *stack) createTask(uid, prefix string, req CreateRequest) Task {
	st.t.Helper()
	var t Task
	st.must(http.StatusCreated, uid, "POST", prefix+"/tasks", req).decode(st.t, &t)
	return t
}

// outbox returns the notification rows of corp.
func (st *stack) outbox(corp string) []*tables.Row {
	st.t.Helper()
	rows, _, err := st.db.Page(context.Background(), tables.Outbox.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(corp)}})
	if err != nil {
		st.t.Fatal(err)
	}
	return rows
}
