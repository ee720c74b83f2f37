// Package dingtalk is a client of the DingTalk open platform for one internal
// app: access tokens, free-login identity, directory reads, work notices, group
// robots, DING, todo tasks and OA approvals.
//
// DingTalk has two API styles. The old one (oapi.dingtalk.com) takes the token in
// the query and reports errors as an errcode inside an HTTP 200; the new one
// (api.dingtalk.com/v1.0) takes the token in a header and reports errors as 4xx
// or 5xx JSON. The Client hides the difference: each failure is an *Error whose
// Kind is one of the Err* sentinels. Throttling and busy answers are retried
// with bounded backoff, an invalid token is dropped and fetched again once, and
// calls are paced by a per-app QPS limiter.
//
// Work notices go through a Budget first, which applies DingTalk's silent limits
// (500 notices per user per app per day; the same content to the same user once
// a day) before the call rather than after, so that nothing vanishes unseen.
package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Default endpoints and limits.
const (
	DefaultOAPIBase = "https://oapi.dingtalk.com"
	DefaultAPIBase  = "https://api.dingtalk.com"
	// DefaultQPS is the per-app pace: the standard edition allows about 20 calls
	// a second per app and API.
	DefaultQPS = 20
	// DefaultRetries bounds the retries of a throttled or busy call.
	DefaultRetries = 4
	// DefaultBackoff is the first retry delay; it doubles up to MaxBackoff.
	DefaultBackoff = time.Second
	// MaxBackoff caps a retry delay.
	MaxBackoff = 8 * time.Second
)

// App is one internal app of one organization. Several organizations served by
// one deployment each have their own App.
type App struct {
	CorpID    string `json:"corpId"`
	AppKey    string `json:"appKey"`
	AppSecret string `json:"appSecret"`
	AgentID   int64  `json:"agentId"`
	// CallbackToken, AESKey and OwnerKey configure event pushes (package
	// callback). OwnerKey empty means AppKey, right for console subscriptions.
	CallbackToken string `json:"callbackToken,omitempty"`
	AESKey        string `json:"aesKey,omitempty"`
	OwnerKey      string `json:"ownerKey,omitempty"`
	// Robots are the group robots this app posts to, by name.
	Robots map[string]Robot `json:"robots,omitempty"`
	// ApprovalProcesses names the process code of the organization's OA
	// approval template for each kind of object approved ("contract",
	// "project").
	ApprovalProcesses map[string]string `json:"approvalProcesses,omitempty"`
}

// Robot is a group custom robot with signing (加签) enabled.
type Robot struct {
	Token  string `json:"token"`  // the webhook's access_token value only
	Secret string `json:"secret"` // starts with SEC
}

// CallbackOwnerKey returns the owner key pushes carry for a.
func (a App) CallbackOwnerKey() string {
	if a.OwnerKey != "" {
		return a.OwnerKey
	}
	return a.AppKey
}

// ParseApps reads the DINGTALK_APPS JSON: an array of App objects.
func ParseApps(data []byte) ([]App, error) {
	var apps []App
	if err := json.Unmarshal(data, &apps); err != nil {
		return nil, fmt.Errorf("dingtalk: parse apps: %w", err)
	}
	for i, a := range apps {
		if a.CorpID == "" || a.AppKey == "" || a.AppSecret == "" {
			return nil, fmt.Errorf("dingtalk: parse apps: app %d: corpId, appKey and "+
				"appSecret are required", i)
		}
	}
	return apps, nil
}

// Endpoints are the two base URLs.
type Endpoints struct {
	OAPI string // old style, default DefaultOAPIBase
	API  string // new style, default DefaultAPIBase
}

// EndpointsFromEnv reads DINGTALK_OAPI_BASE and DINGTALK_API_BASE through
// getenv (os.Getenv in a main), defaulting each and checking that it is a URL.
func EndpointsFromEnv(getenv func(string) string) (Endpoints, error) {
	e := Endpoints{OAPI: getenv("DINGTALK_OAPI_BASE"), API: getenv("DINGTALK_API_BASE")}
	return e.withDefaults()
}

func (e Endpoints) withDefaults() (Endpoints, error) {
	if e.OAPI == "" {
		e.OAPI = DefaultOAPIBase
	}
	if e.API == "" {
		e.API = DefaultAPIBase
	}
	for _, s := range []string{e.OAPI, e.API} {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return e, fmt.Errorf("dingtalk: endpoint %q: not an http(s) URL", s)
		}
	}
	e.OAPI = strings.TrimRight(e.OAPI, "/")
	e.API = strings.TrimRight(e.API, "/")
	return e, nil
}

// Options tune a Client. The zero value is ready for production.
type Options struct {
	Endpoints Endpoints
	// HTTPClient makes the calls; nil means a client with a 15 s timeout.
	HTTPClient *http.Client
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done; nil means a timer. Tests pass a
	// recorder so that backoff costs no time.
	Sleep func(ctx context.Context, d time.Duration) error
	// QPS paces calls for this app; zero means DefaultQPS, negative no limit.
	QPS float64
	// Retries bounds retries of throttled or busy calls; zero means
	// DefaultRetries, negative none.
	Retries int
	// Backoff is the first retry delay; zero means DefaultBackoff.
	Backoff time.Duration
	// Budget applies the notice and robot limits; nil means a MemoryBudget
	// with its defaults.
	Budget Budget
}

// Client calls DingTalk for one App. It is safe for concurrent use; build one
// per app at start-up and share it.
type Client struct {
	app     App
	ends    Endpoints
	http    *http.Client
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	limiter *rate.Limiter
	retries int
	backoff time.Duration
	budget  Budget
	tokens  tokenCache
}

// New returns a Client for app.
func New(app App, opts Options) (*Client, error) {
	if app.AppKey == "" || app.AppSecret == "" {
		return nil, errors.New("dingtalk: new: appKey and appSecret are required")
	}
	ends, err := opts.Endpoints.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{app: app, ends: ends, http: opts.HTTPClient, now: opts.Now,
		sleep: opts.Sleep, retries: opts.Retries, backoff: opts.Backoff, budget: opts.Budget}
	if c.http == nil {
		c.http = &http.Client{Timeout: 15 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepTimer
	}
	c.limiter = newLimiter(opts.QPS)
	if c.retries == 0 {
		c.retries = DefaultRetries
	}
	if c.backoff == 0 {
		c.backoff = DefaultBackoff
	}
	if c.budget == nil {
		c.budget = NewMemoryBudget(BudgetConfig{})
	}
	return c, nil
}

func newLimiter(qps float64) *rate.Limiter {
	switch {
	case qps < 0:
		return rate.NewLimiter(rate.Inf, 1)
	case qps == 0:
		qps = DefaultQPS
	}
	return rate.NewLimiter(rate.Limit(qps), max(1, int(qps)))
}

// App returns the app the client calls for.
func (c *Client) App() App { return c.app }

func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
