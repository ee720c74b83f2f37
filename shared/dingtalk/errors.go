package dingtalk

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Kinds of failure. Every error a Client returns from a DingTalk answer is an
// *Error whose Kind is one of these, so callers branch with errors.Is.
var (
	// ErrToken means the access token is invalid or expired, or could not be
	// obtained (wrong AppKey or AppSecret).
	ErrToken = errors.New("dingtalk: token")
	// ErrThrottled means DingTalk, or a local limit, refused the call for rate.
	ErrThrottled = errors.New("dingtalk: throttled")
	// ErrNotFound means the user, department, robot or instance does not exist.
	ErrNotFound = errors.New("dingtalk: not found")
	// ErrInvalid means DingTalk rejected the request's content, including an
	// invalid or already used free-login auth code (errcode 40078).
	ErrInvalid = errors.New("dingtalk: invalid request")
	// ErrPermission means the app lacks a permission or scope for the call.
	ErrPermission = errors.New("dingtalk: permission denied")
	// ErrUnavailable means DingTalk was busy or answered with a server error or
	// a body that is not JSON.
	ErrUnavailable = errors.New("dingtalk: unavailable")
	// ErrAPI is any other error DingTalk reported.
	ErrAPI = errors.New("dingtalk: api error")
)

// Error is a failure reported by DingTalk, in either API style. The provider's
// code is kept: Errcode (and SubCode) for the old oapi style, Code for the new.
type Error struct {
	Op        string // the client method, such as "user get"
	Key       string // what it was about, such as a userid; may be empty
	Status    int    // HTTP status
	Errcode   int    // old API errcode; 0 for the new API
	SubCode   string // old API gateway sub_code
	Code      string // new API code, such as "Forbidden.AccessDenied.QpsLimitForApi"
	Message   string
	RequestID string
	Kind      error // one of the Err* sentinels
}

// Error formats e as `dingtalk: op "key": code: message`.
func (e *Error) Error() string {
	code := e.Code
	if e.Errcode != 0 {
		code = "errcode " + strconv.Itoa(e.Errcode)
		if e.SubCode != "" {
			code += "/" + e.SubCode
		}
	}
	if code == "" {
		code = "http " + strconv.Itoa(e.Status)
	}
	key := ""
	if e.Key != "" {
		key = " " + strconv.Quote(e.Key)
	}
	return fmt.Sprintf("dingtalk: %s%s: %s: %s", e.Op, key, code, e.Message)
}

// Unwrap returns e.Kind.
func (e *Error) Unwrap() error { return e.Kind }

// retryable reports whether waiting and trying again may help.
func (e *Error) retryable() bool {
	switch e.Kind {
	case ErrUnavailable:
		return true
	case ErrThrottled:
		return e.Errcode != 90020 && e.Errcode != 410100 && e.Errcode != 1111 &&
			!strings.Contains(e.Code, "ApiCountLimit")
	}
	return false
}

// oapiKind maps an old-style errcode (and gateway sub_code) to a kind.
func oapiKind(errcode int, sub string) error {
	if errcode == 88 && sub != "" {
		if n, err := strconv.Atoi(sub); err == nil && n != 88 {
			return oapiKind(n, "")
		}
	}
	switch errcode {
	case 40001, 40014, 42001, 40089, 40091:
		return ErrToken
	case 90018, 90002, 90006, 90020, 410100, 43002:
		return ErrThrottled
	case 1111: // the per-IP ban: {"status":1111,"wait":5,...}
		return ErrThrottled
	case -1:
		return ErrUnavailable
	case 33012, 60003, 60121, 60123, 400101:
		return ErrNotFound
	case 60011, 60020, 50004, 400102, 60104:
		return ErrPermission
	case 40078, 40035, 40003, 43004, 310000, 400002, 60001, 33001:
		return ErrInvalid
	}
	return ErrAPI
}

// apiKind maps a new-style HTTP status and code to a kind.
func apiKind(status int, code string) error {
	c := strings.ToLower(code)
	switch {
	case strings.Contains(c, "qpslimit"), strings.Contains(c, "flowcontrol"),
		strings.Contains(c, "apicountlimit"), strings.Contains(c, "toomuch"),
		status == http.StatusTooManyRequests && !strings.Contains(c, "busy"):
		return ErrThrottled
	case strings.Contains(c, "busy"), status >= 500:
		return ErrUnavailable
	case strings.Contains(c, "invalidauthentication"), c == "invalidclientidorsecret",
		c == "invalid.client", status == http.StatusUnauthorized:
		return ErrToken
	case strings.Contains(c, "notfound"), strings.Contains(c, "not.exist"),
		status == http.StatusNotFound:
		return ErrNotFound
	case strings.HasPrefix(c, "forbidden"), c == "needauth", status == http.StatusForbidden:
		return ErrPermission
	case status >= 400:
		return ErrInvalid
	}
	return ErrAPI
}
