package dingfake

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

type handler func(w http.ResponseWriter, r *http.Request, ref appRef, body []byte)

// fault is an injected failure for the next count calls to path.
type fault struct {
	path    string
	count   int
	errcode int    // old style
	status  int    // new style
	code    string // new style
}

// FailOAPI makes the next count calls to an old-style path answer errcode,
// for example 90018 (throttled), 88 or -1 (busy).
func (f *Fake) FailOAPI(path string, count, errcode int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{path: path, count: count, errcode: errcode})
}

// FailAPI makes the next count calls to a new-style path answer status with
// code, for example 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi.
func (f *Fake) FailAPI(path string, count, status int, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{path: path, count: count, status: status, code: code})
}

// takeFault counts the call and returns a pending fault for path, if any.
func (f *Fake) takeFault(path string) *fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[path]++
	for _, ft := range f.faults {
		if ft.path == path && ft.count > 0 {
			ft.count--
			return ft
		}
	}
	return nil
}

// guard counts calls and serves injected faults.
func (f *Fake) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ft := f.takeFault(r.URL.Path)
		switch {
		case ft == nil:
			next(w, r)
		case ft.status != 0:
			apiErr(w, ft.status, ft.code, "injected fault")
		case ft.errcode == 88:
			writeJSON(w, http.StatusOK, map[string]any{"errcode": 88, "errmsg": "gateway",
				"sub_code": "90018", "sub_msg": "injected fault"})
		default:
			oapiErr(w, ft.errcode, "injected fault")
		}
	}
}

func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

// oapi registers an old-style route: token in the query, errors in a 200.
func (f *Fake) oapi(pattern string, h handler) {
	f.mux.HandleFunc(pattern, f.guard(func(w http.ResponseWriter, r *http.Request) {
		ref, errcode, msg := f.checkToken(r.URL.Query().Get("access_token"))
		if errcode != 0 {
			oapiErr(w, errcode, msg)
			return
		}
		body, err := readBody(r)
		if err != nil {
			oapiErr(w, 40035, "body: "+err.Error())
			return
		}
		h(w, r, ref, body)
	}))
}

// api registers a new-style route: token in a header, errors as 4xx JSON.
func (f *Fake) api(pattern string, h handler) {
	f.mux.HandleFunc(pattern, f.guard(func(w http.ResponseWriter, r *http.Request) {
		ref, errcode, msg := f.checkToken(r.Header.Get("x-acs-dingtalk-access-token"))
		if errcode != 0 {
			apiErr(w, http.StatusUnauthorized, "InvalidAuthentication", msg)
			return
		}
		body, err := readBody(r)
		if err != nil {
			apiErr(w, http.StatusBadRequest, "MissingParameter", err.Error())
			return
		}
		if r.Method == http.MethodPost && !isJSON(r) {
			apiErr(w, http.StatusBadRequest, "MissingParameter", "body is mandatory")
			return
		}
		h(w, r, ref, body)
	}))
}

func isJSON(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
}

// checkToken returns the app a token belongs to, or an old-style errcode.
func (f *Fake) checkToken(tok string) (appRef, int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec, ok := f.tokens[tok]
	if tok == "" || !ok {
		return appRef{}, 40014, "不合法的access_token"
	}
	if !f.cfg.Now().Before(rec.expiry) {
		return appRef{}, 42001, "access_token超时"
	}
	return f.apps[rec.appKey], 0, ""
}

// issue returns appKey's live token, extending it, or a new one.
func (f *Fake) issue(appKey string) (string, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.cfg.Now()
	tok, ok := f.current[appKey]
	if rec, live := f.tokens[tok]; !ok || !live || !now.Before(rec.expiry) {
		tok = randomID("tok", 16)
		f.issued[appKey]++
	}
	f.current[appKey] = tok
	f.tokens[tok] = tokenRec{appKey: appKey, expiry: now.Add(f.cfg.TokenTTL)}
	return tok, f.cfg.TokenTTL
}

func (f *Fake) credentialsOK(key, secret string) bool {
	ref, ok := f.apps[key]
	return ok && secret != "" && ref.app.AppSecret == secret
}

func (f *Fake) oapiGetToken(w http.ResponseWriter, r *http.Request) {
	f.takeFault(r.URL.Path)
	q := r.URL.Query()
	key, secret := q.Get("appkey"), q.Get("appsecret")
	switch {
	case key == "" || secret == "":
		oapiErr(w, 40035, "缺少参数 appkey/appsecret")
	case !f.credentialsOK(key, secret):
		oapiErr(w, 40089, "不合法的corpid或corpsecret")
	default:
		tok, ttl := f.issue(key)
		oapiOK(w, map[string]any{"access_token": tok, "expires_in": int(ttl.Seconds())})
	}
}

func (f *Fake) apiAccessToken(w http.ResponseWriter, r *http.Request) {
	if ft := f.takeFault(r.URL.Path); ft != nil && ft.status != 0 {
		apiErr(w, ft.status, ft.code, "injected fault")
		return
	}
	var req struct {
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
	}
	body, _ := readBody(r)
	if !isJSON(r) || json.Unmarshal(body, &req) != nil {
		apiErr(w, http.StatusBadRequest, "MissingParameter", "body is mandatory")
		return
	}
	if !f.credentialsOK(req.AppKey, req.AppSecret) {
		apiErr(w, http.StatusBadRequest, "invalidClientIdOrSecret",
			"无效的clientId或者clientSecret")
		return
	}
	tok, ttl := f.issue(req.AppKey)
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": tok,
		"expireIn": int(ttl.Seconds())})
}

// MintAuthCode returns a single-use free-login code for userID in corpID, as
// dd.requestAuthCode would give the micro-app.
func (f *Fake) MintAuthCode(corpID, userID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.userLocked(corpID, userID) == nil {
		return "", errors.New("dingfake: authcode: no such user in corp")
	}
	code := randomID("code", 12)
	f.codes[code] = codeRec{corpID: corpID, userID: userID,
		expiry: f.cfg.Now().Add(f.cfg.AuthCodeTTL)}
	return code, nil
}

func (f *Fake) userLocked(corpID, userID string) *User {
	o := f.orgs[corpID]
	if o == nil {
		return nil
	}
	for i := range o.Users {
		if o.Users[i].UserID == userID {
			return &o.Users[i]
		}
	}
	return nil
}

func (f *Fake) userInfo(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &req)
	f.mu.Lock()
	rec, ok := f.codes[req.Code]
	delete(f.codes, req.Code)
	var u *User
	if ok && rec.corpID == ref.org.CorpID && f.cfg.Now().Before(rec.expiry) {
		u = f.userLocked(rec.corpID, rec.userID)
	}
	f.mu.Unlock()
	if u == nil {
		oapiErr(w, 40078, "不存在的临时授权码")
		return
	}
	level := 0
	switch {
	case u.Boss:
		level = 100
	case u.Admin:
		level = 2
	}
	oapiOK(w, map[string]any{"result": map[string]any{"userid": u.UserID,
		"unionid": u.UnionID, "associated_unionid": "", "device_id": randomID("dev", 4),
		"name": u.Name, "sys": u.Admin || u.Boss, "sys_level": level}})
}

func (f *Fake) mintCodeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CorpID string `json:"corpId"`
		UserID string `json:"userId"`
	}
	body, _ := readBody(r)
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "dingfake: authcode: body is not JSON", http.StatusBadRequest)
		return
	}
	code, err := f.MintAuthCode(req.CorpID, req.UserID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": code,
		"expiresAt": f.cfg.Now().Add(f.cfg.AuthCodeTTL).UnixMilli()})
}
