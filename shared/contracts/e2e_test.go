package contracts

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/blob/blobtest"
)

// pdfBytes returns a PDF-looking file of n bytes.
func pdfBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	r.Read(b)
	copy(b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return b
}

// docxBytes returns a minimal Word document.
func docxBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("<?xml version=\"1.0\"?><x>" + strings.Repeat("contract ", 200) + "</x>"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestEndToEnd(t *testing.T) {
	st := newStack(t, Config{})
	c := st.newContract("lead")
	if c.Status != Draft || c.LatestVersion != 0 || c.Corp != uni {
		t.Fatalf("created %+v, want a draft of %s without versions", c, uni)
	}

	first := pdfBytes(300_000, 1)
	g1 := st.grant("lead", c, "erp-contract.pdf", TypePDF)
	if err := st.post(g1, first, TypePDF, nil); err != nil {
		t.Fatalf("PostObject: %v", err)
	}
	vs := st.versions("lead", c)
	if len(vs) != 1 || vs[0].Number != 1 || vs[0].SHA256 != sha(first) ||
		vs[0].Size != int64(len(first)) || vs[0].UploadedBy != uni+":lead1" {
		t.Fatalf("versions after one upload = %s, want version 1 with sha256 %s", js(vs),
			sha(first))
	}
	if got := st.download(t, "lead", c, 1); !bytes.Equal(got, first) {
		t.Fatalf("download of version 1: %d bytes differ from the %d uploaded", len(got),
			len(first))
	}

	second := docxBytes(t)
	g2 := st.grant("supplier", c, "erp-contract-v2.docx", TypeDOCX)
	if err := st.post(g2, second, TypeDOCX, nil); err != nil {
		t.Fatalf("PostObject v2: %v", err)
	}
	after := st.versions("lead", c)
	if len(after) != 2 || after[1].Number != 2 || after[1].SHA256 != sha(second) ||
		after[1].UploadedBy != supplier+":sup1" {
		t.Fatalf("versions after two uploads = %s", js(after))
	}
	if diff := cmp.Diff(vs[0], after[0]); diff != "" {
		t.Errorf("version 1 changed (-before +after):\n%s", diff)
	}
	if got := st.download(t, "exec", c, 1); !bytes.Equal(got, first) {
		t.Error("version 1's bytes changed after version 2")
	}
	var got Contract
	st.mustCall(200, "viewer", "GET", "/api/contracts/"+uni+"/"+c.ID, nil, &got)
	if got.LatestVersion != 2 {
		t.Errorf("contract latestVersion = %d, want 2", got.LatestVersion)
	}
	if u := st.upload(c, g1.Upload.ID); u.Status != UploadRecorded || u.Version != 1 {
		t.Errorf("upload 1 = %+v, want recorded as version 1", u)
	}
	if n := st.ledgerRequests(c); n != 2 {
		t.Errorf("ledger record requests = %d, want 2", n)
	}
	if errs := st.handlerErrors(); len(errs) > 0 {
		t.Errorf("OSS handler errors: %v", errs)
	}
}

func (st *stack) download(t *testing.T, who string, c *Contract, n int) []byte {
	t.Helper()
	var d DownloadResponse
	st.mustCall(200, who, "GET", "/api/contracts/"+uni+"/"+c.ID+"/versions/"+itoa(n)+"/download",
		nil, &d)
	res, _, err := blobtest.Get(context.Background(), d.URL)
	if err != nil {
		t.Fatalf("GET %s: %v", d.URL, err)
	}
	if d.Version.SHA256 != sha(res.Body) {
		t.Errorf("downloaded bytes hash to %s, the version says %s", sha(res.Body),
			d.Version.SHA256)
	}
	return res.Body
}

func TestRefusedUploads(t *testing.T) {
	st := newStack(t, Config{MaxUploadSize: 64 << 10})
	pdf := pdfBytes(10_000, 2)
	png := append([]byte("\x89PNG\r\n\x1a\n"), pdfBytes(2000, 3)[20:]...)
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), pdfBytes(4000, 4)...)
	elf := append([]byte("\x7fELF\x02\x01\x01"), pdfBytes(4000, 5)...)
	tests := []struct {
		name string
		// send uploads with grant g and returns the client's error
		send       func(st *stack, g GrantResponse) error
		wantClient error  // refusal by OSS itself, or nil when the object lands
		wantReason string // the handler's reason for a landed object
	}{
		{"over the size range (form)", func(st *stack, g GrantResponse) error {
			return st.post(g, pdfBytes(65<<10, 6), TypePDF, nil)
		}, blob.ErrTooLarge, ""},
		{"over the size range (presigned PUT)", func(st *stack, g GrantResponse) error {
			big := pdfBytes(65<<10, 7)
			_, err := blobtest.Put(context.Background(), g.Grant, TypePDF, bytes.NewReader(big),
				int64(len(big)))
			return err
		}, nil, "outside the granted range"},
		{"wrong declared type", func(st *stack, g GrantResponse) error {
			return st.post(g, png, "image/png", nil)
		}, blob.ErrDenied, ""},
		{"wrong content under a PDF name", func(st *stack, g GrantResponse) error {
			return st.post(g, png, TypePDF, nil)
		}, nil, "content is image/png"},
		{"renamed Windows executable", func(st *stack, g GrantResponse) error {
			return st.post(g, exe, TypePDF, nil)
		}, nil, "executable"},
		{"renamed Linux executable", func(st *stack, g GrantResponse) error {
			return st.post(g, elf, TypePDF, nil)
		}, nil, "executable"},
		{"expired grant", func(st *stack, g GrantResponse) error {
			st.oss.Advance(DefaultGrantExpiry + time.Minute)
			defer st.oss.Advance(-DefaultGrantExpiry - time.Minute)
			return st.post(g, pdf, TypePDF, nil)
		}, blob.ErrDenied, ""},
		{"grant reused for another key", func(st *stack, g GrantResponse) error {
			other := strings.Replace(g.Upload.Key, g.Upload.ID,
				"11111111-2222-3333-4444-555555555555", 1)
			return st.post(g, pdf, TypePDF, map[string]string{"key": other})
		}, blob.ErrDenied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st.t = t
			c := st.newContract("lead")
			g := st.grant("lead", c, "contract.pdf", TypePDF)
			err := tt.send(st, g)
			if tt.wantClient != nil && !errors.Is(err, tt.wantClient) {
				t.Fatalf("upload error = %v, want %v", err, tt.wantClient)
			}
			if tt.wantClient == nil && err != nil {
				t.Fatalf("upload error = %v, want the object to land", err)
			}
			if vs := st.versions("lead", c); len(vs) != 0 {
				t.Errorf("versions = %s, want none", js(vs))
			}
			u := st.upload(c, g.Upload.ID)
			if tt.wantClient != nil {
				if u.Status != UploadGranted {
					t.Errorf("upload status = %s, want still granted", u.Status)
				}
				return
			}
			if u.Status != UploadQuarantined || !strings.Contains(u.Reason, tt.wantReason) {
				t.Errorf("upload = %s %q, want quarantined because %q", u.Status, u.Reason,
					tt.wantReason)
			}
			tid := tenantOf(u.Key)
			if st.exists(u.Key) || !st.exists(quarantineKey(tid, c.ID, u.ID)) {
				t.Errorf("object still at %s or not in quarantine", u.Key)
			}
			if n := st.ledgerRequests(c); n != 0 {
				t.Errorf("ledger requests = %d, want none", n)
			}
			if n := st.quarantineReports(u.ID); n != 1 {
				t.Errorf("activity reports of the quarantine = %d, want 1", n)
			}
		})
	}
	if errs := st.handlerErrors(); len(errs) > 0 {
		t.Errorf("OSS handler errors: %v", errs)
	}
}

func tenantOf(key string) string { return strings.Split(key, "/")[1] }
