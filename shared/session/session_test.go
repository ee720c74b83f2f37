package session

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newSigner(t *testing.T, c *clock) *Signer {
	t.Helper()
	s, err := New(testKey, WithClock(c.now), WithTTL(time.Hour),
		WithRefresh(10*time.Minute, 3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssueVerify(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	s := newSigner(t, c)
	tok, claims, err := s.Issue("dingcorp", "u1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Verify(tok)
	if err != nil {
		t.Fatalf("Verify(fresh) = %v", err)
	}
	if got.Corp != "dingcorp" || got.User != "u1" || !got.Expires.Equal(claims.Expires) ||
		got.UID() != "dingcorp:u1" {
		t.Errorf("Verify = %+v, want corp dingcorp, user u1, expires %v", got, claims.Expires)
	}
	c.t = c.t.Add(time.Hour)
	if _, err := s.Verify(tok); !errors.Is(err, ErrExpired) {
		t.Errorf("Verify(after ttl) = %v, want ErrExpired", err)
	}
}

func TestVerifyRefusesForgeries(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	s := newSigner(t, c)
	tok, _, _ := s.Issue("dingcorp", "u1")
	other, _ := New([]byte("another key that is 32 bytes lon"), WithClock(c.now))
	foreign, _, _ := other.Issue("dingcorp", "u1")
	parts := strings.Split(tok, ".")
	evil := base64.RawURLEncoding.EncodeToString(
		[]byte(`{"c":"dingother","u":"u1","auth":1800000000,"exp":1900000000}`))
	tests := []struct{ name, tok string }{
		{"empty", ""},
		{"two parts", parts[0] + "." + parts[1]},
		{"version", "v2." + parts[1] + "." + parts[2]},
		{"other key", foreign},
		{"swapped payload", parts[0] + "." + evil + "." + parts[2]},
		{"bad mac encoding", parts[0] + "." + parts[1] + ".!!"},
	}
	for _, tt := range tests {
		if _, err := s.Verify(tt.tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("Verify(%s) = %v, want ErrInvalid", tt.name, err)
		}
	}
}

func TestRefresh(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		after   time.Duration // since sign-in, when refreshing
		wantErr error
		wantExp time.Duration // new expiry, since sign-in
	}{
		{"while valid", 30 * time.Minute, nil, 90 * time.Minute},
		{"within grace", 65 * time.Minute, nil, 125 * time.Minute},
		{"past grace", 71 * time.Minute, ErrExpired, 0},
	}
	for _, tt := range tests {
		c := &clock{t: start}
		s := newSigner(t, c)
		tok, _, _ := s.Issue("dingcorp", "u1")
		c.t = start.Add(tt.after)
		fresh, claims, err := s.Refresh(tok)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Refresh = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if !claims.Expires.Equal(start.Add(tt.wantExp)) || !claims.SignedIn.Equal(start) {
			t.Errorf("%s: claims %+v, want expiry %v and sign-in kept", tt.name, claims,
				start.Add(tt.wantExp))
		}
		if _, err := s.Verify(fresh); err != nil {
			t.Errorf("%s: Verify(refreshed) = %v", tt.name, err)
		}
	}
}

func TestRefreshStopsAtLifetime(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	c := &clock{t: start}
	s := newSigner(t, c)
	tok, _, _ := s.Issue("dingcorp", "u1")
	for i := 0; i < 10; i++ {
		c.t = c.t.Add(50 * time.Minute)
		next, claims, err := s.Refresh(tok)
		if err != nil {
			if !errors.Is(err, ErrExpired) || c.t.Before(start.Add(3*time.Hour)) {
				t.Fatalf("Refresh at +%v = %v", c.t.Sub(start), err)
			}
			return
		}
		if claims.Expires.After(start.Add(3 * time.Hour)) {
			t.Fatalf("refreshed expiry %v is past the lifetime", claims.Expires)
		}
		tok = next
	}
	t.Fatal("refresh never stopped")
}

func TestParseKey(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(testKey)
	tests := []struct {
		in      string
		wantLen int
		wantErr bool
	}{
		{b64, 32, false},
		{"a raw passphrase that is long enough!", 37, false},
		{"short", 0, true},
		{base64.StdEncoding.EncodeToString([]byte("16 bytes only!!!")), 0, true},
	}
	for _, tt := range tests {
		k, err := ParseKey(tt.in)
		if (err != nil) != tt.wantErr || len(k) != tt.wantLen {
			t.Errorf("ParseKey(%q) = %d bytes, %v; want %d bytes, error %v", tt.in, len(k), err,
				tt.wantLen, tt.wantErr)
		}
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("New(short key) succeeded")
	}
}

func TestAuthenticate(t *testing.T) {
	c := &clock{t: time.Now()}
	s := newSigner(t, c)
	tok, _, _ := s.Issue("dingcorp", "u1")
	r := httptest.NewRequest("GET", "/", nil)
	if _, err := s.Authenticate(r); !errors.Is(err, ErrMissing) {
		t.Errorf("Authenticate(no header) = %v, want ErrMissing", err)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	if got, err := s.Authenticate(r); err != nil || got.User != "u1" {
		t.Errorf("Authenticate = %+v, %v", got, err)
	}
	if _, _, err := s.Issue("ding:corp", "u1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Issue(corp with colon) = %v, want ErrInvalid", err)
	}
}
