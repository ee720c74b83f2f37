package ossemu_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
)

func TestSignatureErrors(t *testing.T) {
	for _, av := range authVersions {
		t.Run(av.name, func(t *testing.T) {
			env := ossemutest.Start(t)
			client := func(ak, secret string, extra ...oss.ClientOption) *oss.Bucket {
				opts := append([]oss.ClientOption{oss.Region(env.Region)}, av.opts...)
				c, err := oss.New(env.Endpoint, ak, secret, append(opts, extra...)...)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := c.Bucket(env.Bucket)
				return b
			}
			good := client(env.AccessKeyID, env.AccessKeySecret)
			put(t, good, "k", []byte("v"))

			_, err := client(env.AccessKeyID, "wrong-secret").GetObject("k")
			wantCode(t, "wrong secret", err, "SignatureDoesNotMatch", 403)
			err = client(env.AccessKeyID, "wrong-secret").PutObject("k2", strings.NewReader("x"))
			wantCode(t, "PUT with a wrong secret", err, "SignatureDoesNotMatch", 403)
			_, err = client("LTAIunknown", env.AccessKeySecret).GetObject("k")
			wantCode(t, "unknown AccessKey ID", err, "InvalidAccessKeyId", 403)
			sts := client(env.AccessKeyID, env.AccessKeySecret, oss.SecurityToken("sts-token"))
			_, err = sts.GetObject("k")
			if err != nil {
				t.Errorf("STS-signed request: %v", err)
			}

			env.Advance(20 * time.Minute)
			_, err = good.GetObject("k")
			wantCode(t, "request 20 minutes behind the server", err, "RequestTimeTooSkewed", 403)
			env.Advance(-40 * time.Minute)
			_, err = good.GetObject("k")
			wantCode(t, "request 20 minutes ahead of the server", err, "RequestTimeTooSkewed", 403)
			env.Advance(30 * time.Minute)
			if _, err := good.GetObject("k"); err != nil {
				t.Errorf("request 10 minutes behind (within 15): %v", err)
			}
			if ok, _ := good.IsObjectExist("k2"); ok {
				t.Error("a refused PUT created the object")
			}
		})
	}
}

func TestAdditionalHeaders(t *testing.T) {
	env := ossemutest.Start(t)
	for _, av := range authVersions {
		opts := append([]oss.ClientOption{oss.AdditionalHeaders([]string{"Host", "User-Agent"})},
			av.opts...)
		b := env.Client(t, opts...)
		put(t, b, "ah", []byte(av.name))
		if got := get(t, b, "ah"); string(got) != av.name {
			t.Errorf("%s with additional signed headers read %q", av.name, got)
		}
	}
}

func TestV4WrongRegion(t *testing.T) {
	env := ossemutest.Start(t)
	c, _ := oss.New(env.Endpoint, env.AccessKeyID, env.AccessKeySecret,
		oss.AuthVersion(oss.AuthV4), oss.Region("cn-beijing"))
	b, _ := c.Bucket(env.Bucket)
	_, err := b.GetObject("k")
	wantCode(t, "V4 scoped to another region", err, "InvalidArgument", 400)
}

func TestPresignedURLs(t *testing.T) {
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		putURL, err := b.SignURL("p/上传 1.pdf", oss.HTTPPut, 60,
			oss.ContentType("application/pdf"),
			oss.ForbidOverWrite(true))
		if err != nil {
			t.Fatal(err)
		}
		err = b.PutObjectWithURL(putURL, strings.NewReader("%PDF presigned"),
			oss.ContentType("application/pdf"), oss.ForbidOverWrite(true))
		if err != nil {
			t.Fatalf("PutObjectWithURL: %v", err)
		}
		err = b.PutObjectWithURL(putURL, strings.NewReader("again"),
			oss.ContentType("application/pdf"), oss.ForbidOverWrite(true))
		wantCode(t, "second presigned PUT", err, "FileAlreadyExists", 409)
		err = b.PutObjectWithURL(putURL, strings.NewReader("x"), oss.ContentType("text/html"),
			oss.ForbidOverWrite(true))
		wantCode(t, "presigned PUT with another Content-Type", err, "SignatureDoesNotMatch", 403)

		getURL, err := b.SignURL("p/上传 1.pdf", oss.HTTPGet, 60)
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.GetObjectWithURL(getURL)
		if err != nil {
			t.Fatalf("GetObjectWithURL: %v", err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(r)
		r.Close()
		if buf.String() != "%PDF presigned" {
			t.Errorf("presigned GET = %q", buf.String())
		}
		otherKey := strings.Replace(getURL, "/p%2F", "/q%2F", 1)
		if otherKey == getURL {
			t.Fatalf("URL %s does not name the key as expected", getURL)
		}
		status, _ := rawGet(t, otherKey)
		if status != 403 {
			t.Errorf("presigned GET of another key = %d, want 403", status)
		}
		env.Advance(2 * time.Minute)
		_, err = b.GetObjectWithURL(getURL)
		wantCode(t, "expired presigned GET", err, "AccessDenied", 403)
	})
}

func TestPresignedResponseOverrides(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	put(t, b, "o", []byte("x"))
	disp := oss.ResponseContentDisposition(`attachment; filename="o.txt"`)
	u, _ := b.SignURL("o", oss.HTTPGet, 60, disp)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="o.txt"` {
		t.Errorf("Content-Disposition = %q", got)
	}
}
