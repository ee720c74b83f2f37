package projects

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/xietong/xietong/shared/directory"
)

// TestNoProtectedMobile checks every answer the test client saw: a
// protected executive's mobile number reaches only that executive and the
// viewers their organization allows.
func TestNoProtectedMobile(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	if err := st.dir.SetPolicy(ctx, uni, directory.Policy{
		MobileViewers: []string{"u-it-director"}}); err != nil {
		t.Fatal(err)
	}
	d := st.demoProject("隐私")
	path := projectPath(d)
	st.must(appsLead, "POST", path+"/members", MemberInput{Corp: uni, UserID: "u-it-director",
		Role: "viewer"}, http.StatusCreated, nil)
	st.must(appsLead, "POST", path+"/members", MemberInput{Corp: sup, UserID: "a-ceo",
		Role: "viewer"}, http.StatusCreated, nil)
	viewers := []string{appsLead, dev1, acmePM, president, itDirector, acmeCEO, extPM, dev2}
	for _, v := range viewers {
		for _, p := range []string{path, path + "/members", "/api/projects",
			"/api/views/executive?drill=true", "/api/views/department", "/api/orgs/" + uni} {
			st.do(v, "GET", p, nil)
		}
	}
	st.do(appsLead, "POST", path+"/members", MemberInput{Corp: uni, UserID: "u-president",
		Role: "member"})

	// allowed[viewer] lists the protected numbers that viewer may see.
	allowed := map[string][]string{
		president:  {"13800000001"},
		itDirector: {"13800000001"},
		acmeCEO:    {"13900000001"},
	}
	seen, leaks := 0, 0
	for _, ex := range st.exchanges() {
		viewer := ex.viewer
		if ex.path == "/api/auth/login" {
			var s SessionResponse
			_ = json.Unmarshal(ex.body, &s)
			viewer = s.CorpID + ":" + s.UserID
		}
		for _, mobile := range protectedMobiles {
			if !bytes.Contains(ex.body, []byte(mobile)) {
				continue
			}
			seen++
			if !contains(allowed[viewer], mobile) {
				leaks++
				t.Errorf("%s %s as %s shows protected mobile %s: %s", ex.method, ex.path,
					viewer, mobile, ex.body)
			}
		}
	}
	// The allowed viewers do see the numbers, so the check above can fail.
	var ms struct{ Items []Member }
	st.must(itDirector, "GET", path+"/members", nil, http.StatusOK, &ms)
	shown := false
	for _, m := range ms.Items {
		shown = shown || m.UID == president && m.User != nil && m.User.Mobile == "13800000001"
	}
	if !shown {
		t.Errorf("the allowed viewer does not see the president's mobile: %+v", ms.Items)
	}
	t.Logf("%d exchanges checked; protected numbers shown %d times, all to allowed viewers",
		len(st.exchanges()), seen-leaks)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
