// Package dingfake is a fake of the DingTalk open platform for localdev and
// tests: the old (oapi) and new (api) routes the project calls, seeded
// organizations, expiring tokens, free-login codes a test or browser mints, an
// inbox of everything sent, DingTalk's silent limits, fault injection, and a
// pusher of encrypted callback events that retries as DingTalk does.
//
// One Fake serves both API styles on one listener: point DINGTALK_OAPI_BASE and
// DINGTALK_API_BASE at the same URL. Routes under /_fake/ are the fake's own:
//
//	POST /_fake/authcode {"corpId","userId"} → {"code","expiresAt"}
//	GET  /_fake/inbox?userId=&corpId=&kind= → {"entries":[...]}
//	POST /_fake/fault {"path","count","errcode"} or {"path","count","status","code"}
//	POST /_fake/approval {"instanceId","result":"agree|refuse|terminate"}
package dingfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fake is a DingTalk stand-in. It is an http.Handler and safe for concurrent use.
type Fake struct {
	cfg Config
	mux *http.ServeMux

	mu        sync.Mutex
	orgs      map[string]*Org     // by corp id
	apps      map[string]appRef   // by app key
	tokens    map[string]tokenRec // by token
	current   map[string]string   // app key → its live token
	issued    map[string]int      // app key → tokens issued
	codes     map[string]codeRec
	inbox     []Entry
	counts    map[[3]string]int  // {app, user, day} → notices
	hashes    map[[4]string]bool // {app, user, day, hash}
	robotLog  map[string][]time.Time
	robotMute map[string]time.Time
	faults    []*fault
	calls     map[string]int
	approvals map[string]*approval
	todos     map[string]bool // {corp}/{sourceId}
	failed    map[string][]json.RawMessage
	seq       int
	chats     chatBook     // group chats the apps created (chat.go)
	cals      calendarBook // calendar events (calendar.go)
}

type appRef struct {
	org *Org
	app App
}

type tokenRec struct {
	appKey string
	expiry time.Time
}

type codeRec struct {
	corpID, userID string
	expiry         time.Time
}

var _ http.Handler = (*Fake)(nil)

// New returns a Fake serving cfg.Orgs.
func New(cfg Config) *Fake {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 7200 * time.Second
	}
	if cfg.AuthCodeTTL == 0 {
		cfg.AuthCodeTTL = 5 * time.Minute
	}
	if cfg.NoticeLimit == 0 {
		cfg.NoticeLimit = 500
	}
	if cfg.RobotPerMinute == 0 {
		cfg.RobotPerMinute = 20
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{10 * time.Second, 30 * time.Second}
	}
	if cfg.ReplyTimeout == 0 {
		cfg.ReplyTimeout = 1500 * time.Millisecond
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	f := &Fake{cfg: cfg, orgs: map[string]*Org{}, apps: map[string]appRef{},
		tokens: map[string]tokenRec{}, current: map[string]string{}, issued: map[string]int{},
		codes: map[string]codeRec{}, counts: map[[3]string]int{}, hashes: map[[4]string]bool{},
		robotLog: map[string][]time.Time{}, robotMute: map[string]time.Time{},
		calls: map[string]int{}, approvals: map[string]*approval{}, todos: map[string]bool{},
		failed: map[string][]json.RawMessage{}}
	cfg.Orgs = cloneOrgs(cfg.Orgs)
	for i := range cfg.Orgs {
		o := &cfg.Orgs[i]
		f.orgs[o.CorpID] = o
		for _, a := range o.Apps {
			f.apps[a.AppKey] = appRef{org: o, app: a}
		}
	}
	f.routes()
	return f
}

// cloneOrgs copies the slices the fake mutates, leaving the caller's seed alone.
func cloneOrgs(in []Org) []Org {
	out := slices.Clone(in)
	for i := range out {
		out[i].Users = slices.Clone(out[i].Users)
		out[i].Depts = slices.Clone(out[i].Depts)
	}
	return out
}

func (f *Fake) routes() {
	m := http.NewServeMux()
	f.mux = m
	m.HandleFunc("GET /gettoken", f.oapiGetToken)
	m.HandleFunc("POST /v1.0/oauth2/accessToken", f.apiAccessToken)
	f.oapi("POST /topapi/v2/user/getuserinfo", f.userInfo)
	f.oapi("POST /topapi/v2/user/get", f.userGet)
	f.oapi("POST /topapi/v2/user/list", f.userList)
	f.oapi("POST /topapi/user/listid", f.userListID)
	f.oapi("POST /topapi/v2/department/listsub", f.deptListSub)
	f.oapi("POST /topapi/v2/department/listsubid", f.deptListSubID)
	f.oapi("POST /topapi/v2/department/get", f.deptGet)
	f.oapi("POST /topapi/extcontact/list", f.extList)
	f.oapi("POST /topapi/message/corpconversation/asyncsend_v2", f.noticeSend)
	f.oapi("GET /call_back/get_call_back_failed_result", f.failedResult)
	f.chatRoutes()
	f.calendarRoutes()
	m.HandleFunc("POST /robot/send", f.guard(f.robotSend))
	f.api("POST /v1.0/robot/ding/send", f.dingSend)
	f.api("POST /v1.0/todo/users/{unionId}/tasks", f.todoCreate)
	f.api("POST /v1.0/workflow/processInstances", f.approvalCreate)
	f.api("GET /v1.0/workflow/processInstances", f.approvalGet)
	m.HandleFunc("POST /_fake/authcode", f.mintCodeHTTP)
	m.HandleFunc("GET /_fake/inbox", f.inboxHTTP)
	m.HandleFunc("POST /_fake/fault", f.faultHTTP)
	m.HandleFunc("POST /_fake/approval", f.resolveHTTP)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

// Calls returns how many requests reached path, such as "/v1.0/oauth2/accessToken".
func (f *Fake) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// TokensIssued returns how many distinct tokens appKey has been given.
func (f *Fake) TokensIssued(appKey string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued[appKey]
}

// RevokeTokens invalidates every live token, as a secret rotation would.
func (f *Fake) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]tokenRec{}
	f.current = map[string]string{}
}

func randomID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oapiOK writes an old-style success with extra fields merged in.
func oapiOK(w http.ResponseWriter, fields map[string]any) {
	out := map[string]any{"errcode": 0, "errmsg": "ok", "request_id": randomID("", 6)}
	for k, v := range fields {
		out[k] = v
	}
	writeJSON(w, http.StatusOK, out)
}

// oapiErr writes an old-style error: HTTP 200 with an errcode.
func oapiErr(w http.ResponseWriter, errcode int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": errcode, "errmsg": msg,
		"request_id": randomID("", 6)})
}

// apiErr writes a new-style error.
func apiErr(w http.ResponseWriter, status int, code, msg string) {
	id := strings.ToUpper(randomID("", 8))
	w.Header().Set("x-acs-request-id", id)
	writeJSON(w, status, map[string]string{"code": code, "message": msg, "requestid": id})
}
