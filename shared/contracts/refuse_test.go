package contracts

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/blob/blobtest"
	"github.com/xietong/xietong/shared/tables"
)

func TestNoOverwrite(t *testing.T) {
	st := newStack(t, Config{})
	c := st.newContract("lead")
	first := pdfBytes(5000, 10)
	g := st.grant("lead", c, "c.pdf", TypePDF)
	if err := st.post(g, first, TypePDF, nil); err != nil {
		t.Fatal(err)
	}
	other := pdfBytes(5000, 11)
	if err := st.post(g, other, TypePDF, nil); !errors.Is(err, blob.ErrExists) {
		t.Errorf("second PostObject with the same grant = %v, want ErrExists", err)
	}
	_, err := blobtest.Put(context.Background(), g.Grant, TypePDF, bytes.NewReader(other),
		int64(len(other)))
	if !errors.Is(err, blob.ErrExists) {
		t.Errorf("PUT over version 1 = %v, want ErrExists", err)
	}
	vs := st.versions("lead", c)
	if len(vs) != 1 || vs[0].SHA256 != sha(first) {
		t.Fatalf("versions = %s, want only version 1 of the first file", js(vs))
	}
	if got := st.download(t, "lead", c, 1); !bytes.Equal(got, first) {
		t.Error("version 1's bytes were overwritten")
	}

	// A version row is never overwritten, even by a rival taking its number.
	tid := tables.TenantKey(uni)
	_, err = st.db.Create(context.Background(), tables.ContractVersion.Name,
		tables.Key{tid, c.ID, int64(1)}, tables.Cols{"upload_id": "rival"})
	if !errors.Is(err, tables.ErrExists) {
		t.Errorf("create over version 1 = %v, want ErrExists", err)
	}
}

func TestStrayObjectIsQuarantined(t *testing.T) {
	st := newStack(t, Config{})
	c := st.newContract("lead")
	tid := tables.TenantKey(uni)
	key := uploadKey(tid, c.ID, "99999999-0000-0000-0000-000000000000")
	err := st.files.Put(context.Background(), key, bytes.NewReader(pdfBytes(3000, 12)),
		blob.PutOptions{ContentType: TypePDF})
	if err != nil {
		t.Fatal(err)
	}
	if vs := st.versions("lead", c); len(vs) != 0 {
		t.Errorf("versions = %s, want none for an object without a grant", js(vs))
	}
	if st.exists(key) ||
		!st.exists(quarantineKey(tid, c.ID, "99999999-0000-0000-0000-000000000000")) {
		t.Error("stray object was not moved to quarantine")
	}
	if errs := st.handlerErrors(); len(errs) > 0 {
		t.Errorf("OSS handler errors: %v", errs)
	}
}

func TestOtherOrganizationRefused(t *testing.T) {
	st := newStack(t, Config{})
	c := st.newContract("lead")
	g := st.grant("lead", c, "c.pdf", TypePDF)
	if err := st.post(g, pdfBytes(4000, 13), TypePDF, nil); err != nil {
		t.Fatal(err)
	}
	base := "/api/contracts/" + uni + "/" + c.ID
	tests := []struct {
		who, method, path string
		body              any
		want              int
	}{
		{"stranger", "POST", base + "/uploads",
			UploadRequest{Filename: "x.pdf", ContentType: TypePDF}, 403},
		{"stranger", "GET", base + "/versions/1/download", nil, 403},
		{"stranger", "GET", base + "/versions", nil, 403},
		{"stranger", "GET", base, nil, 403},
		{"outsider", "GET", base + "/versions/1/download", nil, 403},
		{"outsider", "POST", base + "/uploads",
			UploadRequest{Filename: "x.pdf", ContentType: TypePDF}, 403},
		{"viewer", "POST", base + "/uploads",
			UploadRequest{Filename: "x.pdf", ContentType: TypePDF}, 403},
		{"exec", "POST", base + "/uploads", UploadRequest{Filename: "x.pdf", ContentType: TypePDF},
			403},
		{"supplier", "POST", base + "/status", StatusRequest{UnderApproval, c.Ver}, 403},
		{"", "GET", base + "/versions", nil, 401},
		{"exec", "GET", base + "/versions/1/download", nil, 200},
		{"supplier", "GET", base + "/versions/1/download", nil, 200},
		{"viewer", "GET", base + "/versions/1/download", nil, 200},
	}
	for _, tt := range tests {
		r := st.call(tt.who, tt.method, tt.path, tt.body)
		if r.Status != tt.want {
			t.Errorf("%s %s as %q = %d %s, want %d", tt.method, tt.path, tt.who, r.Status, r.Body,
				tt.want)
			continue
		}
		if tt.want >= 400 && r.code() == "" {
			t.Errorf("%s %s as %q: body %s is not a JSON error", tt.method, tt.path, tt.who, r.Body)
		}
	}
	var list struct{ Contracts []*Contract }
	st.mustCall(200, "stranger", "GET", "/api/contracts/"+uni+"?projectId="+project, nil, &list)
	if len(list.Contracts) != 0 {
		t.Errorf("stranger lists %d contracts, want 0 (not a party)", len(list.Contracts))
	}
	st.mustCall(200, "supplier", "GET", "/api/contracts/"+uni+"?projectId="+project, nil, &list)
	if len(list.Contracts) != 1 {
		t.Errorf("supplier lists %d contracts, want 1", len(list.Contracts))
	}
	if vs := st.versions("lead", c); len(vs) != 1 {
		t.Errorf("versions = %d, want 1: refusals changed something", len(vs))
	}
}

func TestDuplicateEvent(t *testing.T) {
	st := newStack(t, Config{})
	c := st.newContract("lead")
	g := st.grant("lead", c, "c.pdf", TypePDF)
	if err := st.post(g, pdfBytes(8000, 14), TypePDF, nil); err != nil {
		t.Fatal(err)
	}
	payload := st.lastPayload()
	if _, err := st.fn.Dispatch(context.Background(), payload); err != nil {
		t.Errorf("redelivery: %v", err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.fn.Dispatch(context.Background(), payload) // in progress or duplicate
		}()
	}
	wg.Wait()
	if vs := st.versions("lead", c); len(vs) != 1 {
		t.Errorf("versions after 6 deliveries = %s, want 1", js(vs))
	}
	if n := st.ledgerRequests(c); n != 1 {
		t.Errorf("ledger requests = %d, want 1", n)
	}
}

func TestConcurrentDeliveriesRecordOnce(t *testing.T) {
	st := newStack(t, Config{})
	st.dispatch.Store(false)
	c := st.newContract("lead")
	g := st.grant("lead", c, "c.pdf", TypePDF)
	if err := st.post(g, pdfBytes(8000, 15), TypePDF, nil); err != nil {
		t.Fatal(err)
	}
	payload := st.lastPayload()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.fn.Dispatch(context.Background(), payload)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrInProgress) {
			t.Errorf("concurrent delivery: %v, want nil or ErrInProgress", err)
		}
	}
	if vs := st.versions("lead", c); len(vs) != 1 || ok == 0 {
		t.Errorf("versions = %d with %d deliveries done, want 1 version", len(vs), ok)
	}
}

// Concurrent uploads to one contract become distinct, gapless versions.
func TestConcurrentUploadsNumberVersions(t *testing.T) {
	st := newStack(t, Config{})
	c := st.newContract("lead")
	const n = 6
	grants := make([]GrantResponse, n)
	for i := range grants {
		grants[i] = st.grant("member", c, "c.pdf", TypePDF)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range grants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.post(grants[i], pdfBytes(3000, uint64(40+i)), TypePDF, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
	}
	vs := st.versions("lead", c)
	seen := map[string]bool{}
	for i, v := range vs {
		if v.Number != int64(i+1) || seen[v.UploadID] {
			t.Errorf("version %d: %s", i+1, js(v))
		}
		seen[v.UploadID] = true
	}
	var cur Contract
	st.mustCall(200, "lead", "GET", "/api/contracts/"+uni+"/"+c.ID, nil, &cur)
	if len(vs) != n || cur.LatestVersion != n || st.ledgerRequests(c) != n {
		t.Errorf("%d versions, latest %d, %d ledger requests; want %d of each", len(vs),
			cur.LatestVersion, st.ledgerRequests(c), n)
	}
	if errs := st.handlerErrors(); len(errs) > 0 {
		t.Errorf("OSS handler errors: %v", errs)
	}
}
