package ossemu_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
)

func TestMultipartUpload(t *testing.T) {
	forEachAuth(t, func(t *testing.T, env *ossemutest.Env, b *oss.Bucket) {
		chunks := [][]byte{sized(100 << 10), bytes.Repeat([]byte("B"), 100<<10), []byte("tail")}
		imur, err := b.InitiateMultipartUpload("mp/合同.pdf", oss.Meta("who", "u1"))
		if err != nil {
			t.Fatalf("InitiateMultipartUpload: %v", err)
		}
		var parts []oss.UploadPart
		for i, c := range chunks {
			p, err := b.UploadPart(imur, bytes.NewReader(c), int64(len(c)), i+1)
			if err != nil {
				t.Fatalf("UploadPart %d: %v", i+1, err)
			}
			parts = append(parts, p)
		}
		lp, err := b.ListUploadedParts(imur)
		if err != nil || len(lp.UploadedParts) != 3 || lp.Key != "mp/合同.pdf" ||
			lp.UploadedParts[2].Size != 4 {
			t.Fatalf("ListUploadedParts = %+v, %v", lp, err)
		}
		res, err := b.CompleteMultipartUpload(imur, parts)
		if err != nil || !strings.HasSuffix(res.ETag, `-3"`) {
			t.Fatalf("CompleteMultipartUpload = %+v, %v", res, err)
		}
		whole := bytes.Join(chunks, nil)
		if got := get(t, b, "mp/合同.pdf"); !bytes.Equal(got, whole) {
			t.Errorf("assembled object differs (%d bytes, want %d)", len(got), len(whole))
		}
		h, _ := b.GetObjectDetailedMeta("mp/合同.pdf")
		if h.Get("X-Oss-Hash-Crc64ecma") != crcOf(whole) || h.Get("X-Oss-Meta-Who") != "u1" ||
			h.Get("X-Oss-Object-Type") != "Multipart" ||
			h.Get("Content-Type") != "application/pdf" {
			t.Errorf("multipart object headers = %v", h)
		}
		if err := b.GetObjectToFile("mp/合同.pdf", filepath.Join(t.TempDir(), "f")); err != nil {
			t.Errorf("GetObjectToFile checks the combined CRC: %v", err)
		}
		_, err = b.ListUploadedParts(imur)
		wantCode(t, "ListUploadedParts after complete", err, "NoSuchUpload", 404)
	})
}

func TestMultipartErrors(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	imur, err := b.InitiateMultipartUpload("e")
	if err != nil {
		t.Fatal(err)
	}
	small, err := b.UploadPart(imur, strings.NewReader("small"), 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	last, err := b.UploadPart(imur, strings.NewReader("last"), 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{small, last})
	wantCode(t, "complete with a small first part", err, "EntityTooSmall", 400)
	_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{{PartNumber: 2, ETag: `"00"`}})
	wantCode(t, "complete with a wrong ETag", err, "InvalidPart", 400)
	_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{{PartNumber: 7, ETag: last.ETag}})
	wantCode(t, "complete with a part never uploaded", err, "InvalidPart", 400)
	unsorted := `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>` + last.ETag +
		`</ETag></Part><Part><PartNumber>1</PartNumber><ETag>` + small.ETag +
		`</ETag></Part></CompleteMultipartUpload>`
	_, err = b.Do("POST", "e", map[string]interface{}{"uploadId": imur.UploadID}, nil,
		strings.NewReader(unsorted), nil)
	wantCode(t, "complete with parts out of order", err, "InvalidPartOrder", 400)
	_, err = b.UploadPart(imur, strings.NewReader("x"), 1, 10001)
	wantCode(t, "part number 10001", err, "InvalidArgument", 400)
	if err := b.AbortMultipartUpload(imur); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err = b.UploadPart(imur, strings.NewReader("x"), 1, 1)
	wantCode(t, "UploadPart after abort", err, "NoSuchUpload", 404)
	err = b.AbortMultipartUpload(imur)
	wantCode(t, "second abort", err, "NoSuchUpload", 404)
	if ok, _ := b.IsObjectExist("e"); ok {
		t.Error("an aborted upload created the object")
	}
	if len(env.Events()) != 0 {
		t.Errorf("events = %+v, want none", env.Events())
	}
}

func TestMultipartForbidOverwrite(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	imur, err := b.InitiateMultipartUpload("x")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := b.UploadPart(imur, strings.NewReader("x"), 1, 1)
	put(t, b, "x", []byte("meanwhile"))
	_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{p}, oss.ForbidOverWrite(true))
	wantCode(t, "complete onto an existing key", err, "FileAlreadyExists", 409)
	_, err = b.InitiateMultipartUpload("x", oss.ForbidOverWrite(true))
	wantCode(t, "initiate onto an existing key", err, "FileAlreadyExists", 409)
}
