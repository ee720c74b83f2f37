package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/blob"
)

// Target is a service to run the suite against.
type Target struct {
	Config blob.Config
	// Advance moves the service's clock forward. Emulators provide it; for
	// a real service it is nil and the suite waits instead.
	Advance func(time.Duration)
}

// Run checks the Store built from newTarget(t) against every behaviour
// package blob promises. newTarget is called once per subtest; keys are
// unique per run and removed afterwards.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"PutHeadOpen", testPutHeadOpen},
		{"NotFound", testNotFound},
		{"PutIfAbsent", testPutIfAbsent},
		{"Copy", testCopy},
		{"List", testList},
		{"SHA256", testSHA256},
		{"GetURL", testGetURL},
		{"GetURLExpires", testGetURLExpires},
		{"GrantPost", testGrantPost},
		{"GrantPostStatus", testGrantPostStatus},
		{"GrantPostContentTypes", testGrantPostContentTypes},
		{"GrantRefused", testGrantRefused},
		{"GrantNoOverwrite", testGrantNoOverwrite},
		{"GrantPut", testGrantPut},
		{"GrantSpecInvalid", testGrantSpecInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newEnv(t, newTarget(t)))
		})
	}
}

// env is one subtest's store, key prefix and clock.
type env struct {
	target Target
	store  *blob.Store
	prefix string
	ctx    context.Context
}

func newEnv(t *testing.T, tg Target) *env {
	t.Helper()
	s, err := blob.New(tg.Config)
	if err != nil {
		t.Fatalf("blob.New: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	e := &env{target: tg, store: s, prefix: "blobtest/" + hex.EncodeToString(b[:]) + "/",
		ctx: context.Background()}
	t.Cleanup(func() {
		for info, err := range s.List(e.ctx, e.prefix) {
			if err != nil {
				t.Logf("cleanup: %v", err)
				return
			}
			s.Delete(e.ctx, info.Key)
		}
	})
	return e
}

func (e *env) key(name string) string { return e.prefix + name }

// wait lets d pass on the service's clock.
func (e *env) wait(d time.Duration) {
	if e.target.Advance != nil {
		e.target.Advance(d)
		return
	}
	time.Sleep(d)
}

func (e *env) put(t *testing.T, key string, data []byte, o blob.PutOptions) {
	t.Helper()
	if err := e.store.Put(e.ctx, key, bytes.NewReader(data), o); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// read returns the content of key.
func (e *env) read(t *testing.T, key string) []byte {
	t.Helper()
	r, err := e.store.Open(e.ctx, key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data
}

// absent fails unless key does not exist.
func (e *env) absent(t *testing.T, key string) {
	t.Helper()
	if _, err := e.store.Head(e.ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Head(%q) = %v, want ErrNotFound (no object created)", key, err)
	}
}

func md5Hex(data []byte) string {
	sum := md5.Sum(data)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// pdf returns a PDF-looking body of n bytes.
func pdf(n int) []byte {
	head := []byte("%PDF-1.7\n%xietong test document\n")
	body := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)
	return append(head, body...)[:n]
}

func testPutHeadOpen(t *testing.T, e *env) {
	key := e.key("dir/a file+1.txt")
	data := []byte("hello, 协同")
	meta := map[string]string{"owner": "u1"}
	e.put(t, key, data, blob.PutOptions{ContentType: "text/plain", Meta: meta})
	info, err := e.store.Head(e.ctx, key)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	if info.Size != int64(len(data)) || info.ETag != md5Hex(data) ||
		info.ContentType != "text/plain" {
		t.Errorf("Head = size %d etag %s type %q, want %d %s text/plain",
			info.Size, info.ETag, info.ContentType, len(data), md5Hex(data))
	}
	if info.Meta["owner"] != "u1" {
		t.Errorf("Head meta = %v, want owner=u1", info.Meta)
	}
	if got := e.read(t, key); !bytes.Equal(got, data) {
		t.Errorf("Open read %q, want %q", got, data)
	}
}

func testNotFound(t *testing.T, e *env) {
	key := e.key("missing")
	if _, err := e.store.Head(e.ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Head = %v, want ErrNotFound", err)
	}
	if _, err := e.store.Open(e.ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open = %v, want ErrNotFound", err)
	}
	if _, err := e.store.SHA256(e.ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("SHA256 = %v, want ErrNotFound", err)
	}
	if err := e.store.Copy(e.ctx, key, e.key("dst")); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Copy = %v, want ErrNotFound", err)
	}
	if err := e.store.Delete(e.ctx, key); err != nil {
		t.Errorf("Delete of a missing key = %v, want nil", err)
	}
}

func testPutIfAbsent(t *testing.T, e *env) {
	key := e.key("once")
	err := e.store.PutIfAbsent(e.ctx, key, strings.NewReader("first"), blob.PutOptions{})
	if err != nil {
		t.Fatalf("PutIfAbsent first: %v", err)
	}
	err = e.store.PutIfAbsent(e.ctx, key, strings.NewReader("second"), blob.PutOptions{})
	if !errors.Is(err, blob.ErrExists) {
		t.Errorf("PutIfAbsent second = %v, want ErrExists", err)
	}
	if got := e.read(t, key); string(got) != "first" {
		t.Errorf("content after refused overwrite = %q, want %q", got, "first")
	}
}

func testCopy(t *testing.T, e *env) {
	src, dst := e.key("src"), e.key("dst")
	e.put(t, src, []byte("copy me"), blob.PutOptions{ContentType: "text/plain"})
	if err := e.store.Copy(e.ctx, src, dst); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if got := e.read(t, dst); string(got) != "copy me" {
		t.Errorf("copy content = %q", got)
	}
	e.put(t, src, []byte("changed"), blob.PutOptions{})
	if err := e.store.CopyIfAbsent(e.ctx, src, dst); !errors.Is(err, blob.ErrExists) {
		t.Errorf("CopyIfAbsent onto an existing key = %v, want ErrExists", err)
	}
	if got := e.read(t, dst); string(got) != "copy me" {
		t.Errorf("content after refused copy = %q, want %q", got, "copy me")
	}
}

func testList(t *testing.T, e *env) {
	want := []string{e.key("l/a"), e.key("l/b/c"), e.key("l/b/d"), e.key("l/c d+e")}
	for _, k := range append([]string{e.key("other")}, want...) {
		e.put(t, k, []byte(k), blob.PutOptions{})
	}
	var got []string
	for info, err := range e.store.List(e.ctx, e.key("l/")) {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if info.Size != int64(len(info.Key)) {
			t.Errorf("List %q size = %d, want %d", info.Key, info.Size, len(info.Key))
		}
		got = append(got, info.Key)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("List = %q, want %q", got, want)
	}
}

func testSHA256(t *testing.T, e *env) {
	key := e.key("doc.pdf")
	data := pdf(70_000)
	e.put(t, key, data, blob.PutOptions{ContentType: "application/pdf"})
	d, err := e.store.SHA256(e.ctx, key)
	if err != nil {
		t.Fatalf("SHA256: %v", err)
	}
	if d.SHA256 != sha256Hex(data) || d.Size != int64(len(data)) || d.ETag != md5Hex(data) {
		t.Errorf("SHA256 = %s size %d etag %s, want %s %d %s",
			d.SHA256, d.Size, d.ETag, sha256Hex(data), len(data), md5Hex(data))
	}
	if !bytes.Equal(d.Sniff, data[:512]) {
		t.Errorf("Sniff = %q..., want the first 512 bytes", d.Sniff[:min(16, len(d.Sniff))])
	}
}

func testGetURL(t *testing.T, e *env) {
	key := e.key("dl/报告 1.pdf")
	data := pdf(2000)
	e.put(t, key, data, blob.PutOptions{ContentType: "application/pdf"})
	u, err := e.store.GetURL(key, time.Minute)
	if err != nil {
		t.Fatalf("GetURL: %v", err)
	}
	res, _, err := Get(e.ctx, u)
	if err != nil || !bytes.Equal(res.Body, data) {
		t.Errorf("GET presigned = %d, %v, %d bytes; want the object", res.Status, err,
			len(res.Body))
	}
	u, err = e.store.DownloadURL(key, "合同 v1.pdf", time.Minute)
	if err != nil {
		t.Fatalf("DownloadURL: %v", err)
	}
	_, h, err := Get(e.ctx, u)
	if err != nil || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
		t.Errorf("GET download = %v, Content-Disposition %q; want an attachment",
			err, h.Get("Content-Disposition"))
	}
}

func testGetURLExpires(t *testing.T, e *env) {
	key := e.key("short")
	e.put(t, key, []byte("x"), blob.PutOptions{})
	u, err := e.store.GetURL(key, time.Second)
	if err != nil {
		t.Fatalf("GetURL: %v", err)
	}
	e.wait(3 * time.Second)
	if _, _, err := Get(e.ctx, u); !errors.Is(err, blob.ErrDenied) {
		t.Errorf("GET after expiry = %v, want ErrDenied", err)
	}
}

// pdfSpec is the grant the grant tests start from.
func pdfSpec() blob.GrantSpec {
	return blob.GrantSpec{
		MinSize: 10, MaxSize: 4096, ContentTypes: []string{"application/pdf"},
		Expiry: 10 * time.Minute, Meta: map[string]string{"uploader": "u-42"},
	}
}

func (e *env) grant(t *testing.T, key string, spec blob.GrantSpec) blob.Grant {
	t.Helper()
	g, err := e.store.PutGrant(key, spec)
	if err != nil {
		t.Fatalf("PutGrant(%q): %v", key, err)
	}
	return g
}

func testGrantPost(t *testing.T, e *env) {
	key := e.key("up/v1.pdf")
	g := e.grant(t, key, pdfSpec())
	data := pdf(3000)
	res, err := Post(e.ctx, g, Upload{Filename: "合同.pdf", ContentType: "application/pdf",
		Body: bytes.NewReader(data)})
	if err != nil || res.Status != 204 {
		t.Fatalf("Post = %d, %v; want 204", res.Status, err)
	}
	info, err := e.store.Head(e.ctx, key)
	if err != nil {
		t.Fatalf("Head after post: %v", err)
	}
	if info.Size != 3000 || info.ContentType != "application/pdf" ||
		info.Meta["uploader"] != "u-42" {
		t.Errorf("posted object = size %d type %q meta %v", info.Size, info.ContentType, info.Meta)
	}
	if got := e.read(t, key); !bytes.Equal(got, data) {
		t.Errorf("posted bytes differ from the upload")
	}
}

func testGrantPostStatus(t *testing.T, e *env) {
	for _, status := range []int{200, 201, 204} {
		key := e.key(fmt.Sprintf("status/%d.pdf", status))
		spec := pdfSpec()
		spec.SuccessStatus = status
		g := e.grant(t, key, spec)
		res, err := Post(e.ctx, g, Upload{Filename: "a.pdf", ContentType: "application/pdf",
			Body: bytes.NewReader(pdf(100))})
		if err != nil || res.Status != status {
			t.Errorf("Post with success_action_status %d = %d, %v", status, res.Status, err)
		}
		if status == 201 && !bytes.Contains(res.Body, []byte("<PostResponse>")) {
			t.Errorf("201 body = %q, want a PostResponse", res.Body)
		}
	}
}

func testGrantPostContentTypes(t *testing.T, e *env) {
	key := e.key("types/scan")
	spec := pdfSpec()
	spec.ContentTypes = []string{"application/pdf", "image/png"}
	g := e.grant(t, key, spec)
	png := append([]byte("\x89PNG\r\n\x1a\n"), pdf(200)...)
	if _, err := Post(e.ctx, g, Upload{Filename: "scan.png", ContentType: "image/png",
		Body: bytes.NewReader(png)}); err != nil {
		t.Fatalf("Post image/png with a two-type grant: %v", err)
	}
	if info, err := e.store.Head(e.ctx, key); err != nil || info.ContentType != "image/png" {
		t.Errorf("Head = %+v, %v; want image/png", info, err)
	}
}

func testGrantRefused(t *testing.T, e *env) {
	past := e.target.Config
	past.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	stale, err := blob.New(past)
	if err != nil {
		t.Fatal(err)
	}
	sigField := "Signature"
	if e.target.Config.SignatureV4 {
		sigField = "x-oss-signature"
	}
	tests := []struct {
		name    string
		store   *blob.Store
		upload  Upload
		wantErr error
	}{
		{"over size range", nil, Upload{Body: bytes.NewReader(pdf(4097))}, blob.ErrTooLarge},
		{"under size range", nil, Upload{Body: bytes.NewReader(pdf(5))}, blob.ErrInvalid},
		{"wrong content type", nil, Upload{ContentType: "application/x-msdownload",
			Body: bytes.NewReader(pdf(100))}, blob.ErrDenied},
		{"expired grant", stale, Upload{Body: bytes.NewReader(pdf(100))}, blob.ErrDenied},
		{"key outside the grant", nil, Upload{Body: bytes.NewReader(pdf(100)),
			Fields: map[string]string{"key": "elsewhere"}}, blob.ErrDenied},
		{"tampered signature", nil, Upload{Body: bytes.NewReader(pdf(100)),
			Fields: map[string]string{sigField: "AAAA" + strings.Repeat("0", 36)}}, blob.ErrDenied},
		{"changed metadata", nil, Upload{Body: bytes.NewReader(pdf(100)),
			Fields: map[string]string{"x-oss-meta-uploader": "intruder"}}, blob.ErrDenied},
	}
	for i, tt := range tests {
		key := e.key(fmt.Sprintf("refused/%d.pdf", i))
		s := e.store
		if tt.store != nil {
			s = tt.store
		}
		g, err := s.PutGrant(key, pdfSpec())
		if err != nil {
			t.Fatalf("%s: PutGrant: %v", tt.name, err)
		}
		if tt.upload.ContentType == "" {
			tt.upload.ContentType = "application/pdf"
		}
		tt.upload.Filename = "f.pdf"
		if k := tt.upload.Fields["key"]; k != "" {
			tt.upload.Fields["key"] = e.key(k)
		}
		res, err := Post(e.ctx, g, tt.upload)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Post = %d, %v; want %v", tt.name, res.Status, err, tt.wantErr)
		}
		e.absent(t, key)
		if k := tt.upload.Fields["key"]; k != "" {
			e.absent(t, k)
		}
	}
}

func testGrantNoOverwrite(t *testing.T, e *env) {
	key := e.key("once.pdf")
	first := pdf(100)
	for i, body := range [][]byte{first, pdf(200)} {
		g := e.grant(t, key, pdfSpec())
		_, err := Post(e.ctx, g, Upload{Filename: "f.pdf", ContentType: "application/pdf",
			Body: bytes.NewReader(body)})
		if i == 0 && err != nil {
			t.Fatalf("first Post: %v", err)
		}
		if i == 1 && !errors.Is(err, blob.ErrExists) {
			t.Errorf("second Post to the same key = %v, want ErrExists", err)
		}
	}
	if got := e.read(t, key); !bytes.Equal(got, first) {
		t.Errorf("object changed by a refused overwrite")
	}
}

func testGrantPut(t *testing.T, e *env) {
	key := e.key("put/v1.pdf")
	g := e.grant(t, key, pdfSpec())
	data := pdf(500)
	if _, err := Put(e.ctx, g, "application/pdf", bytes.NewReader(data), 500); err != nil {
		t.Fatalf("presigned PUT: %v", err)
	}
	info, err := e.store.Head(e.ctx, key)
	if err != nil || info.Size != 500 || info.Meta["uploader"] != "u-42" {
		t.Errorf("Head after PUT = %+v, %v", info, err)
	}
	_, err = Put(e.ctx, g, "application/pdf", bytes.NewReader(pdf(600)), 600)
	if !errors.Is(err, blob.ErrExists) {
		t.Errorf("second PUT = %v, want ErrExists", err)
	}
	other := e.key("put/v2.pdf")
	g = e.grant(t, other, pdfSpec())
	_, err = Put(e.ctx, g, "application/x-msdownload", bytes.NewReader(data), 500)
	if !errors.Is(err, blob.ErrDenied) {
		t.Errorf("PUT with an unsigned content type = %v, want ErrDenied", err)
	}
	e.absent(t, other)
}

func testGrantSpecInvalid(t *testing.T, e *env) {
	tests := []struct {
		name string
		edit func(*blob.GrantSpec)
	}{
		{"no max size", func(s *blob.GrantSpec) { s.MaxSize = 0 }},
		{"min over max", func(s *blob.GrantSpec) { s.MinSize = 5000 }},
		{"no content type", func(s *blob.GrantSpec) { s.ContentTypes = nil }},
		{"no expiry", func(s *blob.GrantSpec) { s.Expiry = 0 }},
		{"expiry over 7 days", func(s *blob.GrantSpec) { s.Expiry = 8 * 24 * time.Hour }},
		{"odd success status", func(s *blob.GrantSpec) { s.SuccessStatus = 302 }},
	}
	for _, tt := range tests {
		spec := pdfSpec()
		tt.edit(&spec)
		if _, err := e.store.PutGrant(e.key("x"), spec); !errors.Is(err, blob.ErrInvalid) {
			t.Errorf("%s: PutGrant = %v, want ErrInvalid", tt.name, err)
		}
	}
}
