package dingtalk

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestOAPIKind(t *testing.T) {
	tests := []struct {
		errcode int
		sub     string
		want    error
	}{
		{40014, "", ErrToken},
		{42001, "", ErrToken},
		{88, "40014", ErrToken},
		{88, "90018", ErrThrottled},
		{90018, "", ErrThrottled},
		{90002, "", ErrThrottled},
		{410100, "", ErrThrottled},
		{-1, "", ErrUnavailable},
		{60121, "", ErrNotFound},
		{33012, "", ErrNotFound},
		{60011, "", ErrPermission},
		{40078, "", ErrInvalid},
		{310000, "", ErrInvalid},
		{12345, "", ErrAPI},
	}
	for _, tt := range tests {
		if got := oapiKind(tt.errcode, tt.sub); got != tt.want {
			t.Errorf("oapiKind(%d, %q) = %v, want %v", tt.errcode, tt.sub, got, tt.want)
		}
	}
}

func TestAPIKind(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   error
	}{
		{400, "InvalidAuthentication", ErrToken},
		{401, "", ErrToken},
		{400, "invalidClientIdOrSecret", ErrToken},
		{403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", ErrThrottled},
		{403, "Forbidden.AccessDenied.QpsLimitForApi", ErrThrottled},
		{403, "Forbidden.AccessDenied.ApiCountLimitForOrg", ErrThrottled},
		{400, "todo.taskCreate.flowControlError", ErrThrottled},
		{429, "system.busy", ErrUnavailable},
		{429, "", ErrThrottled},
		{503, "", ErrUnavailable},
		{403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", ErrPermission},
		{400, "needAuth", ErrPermission},
		{404, "", ErrNotFound},
		{400, "processCodeError", ErrInvalid},
	}
	for _, tt := range tests {
		if got := apiKind(tt.status, tt.code); got != tt.want {
			t.Errorf("apiKind(%d, %q) = %v, want %v", tt.status, tt.code, got, tt.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		e    Error
		want bool
	}{
		{Error{Errcode: 90018, Kind: ErrThrottled}, true},
		{Error{Errcode: 90020, Kind: ErrThrottled}, false},
		{Error{Errcode: 410100, Kind: ErrThrottled}, false},
		{Error{Code: "Forbidden.AccessDenied.ApiCountLimitForOrg", Kind: ErrThrottled}, false},
		{Error{Errcode: -1, Kind: ErrUnavailable}, true},
		{Error{Errcode: 60011, Kind: ErrPermission}, false},
	}
	for _, tt := range tests {
		if got := tt.e.retryable(); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", &tt.e, got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Op: "user get", Key: "u1", Errcode: 88, SubCode: "40014", Message: "bad",
		Kind: ErrToken}
	if got, want := e.Error(), `dingtalk: user get "u1": errcode 88/40014: bad`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, ErrToken) {
		t.Error("errors.Is(e, ErrToken) = false")
	}
}

func TestEndpointsFromEnv(t *testing.T) {
	env := map[string]string{"DINGTALK_OAPI_BASE": "http://127.0.0.1:9000/"}
	e, err := EndpointsFromEnv(func(k string) string { return env[k] })
	if err != nil || e.OAPI != "http://127.0.0.1:9000" || e.API != DefaultAPIBase {
		t.Errorf("EndpointsFromEnv = %+v, %v", e, err)
	}
	env["DINGTALK_API_BASE"] = "ftp://x"
	if _, err := EndpointsFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("EndpointsFromEnv accepted ftp://x")
	}
}

func TestParseApps(t *testing.T) {
	apps, err := ParseApps([]byte(`[{"corpId":"ding1","appKey":"k","appSecret":"s",
		"agentId":7,"callbackToken":"t","aesKey":"a",
		"robots":{"ops":{"token":"rt","secret":"SECx"}}}]`))
	if err != nil || len(apps) != 1 || apps[0].AgentID != 7 ||
		apps[0].Robots["ops"].Secret != "SECx" || apps[0].CallbackOwnerKey() != "k" {
		t.Errorf("ParseApps = %+v, %v", apps, err)
	}
	if _, err := ParseApps([]byte(`[{"corpId":"ding1"}]`)); err == nil {
		t.Error("ParseApps accepted an app without credentials")
	}
}

func TestDayIsChinaTime(t *testing.T) {
	tests := []struct {
		utc  time.Time
		want string
	}{
		{time.Date(2026, 12, 3, 15, 59, 0, 0, time.UTC), "2026-12-03"},
		{time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC), "2026-12-04"},
	}
	for _, tt := range tests {
		if got := Day(tt.utc); got != tt.want {
			t.Errorf("Day(%v) = %s, want %s", tt.utc, got, tt.want)
		}
	}
}

func TestRobotWindowSlides(t *testing.T) {
	b := NewMemoryBudget(BudgetConfig{RobotPerMinute: 2})
	ctx := context.Background()
	t0 := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 0},
		{30 * time.Second, 0},
		{40 * time.Second, 20 * time.Second}, // first slot frees at 60 s
		{60 * time.Second, 0},
		{70 * time.Second, 20 * time.Second}, // second frees at 90 s
	}
	for _, s := range steps {
		if got, _ := b.AdmitRobot(ctx, "r", t0.Add(s.at)); got != s.want {
			t.Errorf("AdmitRobot at %v = %v, want %v", s.at, got, s.want)
		}
	}
}

func TestLimiterSettings(t *testing.T) {
	tests := []struct {
		qps   float64
		limit float64
		burst int
	}{
		{0, DefaultQPS, DefaultQPS},
		{5, 5, 5},
		{0.5, 0.5, 1},
	}
	for _, tt := range tests {
		l := newLimiter(tt.qps)
		if float64(l.Limit()) != tt.limit || l.Burst() != tt.burst {
			t.Errorf("newLimiter(%v) = %v/s burst %d, want %v/s burst %d", tt.qps, l.Limit(),
				l.Burst(), tt.limit, tt.burst)
		}
	}
	if l := newLimiter(-1); !l.Allow() || l.Limit() != rate.Inf {
		t.Errorf("newLimiter(-1) = %v/s, want no limit", l.Limit())
	}
}
