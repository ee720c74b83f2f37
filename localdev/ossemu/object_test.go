package ossemu_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	bolt "go.etcd.io/bbolt"

	"github.com/xietong/xietong/localdev/boltblob"
	"github.com/xietong/xietong/localdev/ossemu"
	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
)

func TestPutGetHead(t *testing.T) {
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		data := []byte("%PDF-1.7 contract body")
		put(t, b, "c/v1.pdf", data, oss.Meta("owner", "u1"), oss.CacheControl("no-cache"))
		if got := get(t, b, "c/v1.pdf"); !bytes.Equal(got, data) {
			t.Errorf("GetObject = %q, want %q", got, data)
		}
		h, err := b.GetObjectDetailedMeta("c/v1.pdf")
		if err != nil {
			t.Fatalf("GetObjectDetailedMeta: %v", err)
		}
		want := map[string]string{
			"ETag": etagOf(data), "X-Oss-Hash-Crc64ecma": crcOf(data),
			"Content-Type": "application/pdf", "X-Oss-Meta-Owner": "u1",
			"Cache-Control": "no-cache", "Content-Length": "22", "X-Oss-Object-Type": "Normal",
		}
		for k, v := range want {
			if got := h.Get(k); got != v {
				t.Errorf("HEAD %s = %q, want %q", k, got, v)
			}
		}
		file := filepath.Join(t.TempDir(), "out")
		if err := b.GetObjectToFile("c/v1.pdf", file); err != nil {
			t.Errorf("GetObjectToFile (CRC checked): %v", err)
		}
		if ok, err := b.IsObjectExist("c/v1.pdf"); !ok || err != nil {
			t.Errorf("IsObjectExist = %v, %v; want true", ok, err)
		}
		if ok, err := b.IsObjectExist("c/none"); ok || err != nil {
			t.Errorf("IsObjectExist(missing) = %v, %v; want false", ok, err)
		}
	})
}

func TestSpecialKeys(t *testing.T) {
	keys := []string{
		"a b", "a+b", "中文/合同 1.pdf", "x?y=1&z", "100%", "a//b", "dir/", "~!@#$^*()[]",
	}
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		for _, k := range keys {
			put(t, b, k, []byte(k))
			if got := get(t, b, k); string(got) != k {
				t.Errorf("GetObject(%q) = %q", k, got)
			}
		}
		res, err := b.ListObjectsV2(oss.MaxKeys(100))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Objects) != len(keys) {
			t.Fatalf("listed %d keys, want %d", len(res.Objects), len(keys))
		}
		for _, o := range res.Objects {
			if o.Size != int64(len(o.Key)) {
				t.Errorf("listed key %q with size %d: key not decoded right", o.Key, o.Size)
			}
		}
	})
}

func TestVirtualHostStyle(t *testing.T) {
	for _, av := range authVersions {
		t.Run(av.name, func(t *testing.T) {
			env := ossemutest.Start(t)
			addr := strings.TrimPrefix(env.Endpoint, "http://")
			_, port, _ := net.SplitHostPort(addr)
			dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}
			hc := &http.Client{Transport: &http.Transport{DialContext: dial}}
			opts := append([]oss.ClientOption{oss.HTTPClient(hc), oss.Region(env.Region)},
				av.opts...)
			c, err := oss.New("http://oss-local.test:"+port, env.AccessKeyID, env.AccessKeySecret,
				opts...)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := c.Bucket(env.Bucket)
			put(t, b, "vh/a.txt", []byte("virtual"))
			if got := get(t, env.Client(t), "vh/a.txt"); string(got) != "virtual" {
				t.Errorf("path-style read of a virtual-host write = %q", got)
			}
			res, err := b.ListObjectsV2(oss.Prefix("vh/"))
			if err != nil || len(res.Objects) != 1 {
				t.Errorf("virtual-host ListObjectsV2 = %+v, %v", res.Objects, err)
			}
		})
	}
}

func TestRange(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	data := []byte("0123456789")
	put(t, b, "r", data)
	tests := []struct {
		spec string
		want string
	}{
		{"2-4", "234"},
		{"7-", "789"},
		{"-3", "789"},
		{"8-100", "89"},
		{"-100", "0123456789"},
		{"5-2", "0123456789"},   // invalid: whole object
		{"50-60", "0123456789"}, // unsatisfiable: whole object, as OSS does
	}
	for _, tt := range tests {
		if got := get(t, b, "r", oss.NormalizedRange(tt.spec)); string(got) != tt.want {
			t.Errorf("Range %s = %q, want %q", tt.spec, got, tt.want)
		}
	}
	_, err := b.GetObject("r", oss.NormalizedRange("50-60"), oss.RangeBehavior("standard"))
	wantCode(t, "standard unsatisfiable range", err, "InvalidRange", 416)
}

func TestConditionalGet(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	data := []byte("conditional")
	put(t, b, "c", data)
	h, _ := b.GetObjectDetailedMeta("c")
	mod, _ := http.ParseTime(h.Get("Last-Modified"))
	tests := []struct {
		name   string
		opt    oss.Option
		status int // 0: body returned
	}{
		{"If-Match hit", oss.IfMatch(etagOf(data)), 0},
		{"If-Match miss", oss.IfMatch(`"0000"`), 412},
		{"If-None-Match hit", oss.IfNoneMatch(etagOf(data)), 304},
		{"If-None-Match miss", oss.IfNoneMatch(`"0000"`), 0},
		{"If-Modified-Since before", oss.IfModifiedSince(mod.Add(-time.Hour)), 0},
		{"If-Modified-Since after", oss.IfModifiedSince(mod.Add(time.Hour)), 304},
		{"If-Unmodified-Since after", oss.IfUnmodifiedSince(mod.Add(time.Hour)), 0},
		{"If-Unmodified-Since before", oss.IfUnmodifiedSince(mod.Add(-time.Hour)), 412},
	}
	for _, tt := range tests {
		r, err := b.GetObject("c", tt.opt)
		switch {
		case tt.status == 0 && err != nil:
			t.Errorf("%s: GetObject = %v, want the body", tt.name, err)
		case tt.status == 412:
			wantCode(t, tt.name, err, "PreconditionFailed", 412)
		case tt.status == 304 && (err == nil || !strings.Contains(err.Error(), "304")):
			t.Errorf("%s: GetObject = %v, want 304", tt.name, err)
		}
		if r != nil {
			r.Close()
		}
	}
}

func TestDelete(t *testing.T) {
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		put(t, b, "d/1", []byte("1"))
		if err := b.DeleteObject("d/1"); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		_, err := b.GetObject("d/1")
		wantCode(t, "GetObject after delete", err, "NoSuchKey", 404)
		if err := b.DeleteObject("d/1"); err != nil {
			t.Errorf("DeleteObject of a missing key = %v, want nil (204)", err)
		}
		for _, k := range []string{"m/a", "m/b c", "m/+"} {
			put(t, b, k, []byte(k))
		}
		res, err := b.DeleteObjects([]string{"m/a", "m/b c", "m/+", "m/never"})
		if err != nil || len(res.DeletedObjects) != 4 {
			t.Fatalf("DeleteObjects = %+v, %v", res, err)
		}
		if got, _ := b.ListObjectsV2(oss.Prefix("m/")); len(got.Objects) != 0 {
			t.Errorf("objects left after DeleteObjects: %+v", got.Objects)
		}
		quiet, err := b.DeleteObjects([]string{"m/a"}, oss.DeleteObjectsQuiet(true))
		if err != nil || len(quiet.DeletedObjects) != 0 {
			t.Errorf("quiet DeleteObjects = %+v, %v", quiet, err)
		}
	})
}

func TestDeleteMultipleChecksMD5(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	put(t, b, "keep", []byte("x"))
	body := "<Delete><Quiet>false</Quiet><Object><Key>keep</Key></Object></Delete>"
	params := map[string]interface{}{"delete": nil}
	_, err := b.Do("POST", "", params, []oss.Option{oss.ContentMD5("1B2M2Y8AsgTpgAmY7PhCfg==")},
		strings.NewReader(body), nil)
	wantCode(t, "DeleteMultipleObjects with a wrong Content-MD5", err, "InvalidDigest", 400)
	_, err = b.Do("POST", "", params, nil, strings.NewReader(body), nil)
	wantCode(t, "DeleteMultipleObjects without Content-MD5", err, "InvalidArgument", 400)
	if ok, _ := b.IsObjectExist("keep"); !ok {
		t.Error("refused DeleteMultipleObjects deleted the object")
	}
}

func TestCopyObject(t *testing.T) {
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		data := []byte("source bytes")
		put(t, b, "src/a b.txt", data, oss.Meta("k", "v"), oss.ContentType("text/plain"))
		res, err := b.CopyObject("src/a b.txt", "dst/copy")
		if err != nil || res.ETag != etagOf(data) {
			t.Fatalf("CopyObject = %+v, %v", res, err)
		}
		h, _ := b.GetObjectDetailedMeta("dst/copy")
		if h.Get("X-Oss-Meta-K") != "v" || h.Get("Content-Type") != "text/plain" {
			t.Errorf("COPY directive lost metadata: %v", h)
		}
		_, err = b.CopyObject("src/a b.txt", "dst/replaced", oss.MetadataDirective(oss.MetaReplace),
			oss.ContentType("application/json"), oss.Meta("n", "w"))
		h, _ = b.GetObjectDetailedMeta("dst/replaced")
		if err != nil || h.Get("X-Oss-Meta-K") != "" || h.Get("X-Oss-Meta-N") != "w" ||
			h.Get("Content-Type") != "application/json" {
			t.Errorf("REPLACE directive: %v, headers %v", err, h)
		}
		if got := get(t, b, "dst/replaced"); !bytes.Equal(got, data) {
			t.Errorf("copy content = %q", got)
		}
		_, err = b.CopyObject("src/none", "dst/x")
		wantCode(t, "copy of a missing source", err, "NoSuchKey", 404)
		_, err = b.CopyObject("src/a b.txt", "dst/x", oss.CopySourceIfMatch(`"0000"`))
		wantCode(t, "copy with a failed condition", err, "PreconditionFailed", 412)
		_, err = b.CopyObject("src/a b.txt", "dst/copy", oss.ForbidOverWrite(true))
		wantCode(t, "copy onto an existing key", err, "FileAlreadyExists", 409)
	})
}

func TestListObjectsV2(t *testing.T) {
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		keys := []string{"a", "p/1", "p/2", "p/d/x", "p/d/y", "p/e/z", "p/f", "q"}
		for _, k := range keys {
			put(t, b, k, []byte(k))
		}
		var got []string
		token := ""
		for range 10 {
			opts := []oss.Option{oss.Prefix("p/"), oss.Delimiter("/"), oss.MaxKeys(2)}
			if token != "" {
				opts = append(opts, oss.ContinuationToken(token))
			}
			res, err := b.ListObjectsV2(opts...)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				got = append(got, o.Key)
			}
			got = append(got, res.CommonPrefixes...)
			if !res.IsTruncated {
				break
			}
			token = res.NextContinuationToken
		}
		want := "[p/1 p/2 p/d/ p/e/ p/f]"
		if s := sortedString(got); s != want {
			t.Errorf("paged listing = %v, want %s", s, want)
		}
		res, err := b.ListObjectsV2(oss.StartAfter("p/d/x"))
		if err != nil || len(res.Objects) != 4 || res.Objects[0].Key != "p/d/y" {
			t.Errorf("StartAfter listing = %+v, %v", res.Objects, err)
		}
		_, err = b.ListObjectsV2(oss.MaxKeys(5000))
		wantCode(t, "max-keys over 1000", err, "InvalidArgument", 400)
	})
}

func sortedString(s []string) string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return "[" + strings.Join(c, " ") + "]"
}

func TestListObjectsV1(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	for _, k := range []string{"k1", "k2", "k3", "k 4"} {
		put(t, b, k, []byte(k))
	}
	var got []string
	marker := ""
	for range 10 {
		res, err := b.ListObjects(oss.Marker(marker), oss.MaxKeys(3))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			got = append(got, o.Key)
		}
		if !res.IsTruncated {
			break
		}
		marker = res.NextMarker
	}
	if s := strings.Join(got, ","); s != "k 4,k1,k2,k3" {
		t.Errorf("ListObjects pages = %s", s)
	}
}

func TestTagging(t *testing.T) {
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		tags := oss.Tagging{Tags: []oss.Tag{{Key: "kind", Value: "contract"},
			{Key: "v", Value: "1 & 2"}}}
		put(t, b, "t", []byte("x"), oss.SetTagging(tags))
		got, err := b.GetObjectTagging("t")
		if err != nil || len(got.Tags) != 2 || got.Tags[1].Value != "1 & 2" {
			t.Fatalf("GetObjectTagging = %+v, %v", got, err)
		}
		h, _ := b.GetObjectDetailedMeta("t")
		if h.Get("X-Oss-Tagging-Count") != "2" {
			t.Errorf("x-oss-tagging-count = %q", h.Get("X-Oss-Tagging-Count"))
		}
		one := oss.Tagging{Tags: []oss.Tag{{Key: "a", Value: "b"}}}
		if err := b.PutObjectTagging("t", one); err != nil {
			t.Fatalf("PutObjectTagging: %v", err)
		}
		if got, _ := b.GetObjectTagging("t"); len(got.Tags) != 1 || got.Tags[0].Key != "a" {
			t.Errorf("after PutObjectTagging: %+v", got)
		}
		if err := b.DeleteObjectTagging("t"); err != nil {
			t.Fatalf("DeleteObjectTagging: %v", err)
		}
		if got, _ := b.GetObjectTagging("t"); len(got.Tags) != 0 {
			t.Errorf("after DeleteObjectTagging: %+v", got)
		}
		_, err = b.GetObjectTagging("missing")
		wantCode(t, "tagging of a missing object", err, "NoSuchKey", 404)
	})
}

func TestForbidOverwriteAndMD5(t *testing.T) {
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		put(t, b, "f", []byte("first"), oss.ForbidOverWrite(true))
		err := b.PutObject("f", strings.NewReader("second"), oss.ForbidOverWrite(true))
		wantCode(t, "overwrite with x-oss-forbid-overwrite", err, "FileAlreadyExists", 409)
		if got := get(t, b, "f"); string(got) != "first" {
			t.Errorf("object after refused overwrite = %q", got)
		}
		err = b.PutObject("m", strings.NewReader("body"),
			oss.ContentMD5("1B2M2Y8AsgTpgAmY7PhCfg=="))
		wantCode(t, "PutObject with a wrong Content-MD5", err, "InvalidDigest", 400)
		err = b.PutObject("m", strings.NewReader("body"), oss.ContentMD5("not base64"))
		wantCode(t, "PutObject with a malformed Content-MD5", err, "InvalidDigest", 400)
		if ok, _ := b.IsObjectExist("m"); ok {
			t.Error("a refused PutObject created the object")
		}
		put(t, b, "m", []byte("body"), oss.ContentMD5("hBotaJrYa9FhFEdFPCLG/A=="))
	})
}

func TestMaxObjectSize(t *testing.T) {
	limit := ossemutest.WithConfig(func(c *ossemu.Config) { c.MaxObjectSize = 1000 })
	env := ossemutest.Start(t, limit)
	b := env.Client(t)
	err := b.PutObject("big", bytes.NewReader(sized(1001)))
	wantCode(t, "PutObject over MaxObjectSize", err, "EntityTooLarge", 400)
	put(t, b, "ok", sized(1000))
}

func TestRestartKeepsObjects(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	put(t, b, "durable", []byte("still here"), oss.Meta("m", "1"))
	imur, err := b.InitiateMultipartUpload("mp")
	if err != nil {
		t.Fatal(err)
	}
	part, err := b.UploadPart(imur, bytes.NewReader([]byte("part")), 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	env.Restart(t)
	if got := get(t, b, "durable"); string(got) != "still here" {
		t.Errorf("after restart = %q", got)
	}
	if h, _ := b.GetObjectDetailedMeta("durable"); h.Get("X-Oss-Meta-M") != "1" {
		t.Errorf("metadata lost in restart: %v", h)
	}
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{part}); err != nil {
		t.Errorf("completing an upload begun before the restart: %v", err)
	}
}

func TestUnreferencedDataRemovedOnOpen(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	big := sized(300 << 10) // Above the inline limit: a data file.
	put(t, b, "a", big)
	put(t, b, "a", append([]byte("2"), big...))
	put(t, b, "small", []byte("1"))
	put(t, b, "small", []byte("2"))
	env.Server.Close()
	root := filepath.Join(env.Dir, env.Bucket)
	os.WriteFile(filepath.Join(root, "data", "ffstray"), []byte("orphan"), 0o644)
	withIndex(t, filepath.Join(root, "index.db"), func(tx *bolt.Tx) error {
		_, err := boltblob.Put(tx.Bucket([]byte("blobs")), []byte("orphan"))
		return err
	})
	env.Restart(t)
	files, _ := filepath.Glob(filepath.Join(root, "data", "*"))
	if len(files) != 1 {
		t.Errorf("data files after restart = %v, want only the live one", files)
	}
	env.Server.Close()
	var inline []uint64
	withIndex(t, filepath.Join(root, "index.db"), func(tx *bolt.Tx) error {
		return boltblob.IDs(tx.Bucket([]byte("blobs")), func(id uint64) error {
			inline = append(inline, id)
			return nil
		})
	})
	if len(inline) != 1 {
		t.Errorf("inline data after restart = %v, want only the live one", inline)
	}
	env.Restart(t)
	if got := get(t, env.Client(t), "small"); string(got) != "2" {
		t.Errorf("small = %q, want 2", got)
	}
}

// withIndex runs fn in a write transaction on a closed bucket's index.
func withIndex(t *testing.T, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// TestSmallAndLargeObjects puts, reads, copies, overwrites and deletes
// objects on both sides of the inline limit (index entries below it, data
// files above) and reads them again after a restart.
func TestSmallAndLargeObjects(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	sizes := []int{0, 1, 256 << 10, 256<<10 + 1, 1 << 20}
	for _, n := range sizes {
		key := fmt.Sprintf("obj-%d", n)
		data := sized(n)
		put(t, b, key, data)
		if got := get(t, b, key); !bytes.Equal(got, data) {
			t.Fatalf("%s: read %d bytes back, want %d", key, len(got), n)
		}
		if n > 10 {
			got := get(t, b, key, oss.Range(int64(n/2), int64(n/2+9)))
			if !bytes.Equal(got, data[n/2:n/2+10]) {
				t.Fatalf("%s: range = %q, want %q", key, got, data[n/2:n/2+10])
			}
		}
		if _, err := b.CopyObject(key, key+"-copy"); err != nil {
			t.Fatalf("%s: copy: %v", key, err)
		}
		put(t, b, key, append([]byte("v2"), data...))
	}
	env.Restart(t)
	b = env.Client(t)
	for _, n := range sizes {
		key := fmt.Sprintf("obj-%d", n)
		if got := get(t, b, key); !bytes.Equal(got, append([]byte("v2"), sized(n)...)) {
			t.Errorf("%s after restart: %d bytes, not the overwrite", key, len(got))
		}
		if err := b.DeleteObject(key); err != nil {
			t.Fatal(err)
		}
		if got := get(t, b, key+"-copy"); !bytes.Equal(got, sized(n)) {
			t.Errorf("%s-copy after the original's delete: %d bytes, want %d", key, len(got), n)
		}
	}
	files, _ := filepath.Glob(filepath.Join(env.Dir, env.Bucket, "data", "*"))
	if len(files) != 2 {
		t.Errorf("data files = %d, want the 2 copies above the inline limit", len(files))
	}
}

// TestLegacyLayoutImported rebuilds a bucket in the layout of buckets
// made before index.db (a metadata file per object under meta/<hh>/, data
// files under data/<hh>/) and checks that a restart imports the metadata,
// keeps the data where it is, and reads, overwrites and adds objects.
func TestLegacyLayoutImported(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	kept := sized(300 << 10) // Legacy buckets kept every object in a file.
	put(t, b, "old", kept)
	put(t, b, "gone", []byte("deleted later"))
	if err := b.DeleteObject("gone"); err != nil {
		t.Fatal(err)
	}
	env.Server.Close()
	root := filepath.Join(env.Dir, env.Bucket)
	metas := legacyMeta(t, filepath.Join(root, "index.db"))
	if len(metas) != 1 {
		t.Fatalf("index holds %d objects, want 1", len(metas))
	}
	for key, meta := range metas {
		sum := sha256.Sum256([]byte(key))
		h := hex.EncodeToString(sum[:])
		writeFileAll(t, filepath.Join(root, "meta", h[:2], h+".json"), meta)
	}
	files, _ := filepath.Glob(filepath.Join(root, "data", "*"))
	if len(files) != 1 {
		t.Fatalf("data files = %v, want one", files)
	}
	name := filepath.Base(files[0])
	writeFileAll(t, filepath.Join(root, "data", name[:2], name), readFile(t, files[0]))
	for _, p := range []string{files[0], filepath.Join(root, "index.db"),
		filepath.Join(root, "layout")} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}

	env.Restart(t)
	b = env.Client(t)
	if got := get(t, b, "old"); !bytes.Equal(got, kept) {
		t.Fatalf("old object after restart: %d bytes, want %d", len(got), len(kept))
	}
	if _, err := os.Stat(filepath.Join(root, "meta")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("legacy metadata left after import: %v", err)
	}
	put(t, b, "old", append([]byte("new"), kept...))
	put(t, b, "added", kept)
	env.Restart(t)
	b = env.Client(t)
	if got := get(t, b, "old"); !bytes.HasPrefix(got, []byte("new")) {
		t.Errorf("overwritten object starts %q, want new", got[:min(len(got), 3)])
	}
	if got := get(t, b, "added"); !bytes.Equal(got, kept) {
		t.Errorf("added object: %d bytes, want %d", len(got), len(kept))
	}
	if got, _ := os.ReadFile(filepath.Join(root, "layout")); string(got) != "sharded\n" {
		t.Errorf("layout = %q, want sharded", got)
	}
	if sharded, _ := filepath.Glob(filepath.Join(root, "data", "??", "*")); len(sharded) != 2 {
		t.Errorf("sharded data files = %v, want both objects in shards", sharded)
	}
}

// legacyMeta returns the metadata JSON of every object in an index file.
func legacyMeta(t *testing.T, path string) map[string][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]byte{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("objects")).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFileAll(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestConcurrentWrites(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := bytes.Repeat([]byte{byte('a' + i)}, 50_000)
			if err := b.PutObject("same", bytes.NewReader(body)); err != nil {
				t.Errorf("PutObject: %v", err)
			}
			if err := b.PutObject("own/"+string(rune('a'+i)), bytes.NewReader(body)); err != nil {
				t.Errorf("PutObject: %v", err)
			}
		}()
	}
	wg.Wait()
	got := get(t, b, "same")
	if len(got) != 50_000 || bytes.Count(got, got[:1]) != 50_000 {
		t.Errorf("concurrent overwrites mixed bodies")
	}
	if res, _ := b.ListObjectsV2(oss.Prefix("own/")); len(res.Objects) != 8 {
		t.Errorf("listed %d of 8 objects", len(res.Objects))
	}
}

func TestCORS(t *testing.T) {
	env := ossemutest.Start(t)
	req, _ := http.NewRequest(http.MethodOptions, env.Endpoint+"/"+env.Bucket+"/k", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-oss-forbid-overwrite")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "PUT") ||
		h.Get("Access-Control-Allow-Headers") != "content-type,x-oss-forbid-overwrite" {
		t.Errorf("preflight = %d %v", resp.StatusCode, h)
	}
	req.Header.Del("Origin")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("preflight without Origin = %d, want 400", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, env.Endpoint+"/"+env.Bucket+"/k", nil)
	req.Header.Set("Origin", "https://app.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("cross-origin response exposes %q",
			resp.Header.Get("Access-Control-Expose-Headers"))
	}
}

// rawGet fetches a URL without the SDK and returns status and body.
func rawGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

func TestErrorDocuments(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	u, _ := b.SignURL("missing", oss.HTTPGet, 60)
	status, body := rawGet(t, u)
	for _, want := range []string{"<Code>NoSuchKey</Code>", "<Message>", "<RequestId>", "<HostId>",
		"<EC>0026-00000001</EC>"} {
		if !strings.Contains(body, want) {
			t.Errorf("error body %q lacks %s", body, want)
		}
	}
	if status != 404 {
		t.Errorf("status = %d, want 404", status)
	}
	_, err := b.GetObjectDetailedMeta("missing")
	wantCode(t, "HEAD of a missing key (x-oss-err)", err, "NoSuchKey", 404)
	other, _ := b.Client.Bucket("no-such-bucket")
	_, err = other.GetObject("k")
	wantCode(t, "GET in a missing bucket", err, "NoSuchBucket", 404)
	status, body = rawGet(t, env.Endpoint+"/"+env.Bucket+"/k")
	if status != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Errorf("anonymous GET = %d %s, want 403 AccessDenied", status, body)
	}
}

// cutReader gives n bytes, then fails as a dropped connection would.
type cutReader struct{ n int }

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n == 0 {
		return 0, errors.New("connection dropped")
	}
	k := min(len(p), c.n)
	clear(p[:k])
	c.n -= k
	return k, nil
}

// TestCutBodyStoresNothing sends PUTs whose bodies stop short of their
// Content-Length, small (inline) and large (a file): neither may become
// the object, and an object already at the key must stay as it was.
func TestCutBodyStoresNothing(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	put(t, b, "kept", []byte("old"))
	for _, size := range []int{1000, 1 << 20} {
		for _, key := range []string{"new", "kept"} {
			url, err := b.SignURL(key, oss.HTTPPut, 60)
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest(http.MethodPut, url, &cutReader{n: size / 2})
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(size)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				t.Fatalf("PUT of %d bytes cut at half: %s, want the request to fail",
					size, resp.Status)
			}
		}
		if ok, err := b.IsObjectExist("new"); err != nil || ok {
			t.Errorf("after a cut %d-byte PUT: object exists %v (%v), want none", size, ok, err)
		}
		if got := get(t, b, "kept"); string(got) != "old" {
			t.Errorf("after a cut %d-byte PUT over it: %d bytes, want old", size, len(got))
		}
	}
}
