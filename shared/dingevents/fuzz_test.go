package dingevents_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingtalk/callback"
)

// FuzzCallback throws arbitrary queries and bodies at the handler. It must
// never panic, and whatever it does not authenticate must change nothing:
// any answer but 200 leaves every table as it was, and a 200 is given only
// to a push that the university's keys open.
func FuzzCallback(f *testing.F) {
	s := newStack(f, ots.Config{})
	good := univCrypto(f, univOwner, nil)
	q, enc := sealed(f, good, map[string]any{"EventType": "user_leave_org",
		"UserId": []string{"u-president"}})
	f.Add(q.Encode(), encryptBody(enc))
	f.Add(q.Encode(), encryptBody(enc[:len(enc)-4]))
	f.Add(resign(enc[4:]).Encode(), encryptBody(enc[4:]))
	f.Add("signature=x&timestamp=1&nonce=y", `{"encrypt":"AAAA"}`)
	f.Add("", "")
	f.Add("msg_signature=%zz", `{"encrypt":null}`)
	var ring callback.Ring
	if err := ring.Add(univ, good); err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, query, body string) {
		s.t = t
		before := s.snapshot(univ, allTables...)
		qv, _ := url.ParseQuery(query)
		rec := post(s.handler, qv, body)
		if rec.Code == http.StatusOK {
			if _, _, err := ring.OpenRequest(qv, []byte(body)); err != nil {
				t.Fatalf("200 for a push the keys do not open: %v", err)
			}
			return
		}
		if got := s.snapshot(univ, allTables...); got != before {
			t.Fatalf("answer %d changed state", rec.Code)
		}
	})
}
