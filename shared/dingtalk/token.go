package dingtalk

import (
	"context"
	"net/http"
	"sync"
	"time"
)

const (
	// tokenLifetime is what DingTalk documents, used when expireIn is missing.
	tokenLifetime = 7200 * time.Second
	// tokenMargin is how long before expiry a cached token is replaced.
	tokenMargin = 10 * time.Minute
	// tokenFetchTimeout bounds one fetch shared by many waiters.
	tokenFetchTimeout = 15 * time.Second
)

// tokenCache holds one app's access token and lets one fetch run at a time;
// callers that arrive while it runs wait for its result.
//
// TODO(#5): the cache is per process; instances could share it through a
// table (DingTalk returns the same token within its lifetime anyway).
type tokenCache struct {
	mu     sync.Mutex
	token  string
	expiry time.Time // when to stop using token
	flight *tokenFlight
}

type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

// Token returns the app's access token, from the cache while it is fresh.
// Concurrent callers share one fetch.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.tokens.mu.Lock()
	if c.tokens.token != "" && c.now().Before(c.tokens.expiry) {
		tok := c.tokens.token
		c.tokens.mu.Unlock()
		return tok, nil
	}
	f := c.tokens.flight
	if f == nil {
		f = &tokenFlight{done: make(chan struct{})}
		c.tokens.flight = f
		go c.fetchToken(withWait(context.WithoutCancel(ctx)), f)
	}
	c.tokens.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// fetchToken runs one fetch on behalf of every waiter on f.
func (c *Client) fetchToken(ctx context.Context, f *tokenFlight) {
	ctx, cancel := context.WithTimeout(ctx, tokenFetchTimeout)
	defer cancel()
	var resp struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
	}
	body := map[string]string{"appKey": c.app.AppKey, "appSecret": c.app.AppSecret}
	err := c.do(ctx, call{op: "token", style: apiStyle, method: http.MethodPost,
		path: "/v1.0/oauth2/accessToken", body: body, noToken: true}.idempotent(), &resp)
	if err == nil && resp.AccessToken == "" {
		err = &Error{Op: "token", Message: "empty accessToken", Kind: ErrToken}
	}
	if e, ok := err.(*Error); ok && e.Kind != ErrThrottled && e.Kind != ErrUnavailable {
		e.Kind = ErrToken
	}
	life := time.Duration(resp.ExpireIn) * time.Second
	if life <= 0 {
		life = tokenLifetime
	}
	// Refresh tokenMargin early, but never sooner than half the lifetime, so a
	// short expireIn cannot make every call fetch again.
	life = max(life-tokenMargin, life/2)

	c.tokens.mu.Lock()
	if err == nil {
		c.tokens.token, c.tokens.expiry = resp.AccessToken, c.now().Add(life)
	}
	c.tokens.flight = nil
	c.tokens.mu.Unlock()
	f.token, f.err = resp.AccessToken, err
	close(f.done)
}

// dropToken forgets tok if it is still the cached one, after DingTalk said it is
// invalid; a newer token fetched meanwhile is kept.
func (c *Client) dropToken(tok string) {
	c.tokens.mu.Lock()
	if c.tokens.token == tok {
		c.tokens.token = ""
	}
	c.tokens.mu.Unlock()
}
