package dingfake_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk/callback"
)

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func postJSON(t *testing.T, url string, in, out any) int {
	t.Helper()
	b, _ := json.Marshal(in)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// token fetches the university app's token through the old route.
func token(t *testing.T, base string) string {
	t.Helper()
	var out struct {
		Errcode     int    `json:"errcode"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	getJSON(t, base+"/gettoken?appkey=dinguniv-xietong&appsecret=univ-secret-0001", &out)
	if out.Errcode != 0 || out.AccessToken == "" || out.ExpiresIn != 7200 {
		t.Fatalf("gettoken = %+v", out)
	}
	return out.AccessToken
}

func TestSeedIsConsistent(t *testing.T) {
	for _, o := range dingfake.DefaultSeed() {
		depts := map[int64]bool{}
		for _, d := range o.Depts {
			depts[d.ID] = true
		}
		if !depts[1] {
			t.Errorf("%s: no root department", o.CorpID)
		}
		protected := 0
		for _, u := range o.Users {
			for _, id := range u.DeptIDs {
				if !depts[id] {
					t.Errorf("%s: %s in unknown dept %d", o.CorpID, u.UserID, id)
				}
			}
			if u.HideMobile && u.Senior {
				protected++
			}
		}
		if protected == 0 {
			t.Errorf("%s: no protected executive", o.CorpID)
		}
		for _, a := range o.Apps {
			if _, err := callback.DecodeAESKey(a.AESKey); err != nil {
				t.Errorf("%s: app %s: %v", o.CorpID, a.AppKey, err)
			}
		}
	}
	if n := len(dingfake.DefaultSeed()[0].External); n == 0 {
		t.Error("university has no external supplier contacts")
	}
}

func TestOldTokenRoute(t *testing.T) {
	srv := httptest.NewServer(dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed()}))
	defer srv.Close()
	tok := token(t, srv.URL)
	if again := token(t, srv.URL); again != tok {
		t.Errorf("second gettoken = %q, want the same %q within its lifetime", again, tok)
	}
	var out struct{ Errcode int }
	getJSON(t, srv.URL+"/gettoken?appkey=dinguniv-xietong", &out)
	if out.Errcode != 40035 {
		t.Errorf("gettoken without a secret: errcode %d, want 40035", out.Errcode)
	}
}

func TestTokensExpire(t *testing.T) {
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	f := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed(),
		Now: func() time.Time { return now }})
	srv := httptest.NewServer(f)
	defer srv.Close()
	tok := token(t, srv.URL)
	now = now.Add(7201 * time.Second)
	var out struct{ Errcode int }
	postJSON(t, srv.URL+"/topapi/v2/user/get?access_token="+tok,
		map[string]string{"userid": "u-dev-1"}, &out)
	if out.Errcode != 42001 {
		t.Errorf("expired token: errcode %d, want 42001", out.Errcode)
	}
}

func TestInboxOverHTTP(t *testing.T) {
	f := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed()})
	srv := httptest.NewServer(f)
	defer srv.Close()
	tok := token(t, srv.URL)
	notice := map[string]any{"agent_id": 3100001, "userid_list": "u-dev-1,u-dev-2",
		"msg": map[string]any{"msgtype": "text", "text": map[string]string{"content": "hi"}}}
	for range 2 {
		var out struct{ Errcode int }
		postJSON(t, srv.URL+"/topapi/message/corpconversation/asyncsend_v2?access_token="+
			tok, notice, &out)
		if out.Errcode != 0 {
			t.Fatalf("asyncsend_v2: errcode %d", out.Errcode)
		}
	}
	var inbox struct{ Entries []dingfake.Entry }
	getJSON(t, srv.URL+"/_fake/inbox?userId=u-dev-1", &inbox)
	if len(inbox.Entries) != 2 || inbox.Entries[0].Dropped || !inbox.Entries[1].Dropped ||
		inbox.Entries[1].Reason != dingfake.DropRepeat {
		t.Errorf("inbox = %+v, want one delivered then one dropped repeat", inbox.Entries)
	}
}

func TestAuthCodeHTTP(t *testing.T) {
	srv := httptest.NewServer(dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed()}))
	defer srv.Close()
	var out struct{ Code string }
	if st := postJSON(t, srv.URL+"/_fake/authcode", map[string]string{
		"corpId": dingfake.UniversityCorp, "userId": "u-dev-1"}, &out); st != 200 ||
		out.Code == "" {
		t.Fatalf("mint: status %d, code %q", st, out.Code)
	}
	if st := postJSON(t, srv.URL+"/_fake/authcode", map[string]string{
		"corpId": dingfake.UniversityCorp, "userId": "nobody"}, nil); st != 404 {
		t.Errorf("mint for an unknown user: status %d, want 404", st)
	}
}

func TestDirectoryEdits(t *testing.T) {
	f := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed()})
	srv := httptest.NewServer(f)
	defer srv.Close()
	tok := token(t, srv.URL)
	getUser := func(id string) int {
		var out struct{ Errcode int }
		postJSON(t, srv.URL+"/topapi/v2/user/get?access_token="+tok,
			map[string]string{"userid": id}, &out)
		return out.Errcode
	}
	if err := f.PutUser(dingfake.UniversityCorp, dingfake.User{UserID: "u-new",
		Name: "新同事", DeptIDs: []int64{5}, Active: true}); err != nil {
		t.Fatal(err)
	}
	if code := getUser("u-new"); code != 0 {
		t.Errorf("added user: errcode %d, want 0", code)
	}
	f.RemoveUser(dingfake.UniversityCorp, "u-new")
	if code := getUser("u-new"); code != 60121 {
		t.Errorf("removed user: errcode %d, want 60121", code)
	}
	if len(dingfake.DefaultSeed()[0].Users) != 8 {
		t.Error("edits leaked into DefaultSeed")
	}
}
