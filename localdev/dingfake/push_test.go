package dingfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk/callback"
)

// receiver is a tiny callback endpoint built on package callback. It fails the
// first failFirst requests with a 500, and records every event it accepts.
type receiver struct {
	crypto    *callback.Crypto
	failFirst int
	hang      chan struct{} // if set, requests after failFirst wait on it unanswered
	badReply  bool

	mu       sync.Mutex
	requests int
	events   []map[string]any
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.requests++
	n := rc.requests
	rc.mu.Unlock()
	if n <= rc.failFirst {
		http.Error(w, "downstream not ready", http.StatusInternalServerError)
		return
	}
	if rc.hang != nil {
		<-rc.hang
		return
	}
	body, _ := io.ReadAll(r.Body)
	msg, err := rc.crypto.OpenRequest(r.URL.Query(), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	var ev map[string]any
	if err := json.Unmarshal(msg, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.events = append(rc.events, ev)
	rc.mu.Unlock()
	if rc.badReply {
		w.Write([]byte("success"))
		return
	}
	reply, _ := rc.crypto.Success()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply)
}

func (rc *receiver) counts() (requests, events int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests, len(rc.events)
}

var fastRetries = []time.Duration{time.Millisecond, 2 * time.Millisecond}

func newPushFake(t *testing.T, rc *receiver) (*dingfake.Fake, string) {
	t.Helper()
	timeout := 10 * time.Second
	if rc.hang != nil {
		timeout = 20 * time.Millisecond
	}
	f := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed(), RetryDelays: fastRetries,
		ReplyTimeout: timeout})
	cr, err := f.PushCrypto(dingfake.UniversityCorp, 0)
	if err != nil {
		t.Fatal(err)
	}
	rc.crypto = cr
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/dingtalk/callback"
}

func TestPushRoundTrip(t *testing.T) {
	rc := &receiver{}
	f, url := newPushFake(t, rc)
	err := f.Push(context.Background(), url, dingfake.UniversityCorp, "user_add_org",
		map[string]any{"UserId": []string{"u-new"}, "OptStaffId": "u-it-director"})
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	req, events := rc.counts()
	if req != 1 || events != 1 {
		t.Fatalf("%d requests, %d events; want 1 and 1", req, events)
	}
	ev := rc.events[0]
	if ev["EventType"] != "user_add_org" || ev["CorpId"] != dingfake.UniversityCorp ||
		ev["TimeStamp"] == nil || ev["OptStaffId"] != "u-it-director" {
		t.Errorf("event = %v", ev)
	}
}

func TestPushRetries(t *testing.T) {
	tests := []struct {
		name           string
		rc             *receiver
		wantErr        bool
		requests, evts int
	}{
		{"recovers on the first retry", &receiver{failFirst: 1}, false, 2, 1},
		{"recovers on the second retry", &receiver{failFirst: 2}, false, 3, 1},
		{"never recovers", &receiver{failFirst: 99}, true, 3, 0},
		{"plain-text success is not a reply", &receiver{badReply: true}, true, 3, 3},
		{"never answers in time", &receiver{hang: make(chan struct{})}, true, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := tt.rc
			f, url := newPushFake(t, rc)
			if rc.hang != nil {
				defer close(rc.hang)
			}
			err := f.Push(context.Background(), url, dingfake.UniversityCorp,
				"org_dept_create", map[string]any{"DeptId": []int{7}})
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, dingfake.ErrPush)) {
				t.Fatalf("Push = %v, want failure %v", err, tt.wantErr)
			}
			req, events := rc.counts()
			if req != tt.requests || events != tt.evts {
				t.Errorf("%d requests, %d events accepted; want %d and %d", req, events,
					tt.requests, tt.evts)
			}
		})
	}
}

func TestFailedListClearsOnRead(t *testing.T) {
	rc := &receiver{failFirst: 99}
	f, url := newPushFake(t, rc)
	if err := f.Push(context.Background(), url, dingfake.UniversityCorp, "user_leave_org",
		map[string]any{"UserId": []string{"u-dev-2"}}); err == nil {
		t.Fatal("Push to a failing receiver succeeded")
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	tok := token(t, srv.URL)
	read := func() []map[string]any {
		var out struct {
			Errcode    int              `json:"errcode"`
			FailedList []map[string]any `json:"failed_list"`
		}
		getJSON(t, srv.URL+"/call_back/get_call_back_failed_result?access_token="+tok, &out)
		return out.FailedList
	}
	first := read()
	if len(first) != 1 || first[0]["call_back_tag"] != "user_leave_org" {
		t.Fatalf("failed list = %v, want the one user_leave_org", first)
	}
	if again := read(); len(again) != 0 {
		t.Errorf("second read = %v, want empty", again)
	}
}

func TestPushUnknownCorp(t *testing.T) {
	f := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed()})
	err := f.Push(context.Background(), "http://127.0.0.1:1", "dingnobody", "check_url", nil)
	if err == nil {
		t.Error("Push for an unknown corp succeeded")
	}
}
