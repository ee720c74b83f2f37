package contracts

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xietong/xietong/localdev/ossemu"
	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/blob/blobtest"
	"github.com/xietong/xietong/shared/httpapi/httpapitest"
	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// The organizations and people of the tests: the university owns project
// P1 and contracts with the supplier; the stranger's company is a partner
// in the project but no party to the contract.
const (
	uni      = "dinguni"
	supplier = "dingsupplier"
	stranger = "dingstranger"
	project  = "P1"
)

type person struct{ corp, user, orgRole, projectRole string }

var people = map[string]person{
	"lead":     {uni, "lead1", "staff", "lead"},
	"member":   {uni, "member1", "staff", "member"},
	"viewer":   {uni, "viewer1", "staff", "viewer"},
	"exec":     {uni, "exec1", "executive", ""},
	"outsider": {uni, "staff9", "staff", ""},
	"supplier": {supplier, "sup1", "staff", "supplier"},
	"stranger": {stranger, "str1", "staff", "member"},
}

// stack is the local cloud of one test: Tablestore and OSS emulators, the
// Service behind an httptest server, and the emulator's object events fed
// through runtime.Function.Dispatch to Service.HandleOSS.
type stack struct {
	t      testing.TB
	ots    *otstest.Env
	oss    *ossemutest.Env
	db     *tables.Store
	files  *blob.Store
	svc    *Service
	fn     runtime.Function
	api    *httptest.Server
	signer *session.Signer

	dispatch atomic.Bool // feed events to the handler
	mu       sync.Mutex
	payloads [][]byte // created-object events seen
	errs     []error  // handler errors
}

func newStack(t testing.TB, cfg Config) *stack {
	t.Helper()
	st := &stack{t: t, ots: otstest.Start(t)}
	st.dispatch.Store(true)
	st.oss = ossemutest.Start(t, ossemutest.WithConfig(func(c *ossemu.Config) {
		c.OnEvent = st.onEvent
	}))
	ctx := context.Background()
	if err := tables.Create(ctx, st.ots.Client, tables.All); err != nil {
		t.Fatal(err)
	}
	var err error
	if st.db, err = tables.New(st.ots.Client, tables.All); err != nil {
		t.Fatal(err)
	}
	st.files, err = blob.New(blob.Config{Endpoint: st.oss.Endpoint, Bucket: st.oss.Bucket,
		Region: st.oss.Region, AccessKeyID: st.oss.AccessKeyID,
		AccessKeySecret: st.oss.AccessKeySecret})
	if err != nil {
		t.Fatal(err)
	}
	if st.signer, err = session.New([]byte("contracts test key, 32 bytes long!")); err != nil {
		t.Fatal(err)
	}
	if st.svc, err = New(st.db, st.files, st.signer, cfg); err != nil {
		t.Fatal(err)
	}
	st.fn = runtime.Function{Name: "contracts", OSS: st.svc.HandleOSS,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	st.api = httptest.NewServer(st.svc.Handler())
	t.Cleanup(st.api.Close)
	st.seed()
	return st
}

// onEvent runs the OSS trigger synchronously, so that an upload's answer
// comes after its verification.
func (st *stack) onEvent(ev ossemu.Event) {
	if ev.EventName[:len("ObjectCreated")] != "ObjectCreated" {
		return
	}
	st.mu.Lock()
	st.payloads = append(st.payloads, ev.Payload)
	st.mu.Unlock()
	if !st.dispatch.Load() {
		return
	}
	if _, err := st.fn.Dispatch(context.Background(), ev.Payload); err != nil {
		st.mu.Lock()
		st.errs = append(st.errs, err)
		st.mu.Unlock()
	}
}

func (st *stack) handlerErrors() []error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]error(nil), st.errs...)
}

func (st *stack) lastPayload() []byte {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.payloads[len(st.payloads)-1]
}

// seed writes the project, its members and the executive's directory row.
func (st *stack) seed() {
	tid := tables.TenantKey(uni)
	st.create(tables.Project.Name, tables.Key{tid, project}, tables.Cols{"name": "Campus ERP"})
	st.create(tables.Milestone.Name, tables.Key{tid, project, "M1"}, tables.Cols{"title": "UAT"})
	for _, p := range people {
		uid := p.corp + ":" + p.user
		if p.projectRole != "" {
			st.create(tables.Member.Name, tables.Key{tid, project, uid}, tables.Cols{
				"role": p.projectRole, "status": "active", "uidh": tables.SaltedKey(uid)})
		}
		st.create(tables.User.Name, tables.Key{tables.TenantKey(p.corp), p.user},
			tables.Cols{"org_role": p.orgRole, "status": "active", "data": "{}"})
	}

}

func (st *stack) create(table string, key tables.Key, cols tables.Cols) {
	st.t.Helper()
	if _, err := st.db.Create(context.Background(), table, key, cols); err != nil {
		st.t.Fatalf("seed %s: %v", table, err)
	}
}

func (st *stack) token(who string) string {
	st.t.Helper()
	p, ok := people[who]
	if !ok {
		st.t.Fatalf("no person %q", who)
	}
	tok, _, err := st.signer.Issue(p.corp, p.user)
	if err != nil {
		st.t.Fatal(err)
	}
	return tok
}

// reply is an API answer.
type reply struct {
	Status int
	Body   []byte
}

func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// code returns the error code of an error answer.
func (r reply) code() string {
	var e runtime.ErrorBody
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// call sends a request as who ("" for no session); body is JSON-encoded
// unless it is a string.
func (st *stack) call(who, method, path string, body any) reply {
	st.t.Helper()
	token := ""
	if who != "" {
		token = st.token(who)
	}
	resp, raw := httpapitest.Do(st.t, nil,
		httpapitest.Request(st.t, method, st.api.URL+path, body, token))
	return reply{resp.StatusCode, raw}
}

// mustCall is call that fails the test unless the status is want.
func (st *stack) mustCall(want int, who, method, path string, body any, out any) {
	st.t.Helper()
	r := st.call(who, method, path, body)
	if r.Status != want {
		st.t.Fatalf("%s %s as %s = %d %s, want %d", method, path, who, r.Status, r.Body, want)
	}
	if out != nil {
		r.decode(st.t, out)
	}
}

func (st *stack) newContract(who string) *Contract {
	st.t.Helper()
	var c Contract
	st.mustCall(201, who, "POST", "/api/contracts/"+uni, CreateRequest{ProjectID: project,
		Title: "ERP delivery", Parties: []Party{{uni, "University"}, {supplier, "Supplier Ltd"}},
		AmountFen: 12_345_600, Currency: "CNY", MilestoneIDs: []string{"M1"}}, &c)
	return &c
}

func (st *stack) grant(who string, c *Contract, filename, ct string) GrantResponse {
	st.t.Helper()
	var g GrantResponse
	st.mustCall(201, who, "POST", "/api/contracts/"+uni+"/"+c.ID+"/uploads",
		UploadRequest{Filename: filename, ContentType: ct}, &g)
	return g
}

func (st *stack) post(g GrantResponse, body []byte, ct string, fields map[string]string) error {
	st.t.Helper()
	_, err := blobtest.Post(context.Background(), g.Grant, blobtest.Upload{
		Filename: g.Upload.Filename, ContentType: ct, Body: bytes.NewReader(body), Fields: fields})
	return err
}

func (st *stack) versions(who string, c *Contract) []*Version {
	st.t.Helper()
	var out struct{ Versions []*Version }
	st.mustCall(200, who, "GET", "/api/contracts/"+uni+"/"+c.ID+"/versions", nil, &out)
	return out.Versions
}

func (st *stack) upload(c *Contract, id string) *Upload {
	st.t.Helper()
	var u Upload
	st.mustCall(200, "lead", "GET", "/api/contracts/"+uni+"/"+c.ID+"/uploads/"+id, nil, &u)
	return &u
}

// ledgerRequests counts the ledger record requests queued for c.
func (st *stack) ledgerRequests(c *Contract) int {
	st.t.Helper()
	n := 0
	for row, err := range st.db.Scan(context.Background(), tables.Outbox.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(uni)}}) {
		if err != nil {
			st.t.Fatal(err)
		}
		if row.String("kind") == ledgerreq.Kind && bytes.Contains([]byte(row.String("payload")),
			[]byte(c.ID)) {
			n++
		}
	}
	return n
}

// exists reports whether key is in the bucket.
func (st *stack) exists(key string) bool {
	st.t.Helper()
	_, err := st.files.Head(context.Background(), key)
	return err == nil
}

// js renders v as JSON for failure messages.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

// callWith is call with an Idempotency-Key.
func (st *stack) callWith(who, method, path string, body any, key string) reply {
	st.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, st.api.URL+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+st.token(who))
	req.Header.Set("Idempotency-Key", key)
	return st.send(req)
}

// callToken sends a bodiless request with a given session token.
func (st *stack) callToken(tok, method, path string) reply {
	st.t.Helper()
	req, _ := http.NewRequest(method, st.api.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return st.send(req)
}

func (st *stack) send(req *http.Request) reply {
	st.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, raw}
}

func tenantKey(corp string) string { return tables.TenantKey(corp) }
