// Package session issues and checks the micro-app's short-lived sessions: a
// token bound to one DingTalk organization (corp) and one user, signed with
// HMAC-SHA256 under XT_SESSION_KEY, that expires and can be refreshed for a
// bounded time after sign-in.
//
// A token reads "v1.<payload>.<mac>", both parts base64url without padding;
// the payload is JSON and carries no secret. Tokens travel as
// "Authorization: Bearer <token>". The projects function issues them at
// sign-in (POST /api/auth/login), after exchanging a DingTalk free-login code.
package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// EnvKey names the environment variable that holds the signing key.
const EnvKey = "XT_SESSION_KEY"

// Defaults of a Signer.
const (
	DefaultTTL      = 2 * time.Hour    // how long a token is valid
	DefaultGrace    = 15 * time.Minute // how long after expiry a token may still be refreshed
	DefaultLifetime = 12 * time.Hour   // how long after sign-in refreshing stops
	minKeyLen       = 32
	version         = "v1"
)

// Errors returned by Verify and Refresh; test them with errors.Is.
var (
	// ErrInvalid means the token is malformed or its signature is wrong.
	ErrInvalid = errors.New("invalid session token")
	// ErrExpired means the token was genuine but is no longer valid (or,
	// for Refresh, can no longer be refreshed).
	ErrExpired = errors.New("session expired")
	// ErrMissing means the request carried no bearer token.
	ErrMissing = errors.New("no session token")
)

// Claims is what a token asserts.
type Claims struct {
	Corp string `json:"c"` // the DingTalk organization the user signed in to
	User string `json:"u"` // the user's id in that organization
	// SignedIn is when the user signed in; refreshes keep it.
	SignedIn time.Time `json:"-"`
	// Expires is when this token stops being valid.
	Expires time.Time `json:"-"`
}

// UID returns the user's cross-organization identity, "corp:userid".
func (c Claims) UID() string { return c.Corp + ":" + c.User }

type wireClaims struct {
	Corp     string `json:"c"`
	User     string `json:"u"`
	SignedIn int64  `json:"auth"`
	Expires  int64  `json:"exp"`
}

// Signer issues and verifies tokens under one key. It is safe for
// concurrent use.
type Signer struct {
	key      []byte
	ttl      time.Duration
	grace    time.Duration
	lifetime time.Duration
	now      func() time.Time
}

// Option configures a Signer.
type Option func(*Signer)

// WithTTL sets how long a token is valid (default DefaultTTL).
func WithTTL(d time.Duration) Option { return func(s *Signer) { s.ttl = d } }

// WithRefresh sets how long after expiry a token may still be refreshed and
// how long after sign-in refreshing stops (defaults DefaultGrace and
// DefaultLifetime).
func WithRefresh(grace, lifetime time.Duration) Option {
	return func(s *Signer) { s.grace, s.lifetime = grace, lifetime }
}

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Signer) { s.now = now } }

// ParseKey decodes an XT_SESSION_KEY value: standard base64 of at least 32
// bytes (as localdev generates), or else a raw string of at least 32 bytes.
func ParseKey(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) >= minKeyLen {
		return b, nil
	}
	if len(s) >= minKeyLen {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("session: key %s: want base64 of >= %d bytes or >= %d characters",
		EnvKey, minKeyLen, minKeyLen)
}

// New returns a Signer for key, which must be at least 32 bytes.
func New(key []byte, opts ...Option) (*Signer, error) {
	if len(key) < minKeyLen {
		return nil, fmt.Errorf("session: new: key of %d bytes, want >= %d", len(key), minKeyLen)
	}
	s := &Signer{key: append([]byte(nil), key...), ttl: DefaultTTL, grace: DefaultGrace,
		lifetime: DefaultLifetime, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.ttl <= 0 || s.grace < 0 || s.lifetime < s.ttl {
		return nil, fmt.Errorf("session: new: ttl %v, grace %v, lifetime %v: want ttl > 0, "+
			"grace >= 0, lifetime >= ttl", s.ttl, s.grace, s.lifetime)
	}
	return s, nil
}

// Issue signs a fresh session for user of corp, starting now.
func (s *Signer) Issue(corp, user string) (string, Claims, error) {
	if corp == "" || user == "" || strings.Contains(corp, ":") {
		return "", Claims{}, fmt.Errorf("session: issue %q/%q: %w: corp and user required, "+
			"corp without ':'", corp, user, ErrInvalid)
	}
	now := s.now()
	return s.sign(Claims{Corp: corp, User: user, SignedIn: now, Expires: now.Add(s.ttl)})
}

func (s *Signer) sign(c Claims) (string, Claims, error) {
	c.SignedIn, c.Expires = c.SignedIn.Truncate(time.Second), c.Expires.Truncate(time.Second)
	payload, err := json.Marshal(wireClaims{Corp: c.Corp, User: c.User,
		SignedIn: c.SignedIn.Unix(), Expires: c.Expires.Unix()})
	if err != nil {
		return "", Claims{}, fmt.Errorf("session: issue %q: %w", c.UID(), err)
	}
	body := version + "." + base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), c, nil
}

func (s *Signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Verify checks token's signature and expiry and returns its claims.
func (s *Signer) Verify(token string) (Claims, error) {
	c, err := s.parse(token)
	if err != nil {
		return Claims{}, err
	}
	if !s.now().Before(c.Expires) {
		return Claims{}, fmt.Errorf("session: verify %q: %w at %s", c.UID(), ErrExpired,
			c.Expires.UTC().Format(time.RFC3339))
	}
	return c, nil
}

// Refresh exchanges a genuine token that is still valid, or expired less
// than the grace period ago, for a new one with a fresh expiry and the same
// sign-in time. Past the lifetime since sign-in it is ErrExpired: the user
// signs in again.
func (s *Signer) Refresh(token string) (string, Claims, error) {
	c, err := s.parse(token)
	if err != nil {
		return "", Claims{}, err
	}
	now := s.now()
	if now.After(c.Expires.Add(s.grace)) || !now.Before(c.SignedIn.Add(s.lifetime)) {
		return "", Claims{}, fmt.Errorf("session: refresh %q: %w", c.UID(), ErrExpired)
	}
	c.Expires = now.Add(s.ttl)
	if end := c.SignedIn.Add(s.lifetime); c.Expires.After(end) {
		c.Expires = end
	}
	return s.sign(c)
}

// parse checks the shape and signature of token.
func (s *Signer) parse(token string) (Claims, error) {
	bad := func(why string) (Claims, error) {
		return Claims{}, fmt.Errorf("session: verify: %w: %s", ErrInvalid, why)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != version {
		return bad("not a v1 token")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, s.mac(parts[0]+"."+parts[1])) {
		return bad("signature mismatch")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return bad("payload encoding")
	}
	var w wireClaims
	if err := json.Unmarshal(payload, &w); err != nil || w.Corp == "" || w.User == "" {
		return bad("payload")
	}
	return Claims{Corp: w.Corp, User: w.User, SignedIn: time.Unix(w.SignedIn, 0),
		Expires: time.Unix(w.Expires, 0)}, nil
}

// FromRequest returns the bearer token of r's Authorization header, or
// ErrMissing.
func FromRequest(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	if tok = strings.TrimSpace(tok); !ok || tok == "" {
		return "", fmt.Errorf("session: %w", ErrMissing)
	}
	return tok, nil
}

// Authenticate verifies the bearer token of r.
func (s *Signer) Authenticate(r *http.Request) (Claims, error) {
	tok, err := FromRequest(r)
	if err != nil {
		return Claims{}, err
	}
	return s.Verify(tok)
}

// FromEnv returns the Signer keyed by XT_SESSION_KEY, read through getenv;
// the error names the variable.
func FromEnv(getenv func(string) string) (*Signer, error) {
	key, err := ParseKey(getenv(EnvKey))
	if err != nil {
		return nil, fmt.Errorf("session: config %q: %w", EnvKey, err)
	}
	return New(key)
}
