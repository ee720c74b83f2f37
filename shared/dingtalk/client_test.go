package dingtalk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
)

// clock is a settable time source shared by the fake and the client.
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
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sleeper records backoff waits and moves the clock instead of waiting.
type sleeper struct {
	clock *clock
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	s.clock.Advance(d)
	return ctx.Err()
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

type env struct {
	fake    *dingfake.Fake
	srv     *httptest.Server
	client  *dingtalk.Client
	clock   *clock
	sleeper *sleeper
}

var univApp = dingtalk.App{CorpID: dingfake.UniversityCorp, AppKey: "dinguniv-xietong",
	AppSecret: "univ-secret-0001", AgentID: 3100001}

// start serves a seeded fake on 127.0.0.1 and a client for the university app.
func start(t *testing.T, fcfg dingfake.Config, opts dingtalk.Options) *env {
	t.Helper()
	e := &env{clock: &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}}
	e.sleeper = &sleeper{clock: e.clock}
	fcfg.Now = e.clock.Now
	if fcfg.Orgs == nil {
		fcfg.Orgs = dingfake.DefaultSeed()
	}
	e.fake = dingfake.New(fcfg)
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	opts.Endpoints = dingtalk.Endpoints{OAPI: e.srv.URL, API: e.srv.URL}
	opts.Now, opts.Sleep = e.clock.Now, e.sleeper.Sleep
	if opts.QPS == 0 {
		opts.QPS = -1
	}
	c, err := dingtalk.New(univApp, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

const tokenPath = "/v1.0/oauth2/accessToken"

func TestTokenSharedByConcurrentCallers(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	gate := make(chan struct{})
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			_, err := e.client.User(ctx, "u-dev-1")
			errs <- err
		}()
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("User: %v", err)
		}
	}
	if n := e.fake.Calls(tokenPath); n != 1 {
		t.Errorf("token fetched %d times by 50 callers, want 1", n)
	}
	if n := e.fake.Calls("/topapi/v2/user/get"); n != 50 {
		t.Errorf("user/get called %d times, want 50", n)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	first, err := e.client.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(100 * time.Minute) // 6,000 s: not yet within 10 minutes of expiry
	if tok, _ := e.client.Token(ctx); tok != first || e.fake.Calls(tokenPath) != 1 {
		t.Errorf("at 6,000 s: token %q after %d fetches, want the cached %q after 1",
			tok, e.fake.Calls(tokenPath), first)
	}
	e.clock.Advance(11 * time.Minute) // 6,660 s: within 10 minutes of 7,200
	if _, err := e.client.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Calls(tokenPath); n != 2 {
		t.Errorf("at 6,660 s: %d fetches, want 2 (refresh before expiry)", n)
	}
	e.clock.Advance(3 * time.Hour) // past every expiry
	if _, err := e.client.User(ctx, "u-dev-1"); err != nil {
		t.Fatalf("User after expiry: %v", err)
	}
	if n := e.fake.TokensIssued(univApp.AppKey); n != 2 {
		t.Errorf("fake issued %d tokens, want 2", n)
	}
}

func TestInvalidTokenDroppedAndRefetched(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	if _, err := e.client.User(ctx, "u-dev-1"); err != nil {
		t.Fatal(err)
	}
	e.fake.RevokeTokens()
	if _, err := e.client.User(ctx, "u-dev-1"); err != nil {
		t.Fatalf("User after revoke (old style): %v", err)
	}
	e.fake.RevokeTokens()
	if _, err := e.client.Approval(ctx, "proc-none"); !errors.Is(err, dingtalk.ErrNotFound) {
		t.Fatalf("Approval after revoke (new style) = %v, want ErrNotFound", err)
	}
	if n := e.fake.Calls(tokenPath); n != 3 {
		t.Errorf("%d token fetches, want 3", n)
	}
}

func TestBadCredentials(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	app := univApp
	app.AppSecret = "wrong"
	c, err := dingtalk.New(app, dingtalk.Options{Endpoints: dingtalk.Endpoints{
		OAPI: e.srv.URL, API: e.srv.URL}, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Token(context.Background())
	var de *dingtalk.Error
	if !errors.Is(err, dingtalk.ErrToken) || !errors.As(err, &de) ||
		de.Code != "invalidClientIdOrSecret" {
		t.Errorf("Token with a wrong secret = %v, want ErrToken invalidClientIdOrSecret", err)
	}
}

func mintHTTP(t *testing.T, base, corp, user string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"corpId": corp, "userId": user})
	resp, err := http.Post(base+"/_fake/authcode", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Code string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Code == "" {
		t.Fatalf("mint: status %d, %v", resp.StatusCode, err)
	}
	return out.Code
}

func TestAuthCode(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	code := mintHTTP(t, e.srv.URL, dingfake.UniversityCorp, "u-president")
	id, err := e.client.UserByAuthCode(ctx, code)
	if err != nil || id.UserID != "u-president" || id.UnionID != "un-president" ||
		id.SysLevel != 100 {
		t.Fatalf("UserByAuthCode = %+v, %v; want u-president, boss", id, err)
	}
	reuse := func(name, code string) {
		t.Helper()
		_, err := e.client.UserByAuthCode(ctx, code)
		var de *dingtalk.Error
		if !errors.Is(err, dingtalk.ErrInvalid) || !errors.As(err, &de) || de.Errcode != 40078 {
			t.Errorf("%s: UserByAuthCode = %v, want ErrInvalid errcode 40078", name, err)
		}
	}
	reuse("reused code", code)
	late := mintHTTP(t, e.srv.URL, dingfake.UniversityCorp, "u-dev-1")
	e.clock.Advance(6 * time.Minute)
	reuse("expired code", late)
	reuse("other corp's code", mintHTTP(t, e.srv.URL, dingfake.SupplierCorp, "a-pm"))
}

func TestDirectoryReads(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	exec, err := e.client.User(ctx, "u-president")
	if err != nil || !exec.HideMobile || !exec.Senior || !exec.Boss {
		t.Errorf("User(u-president) = %+v, %v; want hide_mobile, senior, boss", exec, err)
	}
	if _, err := e.client.User(ctx, "nobody"); !errors.Is(err, dingtalk.ErrNotFound) {
		t.Errorf("User(nobody) = %v, want ErrNotFound", err)
	}
	subs, err := e.client.SubDepartments(ctx, 3)
	if err != nil || len(subs) != 2 || subs[0].ID != 4 || subs[1].ParentID != 3 {
		t.Errorf("SubDepartments(3) = %+v, %v; want depts 4 and 5", subs, err)
	}
	d, err := e.client.Department(ctx, 5)
	if err != nil || len(d.ManagerUserIDs) != 1 || d.ManagerUserIDs[0] != "u-apps-lead" {
		t.Errorf("Department(5) = %+v, %v; want manager u-apps-lead", d, err)
	}
	page, err := e.client.UsersPage(ctx, 5, 0, 1)
	if err != nil || len(page.Users) != 1 || !page.HasMore || page.NextCursor != 1 {
		t.Errorf("UsersPage(5, 0, 1) = %+v, %v; want one user and more", page, err)
	}
	all, err := e.client.DepartmentUsers(ctx, 5)
	if err != nil || len(all) != 3 {
		t.Errorf("DepartmentUsers(5) = %d users, %v; want 3", len(all), err)
	}
	ext, err := e.client.ExternalContacts(ctx, 0, 100)
	if err != nil || len(ext) != 2 || ext[0].CompanyName == "" {
		t.Errorf("ExternalContacts = %+v, %v; want 2 supplier contacts", ext, err)
	}
	if _, err := e.client.SubDepartments(ctx, 999); !errors.Is(err, dingtalk.ErrNotFound) {
		t.Errorf("SubDepartments(999) = %v, want ErrNotFound", err)
	}
}
