package ossemu_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"hash/crc64"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
)

// authVersions are the client configurations every SDK test runs with.
var authVersions = []struct {
	name string
	opts []oss.ClientOption
}{
	{"V1", nil},
	{"V4", []oss.ClientOption{oss.AuthVersion(oss.AuthV4)}},
}

// forEachAuth runs f with a fresh emulator and a client of each signature
// version.
func forEachAuth(t *testing.T, f func(t *testing.T, env *ossemutest.Env, b *oss.Bucket)) {
	for _, av := range authVersions {
		t.Run(av.name, func(t *testing.T) {
			env := ossemutest.Start(t)
			f(t, env, env.Client(t, av.opts...))
		})
	}
}

// codeOf returns the OSS error code and status of err, if it is one.
func codeOf(err error) (string, int) {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se.Code, se.StatusCode
	}
	return "", 0
}

// wantCode fails unless err is the OSS error code with status.
func wantCode(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	if c, s := codeOf(err); c != code || s != status {
		t.Errorf("%s = %v; want %s (%d)", what, err, code, status)
	}
}

func put(t *testing.T, b *oss.Bucket, key string, data []byte, opts ...oss.Option) {
	t.Helper()
	if err := b.PutObject(key, bytes.NewReader(data), opts...); err != nil {
		t.Fatalf("PutObject(%q): %v", key, err)
	}
}

func get(t *testing.T, b *oss.Bucket, key string, opts ...oss.Option) []byte {
	t.Helper()
	r, err := b.GetObject(key, opts...)
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data
}

func etagOf(data []byte) string {
	sum := md5.Sum(data)
	return `"` + strings.ToUpper(hex.EncodeToString(sum[:])) + `"`
}

func crcOf(data []byte) string {
	return strconv.FormatUint(crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)), 10)
}

// sized returns n bytes of a repeating pattern.
func sized(n int) []byte {
	return bytes.Repeat([]byte("abcdefghij"), n/10+1)[:n]
}
