package ossemu_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
)

// form is a browser upload under construction.
type form struct {
	fields [][2]string // in order
	file   []byte
	name   string // file name
	after  [][2]string
}

func (f *form) set(k, v string) { f.fields = append(f.fields, [2]string{k, v}) }

// policyB64 encodes a policy document expiring at exp.
func policyB64(exp time.Time, conds ...any) string {
	doc, _ := json.Marshal(map[string]any{
		"expiration": exp.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conds,
	})
	return base64.StdEncoding.EncodeToString(doc)
}

// signV1 adds a V1 signature of policy to f.
func signV1(env *ossemutest.Env, f *form, policy string) {
	mac := hmac.New(sha1.New, []byte(env.AccessKeySecret))
	mac.Write([]byte(policy))
	f.set("policy", policy)
	f.set("OSSAccessKeyId", env.AccessKeyID)
	f.set("Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

func hmac256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// signV4 adds a V4 signature of policy, made at t, to f.
func signV4(env *ossemutest.Env, f *form, policy string, t time.Time) {
	day := t.UTC().Format("20060102")
	k := hmac256([]byte("aliyun_v4"+env.AccessKeySecret), day)
	for _, s := range []string{env.Region, "oss", "aliyun_v4_request"} {
		k = hmac256(k, s)
	}
	f.set("policy", policy)
	f.set("x-oss-signature-version", "OSS4-HMAC-SHA256")
	f.set("x-oss-credential", env.AccessKeyID+"/"+day+"/"+env.Region+"/oss/aliyun_v4_request")
	f.set("x-oss-date", t.UTC().Format("20060102T150405Z"))
	f.set("x-oss-signature", hex.EncodeToString(hmac256(k, policy)))
}

// send posts f to the bucket and returns status and body.
func send(t *testing.T, env *ossemutest.Env, f *form) (int, string, http.Header) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range f.fields {
		mw.WriteField(kv[0], kv[1])
	}
	if f.file != nil {
		w, _ := mw.CreateFormFile("file", f.name)
		w.Write(f.file)
	}
	for _, kv := range f.after {
		mw.WriteField(kv[0], kv[1])
	}
	mw.Close()
	resp, err := http.Post(env.Endpoint+"/"+env.Bucket, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

func TestPostObjectAccepted(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	exp := time.Now().Add(time.Hour)
	tests := []struct {
		name    string
		key     string
		status  string
		conds   []any
		fields  map[string]string
		wantKey string
		want    int
	}{
		{"default status", "u/a.pdf", "", []any{[]any{"starts-with", "$key", "u/"}}, nil, "u/a.pdf",
			204},
		{"status 200", "u/b.pdf", "200", []any{map[string]string{"bucket": ossemutest.Bucket}}, nil,
			"u/b.pdf", 200},
		{"status 201", "u/c.pdf", "201", []any{[]any{"eq", "$key", "u/c.pdf"}}, nil, "u/c.pdf",
			201},
		{"filename in key", "u/${filename}", "", []any{[]any{"starts-with", "$key", "u/"}}, nil,
			"u/scan.pdf", 204},
		{"content type in list", "u/d", "", []any{[]any{"in", "$content-type",
			[]string{"image/png", "application/pdf"}}},
			map[string]string{"Content-Type": "application/pdf"}, "u/d", 204},
		{"content type not in list", "u/e", "", []any{[]any{"not-in", "$Content-Type",
			[]string{"text/html"}}},
			map[string]string{"Content-Type": "application/pdf"}, "u/e", 204},
		{"size in range", "u/f", "", []any{[]any{"content-length-range", 1, 100}}, nil, "u/f", 204},
	}
	for _, tt := range tests {
		for _, v4 := range []bool{false, true} {
			f := &form{file: []byte("%PDF body"), name: "scan.pdf"}
			f.set("key", tt.key)
			if tt.status != "" {
				f.set("success_action_status", tt.status)
			}
			for k, v := range tt.fields {
				f.set(k, v)
			}
			f.set("x-oss-meta-origin", "form")
			pol := policyB64(exp, tt.conds...)
			if v4 {
				signV4(env, f, pol, time.Now())
			} else {
				signV1(env, f, pol)
			}
			status, body, h := send(t, env, f)
			if status != tt.want {
				t.Errorf("%s (v4=%v): status %d %s, want %d", tt.name, v4, status, body, tt.want)
				continue
			}
			if tt.want == 201 && !strings.Contains(body, "<Key>"+tt.wantKey+"</Key>") {
				t.Errorf("%s: 201 body = %s", tt.name, body)
			}
			if h.Get("ETag") != etagOf(f.file) {
				t.Errorf("%s: ETag = %q", tt.name, h.Get("ETag"))
			}
			if got := get(t, b, tt.wantKey); string(got) != "%PDF body" {
				t.Errorf("%s: object %q = %q", tt.name, tt.wantKey, got)
			}
			meta, _ := b.GetObjectDetailedMeta(tt.wantKey)
			if meta.Get("X-Oss-Meta-Origin") != "form" {
				t.Errorf("%s: meta = %v", tt.name, meta)
			}
			b.DeleteObject(tt.wantKey)
		}
	}
	if ev := env.Events(); len(ev) == 0 || ev[0].EventName != "ObjectCreated:PostObject" {
		t.Errorf("first event = %+v, want ObjectCreated:PostObject", ev)
	}
}

func TestPostObjectRefused(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	put(t, b, "taken", []byte("x"))
	exp := time.Now().Add(time.Hour)
	keyIsU := []any{[]any{"starts-with", "$key", "u/"}}
	tests := []struct {
		name  string
		build func(f *form)
		code  string
		want  int
	}{
		{"key outside the prefix", func(f *form) {
			f.set("key", "x/a")
			signV1(env, f, policyB64(exp, keyIsU...))
		}, "AccessDenied", 403},
		{"wrong bucket condition", func(f *form) {
			f.set("key", "u/a")
			signV1(env, f, policyB64(exp, map[string]string{"bucket": "other"}))
		}, "AccessDenied", 403},
		{"content type mismatch", func(f *form) {
			f.set("key", "u/a")
			f.set("Content-Type", "text/html")
			signV1(env, f, policyB64(exp, []any{"eq", "$Content-Type", "application/pdf"}))
		}, "AccessDenied", 403},
		{"over size range", func(f *form) {
			f.set("key", "u/a")
			signV1(env, f, policyB64(exp, []any{"content-length-range", 0, 3}))
		}, "EntityTooLarge", 400},
		{"under size range", func(f *form) {
			f.set("key", "u/a")
			signV1(env, f, policyB64(exp, []any{"content-length-range", 100, 200}))
		}, "EntityTooSmall", 400},
		{"expired policy", func(f *form) {
			f.set("key", "u/a")
			signV1(env, f, policyB64(time.Now().Add(-time.Second), keyIsU...))
		}, "AccessDenied", 403},
		{"tampered policy", func(f *form) {
			f.set("key", "u/a")
			signV1(env, f, policyB64(exp, keyIsU...))
			f.fields[1][1] = policyB64(exp, []any{"starts-with", "$key", ""})
		}, "SignatureDoesNotMatch", 403},
		{"V4 tampered signature", func(f *form) {
			f.set("key", "u/a")
			signV4(env, f, policyB64(exp, keyIsU...), time.Now())
			f.fields[len(f.fields)-1][1] = strings.Repeat("0", 64)
		}, "SignatureDoesNotMatch", 403},
		{"V4 date in the future", func(f *form) {
			f.set("key", "u/a")
			signV4(env, f, policyB64(exp, keyIsU...), time.Now().Add(20*time.Minute))
		}, "RequestTimeTooSkewed", 403},
		{"unknown access key", func(f *form) {
			f.set("key", "u/a")
			f.set("policy", policyB64(exp, keyIsU...))
			f.set("OSSAccessKeyId", "LTAIunknown")
			f.set("Signature", "x")
		}, "InvalidAccessKeyId", 403},
		{"anonymous", func(f *form) { f.set("key", "u/a") }, "AccessDenied", 403},
		{"no policy", func(f *form) {
			f.set("key", "u/a")
			f.set("OSSAccessKeyId", env.AccessKeyID)
			f.set("Signature", "x")
		}, "InvalidArgument", 400},
		{"no conditions", func(f *form) {
			f.set("key", "u/a")
			signV1(env, f, policyB64(exp))
		}, "InvalidPolicyDocument", 400},
		{"no key", func(f *form) { signV1(env, f, policyB64(exp, keyIsU...)) }, "InvalidArgument",
			400},
		{"no file", func(f *form) {
			f.set("key", "u/a")
			signV1(env, f, policyB64(exp, keyIsU...))
			f.file = nil
		}, "InvalidArgument", 400},
		{"overwrite forbidden", func(f *form) {
			f.set("key", "taken")
			f.set("x-oss-forbid-overwrite", "true")
			signV1(env, f, policyB64(exp, []any{"eq", "$key", "taken"}))
		}, "FileAlreadyExists", 409},
	}
	for _, tt := range tests {
		f := &form{file: []byte("%PDF body"), name: "a.pdf"}
		tt.build(f)
		status, body, _ := send(t, env, f)
		if status != tt.want || !strings.Contains(body, "<Code>"+tt.code+"</Code>") {
			t.Errorf("%s: %d %s, want %d %s", tt.name, status, body, tt.want, tt.code)
		}
	}
	res, _ := b.ListObjectsV2()
	if len(res.Objects) != 1 {
		t.Errorf("objects after refused posts = %+v, want only the pre-existing one", res.Objects)
	}
	if got := get(t, b, "taken"); string(got) != "x" {
		t.Errorf("refused overwrite changed the object: %q", got)
	}
}

func TestPostObjectFileMustBeLast(t *testing.T) {
	env := ossemutest.Start(t)
	f := &form{file: []byte("data"), name: "a.txt"}
	f.set("key", "u/first")
	signV1(env, f, policyB64(time.Now().Add(time.Hour), []any{"starts-with", "$key", "u/"}))
	f.after = [][2]string{{"key", "u/second"}, {"success_action_status", "201"}}
	status, body, _ := send(t, env, f)
	if status != 204 {
		t.Fatalf("status = %d %s, want 204: fields after the file are ignored", status, body)
	}
	b := env.Client(t)
	if ok, _ := b.IsObjectExist("u/first"); !ok {
		t.Error("object not stored under the key sent before the file")
	}
	if ok, _ := b.IsObjectExist("u/second"); ok {
		t.Error("a key sent after the file was used")
	}
}

func TestPostObjectNotMultipart(t *testing.T) {
	env := ossemutest.Start(t)
	resp, err := http.Post(env.Endpoint+"/"+env.Bucket, "application/x-www-form-urlencoded",
		strings.NewReader("key=a"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(data), "RequestIsNotMultiPartContent") {
		t.Errorf("urlencoded POST = %d %s", resp.StatusCode, data)
	}
}

func TestPostObjectLarge(t *testing.T) {
	env := ossemutest.Start(t)
	f := &form{file: sized(3 << 20), name: "big.bin"}
	f.set("key", "u/big")
	signV1(env, f, policyB64(time.Now().Add(time.Hour), []any{"content-length-range", 0, 4 << 20}))
	if status, body, _ := send(t, env, f); status != 204 {
		t.Fatalf("3 MiB post = %d %s", status, body)
	}
	h, err := env.Client(t).GetObjectDetailedMeta("u/big")
	if err != nil || h.Get("X-Oss-Hash-Crc64ecma") != crcOf(f.file) {
		t.Errorf("posted object crc = %q, %v; want %s", h.Get("X-Oss-Hash-Crc64ecma"), err,
			crcOf(f.file))
	}
}
