package projects

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/access"
)

func TestLogin(t *testing.T) {
	st := newStack(t)
	var s SessionResponse
	st.must("", "POST", "/api/auth/login", LoginRequest{CorpID: uni,
		AuthCode: st.mintHTTP(uni, "u-apps-lead")}, http.StatusOK, &s)
	if s.CorpID != uni || s.UserID != "u-apps-lead" || s.OrgRole != access.DeptManager ||
		s.User.Name == "" || s.Token == "" {
		t.Fatalf("login = %+v, want a dept_manager session of u-apps-lead", s)
	}
	claims, err := st.signer.Verify(s.Token)
	if err != nil || claims.Corp != uni || claims.User != "u-apps-lead" {
		t.Fatalf("Verify(token) = %+v, %v; want bound to %s/u-apps-lead", claims, err, uni)
	}
	var org OrgResponse
	st.tokens[appsLead] = s.Token
	st.must(appsLead, "GET", "/api/orgs/"+uni, nil, http.StatusOK, &org)
	if org.Role != "dept_manager" || org.Name == "" || len(org.LeaderOf) != 1 {
		t.Errorf("org = %+v, want the university with role dept_manager, leading one dept", org)
	}

	ctx := context.Background()
	if _, err := st.dir.DeactivateUsers(ctx, uni, []string{"u-accountant"}); err != nil {
		t.Fatal(err)
	}
	used := st.mint(uni, "u-dev-1")
	st.must("", "POST", "/api/auth/login", LoginRequest{CorpID: uni, AuthCode: used},
		http.StatusOK, nil)
	expired := st.mint(uni, "u-dev-2")
	tests := []struct {
		name   string
		req    any
		status int
		code   string
	}{
		{"reused code", LoginRequest{uni, used}, 401, "invalid_auth_code"},
		{"code of another corp", LoginRequest{uni, st.mint(sup, "a-pm")}, 401,
			"invalid_auth_code"},
		{"inactive user", LoginRequest{uni, st.mint(uni, "u-accountant")}, 403,
			"user_inactive"},
		{"unknown code", LoginRequest{uni, "nonsense"}, 401, "invalid_auth_code"},
		{"corp without app", LoginRequest{"dingnobody", "x"}, 400, "invalid_input"},
		{"no code", LoginRequest{CorpID: uni}, 400, "invalid_input"},
		{"unknown field", map[string]string{"corpId": uni, "authCode": "x", "user": "boss"},
			400, "invalid_input"},
		{"expired code", LoginRequest{uni, expired}, 401, "invalid_auth_code"},
	}
	for _, tt := range tests {
		if tt.name == "expired code" {
			st.clock.Advance(6 * time.Minute)
		}
		got, b := st.do("", "POST", "/api/auth/login", tt.req)
		if got != tt.status || errorCode(b) != tt.code {
			t.Errorf("%s: login = %d %s, want %d %s", tt.name, got, b, tt.status, tt.code)
		}
	}
}

func TestRefreshAndSessions(t *testing.T) {
	st := newStack(t)
	old := st.as(dev1)
	st.clock.Advance(time.Hour)
	var s SessionResponse
	st.must(dev1, "POST", "/api/auth/refresh", nil, http.StatusOK, &s)
	if s.Token == old || s.UserID != "u-dev-1" || !s.ExpiresAt.After(st.clock.Now()) {
		t.Fatalf("refresh = %+v, want a fresh token of u-dev-1", s)
	}
	st.tokens[dev1] = s.Token
	st.must(dev1, "GET", "/api/orgs/"+uni, nil, http.StatusOK, nil)

	if _, err := st.dir.DeactivateUsers(context.Background(), uni,
		[]string{"u-dev-1"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/auth/refresh", "/api/projects"} {
		method := "GET"
		if path == "/api/auth/refresh" {
			method = "POST"
		}
		if got, b := st.do(dev1, method, path, nil); got != 403 ||
			errorCode(b) != "user_inactive" {
			t.Errorf("%s %s after leaving = %d %s, want 403 user_inactive", method, path, got, b)
		}
	}

	tests := []struct {
		name, token string
		code        string
	}{
		{"no token", "", "unauthenticated"},
		{"forged", "v1.eyJjIjoiZGluZyJ9.AAAA", "invalid_session"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", st.api.URL+"/api/projects", nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s: GET /api/projects = %d, want 401", tt.name, resp.StatusCode)
		}
	}
	st.as(dev2)
	st.clock.Advance(3 * time.Hour)
	if got, b := st.do(dev2, "GET", "/api/projects", nil); got != 401 ||
		errorCode(b) != "session_expired" {
		t.Errorf("GET with an expired session = %d %s, want 401 session_expired", got, b)
	}
}
