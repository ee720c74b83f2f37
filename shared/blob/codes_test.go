package blob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/blob/blobtest"
)

func ossCode(err error) string {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// TestGrantRefusalCodes checks the exact OSS error code of each refused
// browser upload against the emulator, and that only the accepted upload
// produced an event.
func TestGrantRefusalCodes(t *testing.T) {
	for _, v4 := range []bool{false, true} {
		env := ossemutest.Start(t)
		cfg := emulatorConfig(env, v4)
		store, err := blob.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		sig := "Signature"
		if v4 {
			sig = "x-oss-signature"
		}
		spec := blob.GrantSpec{MinSize: 10, MaxSize: 100, ContentTypes: []string{"application/pdf"},
			Expiry: time.Minute}
		tests := []struct {
			name     string
			body     string
			ctype    string
			fields   map[string]string
			advance  time.Duration
			wantCode string
		}{
			{"accepted", strings.Repeat("a", 50), "", nil, 0, ""},
			{"over size range", strings.Repeat("a", 101), "", nil, 0, "EntityTooLarge"},
			{"under size range", "tiny", "", nil, 0, "EntityTooSmall"},
			{"wrong content type", strings.Repeat("a", 50), "application/x-msdownload", nil, 0,
				"AccessDenied"},
			{"expired policy", strings.Repeat("a", 50), "", nil, 2 * time.Minute, "AccessDenied"},
			{"key outside the grant", strings.Repeat("a", 50), "",
				map[string]string{"key": "other"}, 0,
				"AccessDenied"},
			{"tampered signature", strings.Repeat("a", 50), "", map[string]string{sig: "bad"}, 0,
				"SignatureDoesNotMatch"},
		}
		for _, tt := range tests {
			key := "codes/" + strings.ReplaceAll(tt.name, " ", "-")
			g, err := store.PutGrant(key, spec)
			if err != nil {
				t.Fatal(err)
			}
			env.Advance(tt.advance)
			ctype := tt.ctype
			if ctype == "" {
				ctype = "application/pdf"
			}
			_, err = blobtest.Post(context.Background(), g, blobtest.Upload{Filename: "f.pdf",
				ContentType: ctype, Body: strings.NewReader(tt.body), Fields: tt.fields})
			env.Advance(-tt.advance)
			if got := ossCode(err); got != tt.wantCode || (tt.wantCode == "") != (err == nil) {
				t.Errorf("v4=%v %s: Post = %v (code %q), want code %q", v4, tt.name, err, got,
					tt.wantCode)
			}
		}
		events := env.Events()
		if len(events) != 1 || events[0].EventName != "ObjectCreated:PostObject" ||
			events[0].Key != "codes/accepted" {
			t.Errorf("v4=%v: events = %+v, want one ObjectCreated:PostObject of codes/accepted", v4,
				events)
		}
	}
}

func TestSentinels(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   error
	}{
		{404, "NoSuchKey", blob.ErrNotFound},
		{404, "NoSuchBucket", blob.ErrNotFound},
		{409, "FileAlreadyExists", blob.ErrExists},
		{403, "AccessDenied", blob.ErrDenied},
		{403, "SignatureDoesNotMatch", blob.ErrDenied},
		{403, "InvalidAccessKeyId", blob.ErrDenied},
		{403, "RequestTimeTooSkewed", blob.ErrDenied},
		{400, "EntityTooLarge", blob.ErrTooLarge},
		{400, "EntityTooSmall", blob.ErrInvalid},
		{400, "InvalidDigest", blob.ErrInvalid},
		{400, "InvalidArgument", blob.ErrInvalid},
		{412, "PreconditionFailed", blob.ErrInvalid},
		{404, "", blob.ErrNotFound},
		{403, "", blob.ErrDenied},
	}
	for _, tt := range tests {
		body := []byte("<Error><Code>" + tt.code + "</Code><Message>m</Message></Error>")
		err := blob.ResponseError("op", "k", tt.status, body)
		if !errors.Is(err, tt.want) {
			t.Errorf("ResponseError(%d, %s) = %v, want %v", tt.status, tt.code, err, tt.want)
		}
	}
	if err := blob.ResponseError("op", "k", 204, nil); err != nil {
		t.Errorf("ResponseError(204) = %v, want nil", err)
	}
}

// TestOpenDetectsCorruption corrupts an object's bytes behind the emulator's
// back: the CRC-64 OSS reports no longer matches, and the read must fail.
func TestOpenDetectsCorruption(t *testing.T) {
	env := ossemutest.Start(t)
	store, err := blob.New(emulatorConfig(env, false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Above the emulator's inline limit, so that the bytes are in a file.
	data := bytes.Repeat([]byte("xietong"), 50_000)
	if err := store.Put(ctx, "k", bytes.NewReader(data), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SHA256(ctx, "k"); err != nil {
		t.Fatalf("SHA256 of an intact object: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(env.Dir, env.Bucket, "data", "*"))
	if len(files) != 1 {
		t.Fatalf("data files = %v, want one", files)
	}
	corrupt := bytes.Repeat([]byte("XIETONG"), 50_000)
	if err := os.WriteFile(files[0], corrupt, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SHA256(ctx, "k"); err == nil || !strings.Contains(err.Error(), "crc64") {
		t.Errorf("SHA256 of a corrupted object = %v, want a crc64 mismatch", err)
	}
}
