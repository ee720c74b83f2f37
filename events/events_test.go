package events

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xietong/xietong/shared/runtime"
)

// fixtureKind is what each fixture must be recognised as, and the runtime
// type it decodes into. It is derived from the file names on disk, so a new
// fixture is covered by every test here as soon as it is added.
var fixtureKind = kindsByName()

type fixtureType struct {
	kind runtime.Kind
	new  func() any
}

// kindPrefixes maps a fixture name prefix to the kind the runtime must sniff.
var kindPrefixes = []struct {
	prefix string
	kind   runtime.Kind
}{
	{"fc-http-", runtime.KindFCHTTP},
	{"dingtalk-", runtime.KindFCHTTP},
	{"fc-timer", runtime.KindTimer},
	{"fc-oss-", runtime.KindOSS},
	{"lambda-http-", runtime.KindLambdaHTTP},
	{"fc-invoke-", runtime.KindInvoke},
}

var typeOfKind = map[runtime.Kind]func() any{
	runtime.KindFCHTTP:     func() any { return new(runtime.FCHTTPEvent) },
	runtime.KindTimer:      func() any { return new(runtime.TimerEvent) },
	runtime.KindOSS:        func() any { return new(runtime.OSSEvent) },
	runtime.KindLambdaHTTP: func() any { return new(runtime.LambdaHTTPEvent) },
	runtime.KindInvoke:     func() any { return new(map[string]any) },
}

// kindsByName gives every fixture the kind its name prefix declares; a
// fixture without a known prefix gets the kind "" and fails TestNamesDeclareKind.
func kindsByName() map[string]fixtureType {
	m := map[string]fixtureType{}
	for _, name := range Names() {
		var kind runtime.Kind
		for _, p := range kindPrefixes {
			if strings.HasPrefix(name, p.prefix) {
				kind = p.kind
				break
			}
		}
		m[name] = fixtureType{kind: kind, new: typeOfKind[kind]}
	}
	return m
}

func load(t *testing.T, name string) []byte {
	t.Helper()
	b, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func generic(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestNamesDeclareKind(t *testing.T) {
	for name, fk := range fixtureKind {
		if fk.kind == "" {
			t.Errorf("fixture %q: name has no kind prefix (fc-http-, dingtalk-, fc-timer, "+
				"fc-oss-, lambda-http-, fc-invoke-)", name)
		}
	}
	for _, name := range []string{FCHTTPGet, FCHTTPPostBinary, FCTimer, FCOSSObjectCreated,
		LambdaHTTPV2, DingTalkCheckURL, DingTalkUserAddOrg} {
		if _, ok := fixtureKind[name]; !ok {
			t.Errorf("fixture %q is named in events.go but missing on disk", name)
		}
	}
	if _, err := Load("nope.json"); err == nil {
		t.Errorf("Load(nope.json) succeeded, want an error")
	}
}

func TestRoundTrip(t *testing.T) {
	for name, fk := range fixtureKind {
		t.Run(name, func(t *testing.T) {
			raw := load(t, name)
			kind, err := runtime.Sniff(raw)
			if err != nil || kind != fk.kind {
				t.Fatalf("Sniff = %q, %v; want %q", kind, err, fk.kind)
			}
			v := fk.new()
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("decode into %T: %v", v, err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode %T: %v", v, err)
			}
			if diff := cmp.Diff(generic(t, raw), generic(t, out)); diff != "" {
				t.Errorf("round trip through %T (-fixture +re-encoded):\n%s", v, diff)
			}
		})
	}
}

// recorder is a Function that notes which handler each fixture reached.
type recorder struct {
	kind string
	req  *http.Request
	body []byte
}

func (rec *recorder) function() runtime.Function {
	return runtime.Function{
		Name: "fixtures",
		HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.kind, rec.req = "http", r
			rec.body = readBody(r)
			w.WriteHeader(http.StatusNoContent)
		}),
		Timer: func(context.Context, runtime.TimerEvent) error { rec.kind = "timer"; return nil },
		OSS:   func(context.Context, runtime.OSSEvent) error { rec.kind = "oss"; return nil },
		Invoke: func(context.Context, json.RawMessage) (any, error) {
			rec.kind = "invoke"
			return nil, nil
		},
	}
}

func readBody(r *http.Request) []byte {
	var b bytes.Buffer
	b.ReadFrom(r.Body)
	return b.Bytes()
}

func TestFixturesReachTheirHandler(t *testing.T) {
	want := map[runtime.Kind]string{runtime.KindFCHTTP: "http", runtime.KindLambdaHTTP: "http",
		runtime.KindTimer: "timer", runtime.KindOSS: "oss", runtime.KindInvoke: "invoke"}
	for name, fk := range fixtureKind {
		var rec recorder
		f := rec.function()
		f.Logger = runtime.NewLogger(&bytes.Buffer{}, 0)
		if _, err := f.Dispatch(context.Background(), load(t, name)); err != nil {
			t.Errorf("%s: Dispatch: %v", name, err)
		}
		if rec.kind != want[fk.kind] {
			t.Errorf("%s reached handler %q, want %q", name, rec.kind, want[fk.kind])
		}
	}
}

func TestBinaryFixturesDecode(t *testing.T) {
	tests := []struct {
		name, wantCT string
		wantLen      int
	}{
		{FCHTTPPostBinary, "application/pdf", 55},
		{LambdaHTTPV2, "application/octet-stream", 7},
	}
	for _, tt := range tests {
		var rec recorder
		f := rec.function()
		f.Logger = runtime.NewLogger(&bytes.Buffer{}, 0)
		if _, err := f.Dispatch(context.Background(), load(t, tt.name)); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(rec.body) != tt.wantLen || rec.req.Header.Get("Content-Type") != tt.wantCT {
			t.Errorf("%s: body %d bytes, type %q; want %d, %q", tt.name, len(rec.body),
				rec.req.Header.Get("Content-Type"), tt.wantLen, tt.wantCT)
		}
	}
}

func TestDingTalkFixtures(t *testing.T) {
	tests := []struct {
		name, token string
	}{
		{DingTalkCheckURL, CheckURLToken},
		{DingTalkUserAddOrg, DevDingTalkToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev runtime.FCHTTPEvent
			if err := json.Unmarshal(load(t, tt.name), &ev); err != nil {
				t.Fatal(err)
			}
			var body struct {
				Encrypt string `json:"encrypt"`
			}
			if err := json.Unmarshal([]byte(ev.Body), &body); err != nil {
				t.Fatalf("body %q: %v", ev.Body, err)
			}
			ct, err := base64.StdEncoding.DecodeString(body.Encrypt)
			if err != nil || len(ct) < 32 || len(ct)%16 != 0 {
				t.Errorf("encrypt: %d bytes, %v; want base64 of whole AES blocks", len(ct), err)
			}
			q := ev.QueryParameters
			if q["signature"] != q["msg_signature"] || q["nonce"] == "" {
				t.Errorf("query %v: want signature = msg_signature and a nonce", q)
			}
			if got := sign(tt.token, q["timestamp"], q["nonce"],
				body.Encrypt); got != q["signature"] {
				t.Errorf("signature = %s, want sha1 of the sorted parts %s", q["signature"], got)
			}
			if ev.RequestContext.HTTP.Method != "POST" {
				t.Errorf("method = %q, want POST", ev.RequestContext.HTTP.Method)
			}
		})
	}
}

// sign computes DingTalk's callback signature.
func sign(parts ...string) string {
	sorted := append([]string(nil), parts...)
	sort.Strings(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return hex.EncodeToString(sum[:])
}

// wrongTypes names, per fixture, one field to replace with a value of the
// wrong JSON type, and the text the error must contain.
var wrongTypes = map[string]struct {
	path   []string
	value  any
	wantIn string
}{
	FCHTTPGet:          {[]string{"headers"}, 42, "headers"},
	FCHTTPPostBinary:   {[]string{"isBase64Encoded"}, "yes", "isBase64Encoded"},
	FCTimer:            {[]string{"triggerTime"}, true, "triggerTime"},
	FCOSSObjectCreated: {[]string{"events", "0", "oss", "object", "size"}, "big", "size"},
	LambdaHTTPV2:       {[]string{"requestContext", "timeEpoch"}, "soon", "timeEpoch"},
	DingTalkCheckURL:   {[]string{"queryParameters"}, []int{1}, "queryParameters"},
	DingTalkUserAddOrg: {[]string{"requestContext", "http", "method"}, 7, "method"},
}

// wrongTypeByKind is the mutation for fixtures that wrongTypes does not name.
var wrongTypeByKind = map[runtime.Kind]struct {
	path   []string
	value  any
	wantIn string
}{
	runtime.KindFCHTTP:     {[]string{"headers"}, 42, "headers"},
	runtime.KindTimer:      {[]string{"triggerTime"}, true, "triggerTime"},
	runtime.KindOSS:        {[]string{"events", "0", "oss", "object", "size"}, "big", "size"},
	runtime.KindLambdaHTTP: {[]string{"requestContext", "timeEpoch"}, "soon", "timeEpoch"},
}

func TestMalformed(t *testing.T) {
	for name, fk := range fixtureKind {
		if fk.kind == runtime.KindInvoke {
			continue // any JSON is a valid direct invocation payload
		}
		t.Run(name, func(t *testing.T) {
			raw := load(t, name)
			truncated := raw[:len(raw)/2]
			if _, err := runtime.Sniff(truncated); !errors.Is(err, runtime.ErrMalformedEvent) ||
				!strings.Contains(err.Error(), "unexpected end of JSON input") {
				t.Errorf("Sniff(truncated) error = %v, want ErrMalformedEvent at end of input", err)
			}
			wt, ok := wrongTypes[name]
			if !ok {
				wt = wrongTypeByKind[fk.kind]
			}
			bad := mutate(t, raw, wt.path, wt.value)
			err := runtime.Decode(fk.kind, bad, fk.new())
			if !errors.Is(err, runtime.ErrMalformedEvent) ||
				!strings.Contains(err.Error(), wt.wantIn) ||
				!strings.Contains(err.Error(), string(fk.kind)) {
				t.Errorf("Decode(wrong %v) error = %v, want ErrMalformedEvent naming %q and %q",
					wt.path, err, fk.kind, wt.wantIn)
			}
			var rec recorder
			f := rec.function()
			f.Logger = runtime.NewLogger(&bytes.Buffer{}, 0)
			if _, err := f.Dispatch(context.Background(), bad); !errors.Is(err,
				runtime.ErrMalformedEvent) {
				t.Errorf("Dispatch(wrong type) error = %v, want ErrMalformedEvent", err)
			}
			if rec.kind != "" {
				t.Errorf("malformed event reached the %s handler", rec.kind)
			}
		})
	}
}

// mutate sets the value at path in the JSON document raw.
func mutate(t *testing.T, raw []byte, path []string, value any) []byte {
	t.Helper()
	doc := generic(t, raw)
	cur := doc
	for i, key := range path {
		last := i == len(path)-1
		switch node := cur.(type) {
		case map[string]any:
			if last {
				node[key] = value
			} else {
				cur = node[key]
			}
		case []any:
			if key != "0" || last {
				t.Fatalf("mutate: unsupported path %v", path)
			}
			cur = node[0]
		default:
			t.Fatalf("mutate: path %v does not exist", path)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
