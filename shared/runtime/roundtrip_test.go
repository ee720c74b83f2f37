package runtime

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// echo answers with what it received, in a binary body when asked.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Method", r.Method)
	w.Header().Set("X-Path", r.URL.EscapedPath())
	w.Header().Set("X-Query", r.URL.Query().Encode())
	w.Header().Set("X-Cookies", r.Header.Get("Cookie"))
	w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
	w.WriteHeader(http.StatusAccepted)
	w.Write(b)
})

func TestHTTPRoundTripBothFormats(t *testing.T) {
	body := []byte{0, 1, 2, 0xff, 'x'}
	newReq := func() *http.Request {
		r := httptest.NewRequest("PUT", "http://api.example/up/a%2Fb?k=1&k=2&s=x+y",
			bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/octet-stream")
		r.AddCookie(&http.Cookie{Name: "sid", Value: "s1"})
		r.AddCookie(&http.Cookie{Name: "t", Value: "2"})
		return r
	}
	f := Function{Name: "contracts", HTTP: echo, Logger: discardLogger()}

	fcEv := NewFCHTTPEvent(newReq(), body)
	if !fcEv.IsBase64Encoded || fcEv.QueryParameters["k"] != "1,2" {
		t.Errorf("FC event = %+v, want base64 body and k=1,2", fcEv)
	}
	fcResp := dispatchFC(t, f, fcEv)
	status, hdr, got, err := fcResp.HTTPResponse()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"X-Method": "PUT", "X-Path": "/up/a%2Fb",
		"X-Query": "k=1%2C2&s=x+y", "X-Cookies": "sid=s1; t=2"}
	checkEcho(t, "FC", status, hdr, got, body, want)

	lev := NewLambdaHTTPEvent(newReq(), body)
	lresp := dispatchLambda(t, f, lev)
	lbody, err := base64.StdEncoding.DecodeString(lresp.Body)
	if err != nil || !lresp.IsBase64Encoded {
		t.Fatalf("Lambda body %q base64=%v: %v", lresp.Body, lresp.IsBase64Encoded, err)
	}
	lhdr := http.Header{}
	for k, v := range lresp.Headers {
		lhdr.Set(k, v)
	}
	want["X-Query"] = "k=1&k=2&s=x+y"
	checkEcho(t, "Lambda", lresp.StatusCode, lhdr, lbody, body, want)
}

func checkEcho(t *testing.T, name string, status int, hdr http.Header, got, body []byte,
	want map[string]string) {
	t.Helper()
	if status != http.StatusAccepted || !bytes.Equal(got, body) {
		t.Errorf("%s: status %d body %x, want 202 %x", name, status, got, body)
	}
	for k, v := range want {
		if hdr.Get(k) != v {
			t.Errorf("%s: %s = %q, want %q", name, k, hdr.Get(k), v)
		}
	}
}

func TestNewLambdaHTTPEventShape(t *testing.T) {
	r := httptest.NewRequest("GET", "http://u.on.aws/p?a=1", nil)
	r.Header.Add("Accept", "x/y")
	r.Header.Add("Accept", "z/w")
	r.AddCookie(&http.Cookie{Name: "c", Value: "1"})
	ev := NewLambdaHTTPEvent(r, nil)
	want := map[string]string{"accept": "x/y,z/w", "host": "u.on.aws"}
	if diff := cmp.Diff(want, ev.Headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if !cmp.Equal(ev.Cookies, []string{"c=1"}) || ev.RawQueryString != "a=1" || ev.Body != "" {
		t.Errorf("event = %+v, want cookies [c=1], raw query a=1, no body", ev)
	}
}

func TestOSSEventJSON(t *testing.T) {
	in := `{"events":[{"eventName":"ObjectCreated:PostObject","eventSource":"acs:oss",` +
		`"eventTime":"2026-12-03T08:00:01.250Z","eventVersion":"1.0","oss":{"bucket":` +
		`{"arn":"acs:oss:cn-hangzhou:1:xt","name":"xt","ownerIdentity":"1","virtualBucket":""},` +
		`"object":{"deltaSize":10,"eTag":"ABC","key":"contracts/c 1.pdf","objectMeta":` +
		`{"mimeType":"application/pdf"},"size":10},"ossSchemaVersion":"1.0","ruleId":"r"},` +
		`"region":"cn-hangzhou","requestParameters":{"sourceIPAddress":"127.0.0.1"},` +
		`"responseElements":{"requestId":"RID"},"userIdentity":{"principalId":"1"}}]}`
	var ev OSSEvent
	if err := json.Unmarshal([]byte(in), &ev); err != nil {
		t.Fatal(err)
	}
	want := OSSRecord{EventName: "ObjectCreated:PostObject", EventSource: "acs:oss",
		EventTime:    time.Date(2026, 12, 3, 8, 0, 1, 250e6, time.UTC),
		EventVersion: "1.0", Region: "cn-hangzhou", Bucket: "xt",
		BucketARN: "acs:oss:cn-hangzhou:1:xt", BucketOwner: "1", Key: "contracts/c 1.pdf",
		Size: 10, DeltaSize: 10, ETag: "ABC", MimeType: "application/pdf",
		SchemaVersion: "1.0", RuleID: "r", SourceIP: "127.0.0.1", OSSRequestID: "RID",
		PrincipalID: "1"}
	if diff := cmp.Diff([]OSSRecord{want}, ev.Records); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("re-encoded:\n%s\nwant:\n%s", out, in)
	}
	if err := json.Unmarshal([]byte(`{"events":{}}`), &ev); err == nil ||
		!strings.Contains(err.Error(), "cannot unmarshal") {
		t.Errorf("Unmarshal(events object) error = %v, want a type error", err)
	}
}

func TestDispatchRESTRoundTrip(t *testing.T) {
	f := Function{HTTP: echo, Logger: discardLogger()}
	ev := RESTHTTPEvent{HTTPMethod: "POST", Path: "/x",
		MultiValueHeaders: map[string][]string{"Content-Type": {"text/plain"}},
		Body:              "aGk=", IsBase64Encoded: true}
	got, err := f.Dispatch(context.Background(), mustJSON(t, ev))
	if err != nil {
		t.Fatal(err)
	}
	resp := got.(RESTHTTPResponse)
	if resp.StatusCode != 202 || resp.Body != "hi" || resp.IsBase64Encoded {
		t.Errorf("REST response = %+v, want 202 text hi", resp)
	}
}
