package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/tables"
)

const (
	univ      = dingfake.UniversityCorp
	noticeAPI = "/topapi/message/corpconversation/asyncsend_v2"
)

// univUsers are seeded users of the university.
var univUsers = []string{"u-president", "u-it-director", "u-infra-lead", "u-apps-lead",
	"u-dev-1", "u-dev-2", "u-finance-head", "u-accountant"}

// clock is a settable clock shared by the drainers and the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// ToNextDay moves the clock to the start of the next DingTalk day (UTC+8)
// and returns the day it left.
func (c *clock) ToNextDay() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	cst := time.FixedZone("CST", 8*3600)
	day := c.t.In(cst)
	c.t = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, cst)
	return day.Format(time.DateOnly)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// stack is an emulator, a DingTalk fake over HTTP and a shared clock.
type stack struct {
	t     testing.TB
	ctx   context.Context
	env   *otstest.Env
	store *tables.Store
	fake  *dingfake.Fake
	url   string
	clock *clock
	apps  []dingtalk.App
	// resent counts requests the SDK sent again, on every store's client.
	resent atomic.Int64
}

func newStack(t testing.TB, fcfg dingfake.Config) *stack {
	t.Helper()
	s := &stack{t: t, ctx: context.Background(), env: otstest.Start(t),
		// The clock starts at the real time: the dingtalk client compares it
		// with context deadlines.
		clock: &clock{t: time.Now()}}
	schema := tables.All
	if err := tables.Create(s.ctx, s.env.Client, schema); err != nil {
		t.Fatalf("create tables: %v", err)
	}
	s.store = s.newStore()
	fcfg.Orgs, fcfg.Now = dingfake.DefaultSeed(), s.clock.Now
	s.fake = dingfake.New(fcfg)
	srv := httptest.NewServer(s.fake)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	for _, o := range dingfake.DefaultSeed() {
		a := o.Apps[0]
		app := dingtalk.App{CorpID: o.CorpID, AppKey: a.AppKey, AppSecret: a.AppSecret,
			AgentID: a.AgentID, Robots: map[string]dingtalk.Robot{}}
		for _, r := range o.Robots {
			app.Robots[r.Name] = dingtalk.Robot{Token: r.Token, Secret: r.Secret}
		}
		s.apps = append(s.apps, app)
	}
	return s
}

// newStore returns a Store over its own SDK client, as another instance has.
func (s *stack) newStore() *tables.Store {
	s.t.Helper()
	c := s.env.NewClient()
	c.SetRetryNotify(func(string, string, error, string, time.Duration) { s.resent.Add(1) })
	st, err := tables.New(c, tables.All)
	if err != nil {
		s.t.Fatal(err)
	}
	return st
}

// drainer returns a drainer with its own store and DingTalk clients; edit
// adjusts its config.
func (s *stack) drainer(id string, edit func(*outbox.Config)) *outbox.Drainer {
	s.t.Helper()
	cfg := outbox.Config{Store: s.newStore(), Apps: s.apps, Now: s.clock.Now, ID: id,
		Options: dingtalk.Options{Endpoints: dingtalk.Endpoints{OAPI: s.url, API: s.url},
			QPS: -1, Retries: 1,
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}}
	if edit != nil {
		edit(&cfg)
	}
	d, err := outbox.NewDrainer(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

func (s *stack) enqueue(m outbox.Message) string {
	s.t.Helper()
	id, err := outbox.Enqueue(s.ctx, s.store, m)
	if err != nil {
		s.t.Fatalf("Enqueue(%q) = %v", m.DedupeKey, err)
	}
	return id
}

// text is a text notice to user whose body is unique to n.
func text(user string, n int) outbox.Message {
	return outbox.Message{Corp: univ, Users: []string{user}, Kind: outbox.KindText,
		Title: fmt.Sprintf("任务 T-%d 已分配", n), Body: fmt.Sprintf("msg-%04d", n),
		Link:      "https://xietong.example/app/#/tasks/T-" + fmt.Sprint(n),
		DedupeKey: fmt.Sprintf("task-assigned/T-%d", n)}
}

// inbox reads the fake's inbox over HTTP.
func (s *stack) inbox(kind string) []dingfake.Entry {
	s.t.Helper()
	resp, err := http.Get(s.url + "/_fake/inbox?corpId=" + univ + "&kind=" + kind)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Entries []dingfake.Entry `json:"entries"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		s.t.Fatal(err)
	}
	return out.Entries
}

// noticeText returns the text of a notice entry (text, markdown or card).
func noticeText(e dingfake.Entry) string {
	var m dingtalk.Message
	_ = json.Unmarshal(e.Content, &m)
	switch {
	case m.Text != nil:
		return m.Text.Content
	case m.Markdown != nil:
		return m.Markdown.Title + "\n" + m.Markdown.Text
	case m.ActionCard != nil:
		return m.ActionCard.Title + "\n" + m.ActionCard.Markdown
	}
	return string(e.Content)
}

// delivered counts the notices that reached each user with each body
// ("user msg-0001" → n), and the entries the fake dropped.
func (s *stack) delivered() (map[string]int, []dingfake.Entry) {
	got := map[string]int{}
	var dropped []dingfake.Entry
	for _, e := range s.inbox(dingfake.KindNotice) {
		if e.Dropped {
			dropped = append(dropped, e)
			continue
		}
		got[e.UserID+" "+bodyRE.FindString(noticeText(e))]++
	}
	return got, dropped
}

var bodyRE = regexp.MustCompile(`msg-[0-9]{4}`)

// checkOnce fails unless every message in want reached its user exactly
// once and the fake dropped nothing (a drop is a second send).
func (s *stack) checkOnce(want []outbox.Message) {
	s.t.Helper()
	got, dropped := s.delivered()
	for _, m := range want {
		k := m.Users[0] + " " + m.Body
		if got[k] != 1 {
			s.t.Errorf("%s delivered %d times, want 1", k, got[k])
		}
	}
	if len(got) != len(want) {
		s.t.Errorf("%d distinct notices delivered, want %d", len(got), len(want))
	}
	for _, e := range dropped {
		s.t.Errorf("fake dropped a notice to %s (%s): sent twice or over its limit",
			e.UserID, e.Reason)
	}
}

// rows returns the notification rows of corp by msg_id.
func (s *stack) rows(corp string) map[string]*tables.Row {
	s.t.Helper()
	tid := tables.TenantKey(corp)
	out := map[string]*tables.Row{}
	for r, err := range s.store.Scan(s.ctx, tables.Outbox.Name, tables.Range{
		Start: tables.Key{tid, "n/"}, End: tables.Key{tid, "n0"}}) {
		if err != nil {
			s.t.Fatal(err)
		}
		out[r.Key[1].(string)] = r
	}
	return out
}

// states counts rows by state.
func (s *stack) states(corp string) map[string]int {
	out := map[string]int{}
	for _, r := range s.rows(corp) {
		out[r.String("state")]++
	}
	return out
}

// drainUntilSettled drains with ds, advancing the clock by step after each
// round, until no row of univ is open, at most rounds times.
func (s *stack) drainUntilSettled(rounds int, step time.Duration, ds ...*outbox.Drainer) {
	s.t.Helper()
	for i := 0; i < rounds; i++ {
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Go(func() {
				if rep, err := d.Drain(s.ctx); err != nil {
					s.t.Logf("round %d: Drain = %+v, %v", i, rep, err)
				}
			})
		}
		wg.Wait()
		st := s.states(univ)
		if st[outbox.StatePending]+st[outbox.StateSending]+st[outbox.StateFailed] == 0 {
			return
		}
		s.clock.Advance(step)
	}
	for _, r := range s.rows(univ) {
		s.t.Logf("%v %s %s", r.Key[1], r.String("state"), r.String("reason"))
	}
	s.t.Fatalf("rows still open after %d rounds: %v", rounds, s.states(univ))
}
