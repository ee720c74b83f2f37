package contracts

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/tables"
)

// A delivery that died after creating the version row leaves the upload
// "recording" and the contract's counter behind. Another upload then takes
// the next number. Within the lease a redelivery backs off; after it, the
// redelivery takes over and finishes with the crashed delivery's version,
// not a third one.
func TestTakeoverAfterCrash(t *testing.T) {
	var skew atomic.Int64
	st := newStack(t, Config{Now: func() time.Time {
		return time.Now().Add(time.Duration(skew.Load()))
	}})
	st.dispatch.Store(false)
	c := st.newContract("lead")
	g := st.grant("lead", c, "c.pdf", TypePDF)
	body := pdfBytes(6000, 30)
	if err := st.post(g, body, TypePDF, nil); err != nil {
		t.Fatal(err)
	}
	ctx, tid := context.Background(), tables.TenantKey(uni)

	// The crashed delivery: claimed, verified, version row 1 created.
	row, err := st.db.Get(ctx, tables.ContractUpload.Name, tables.Key{tid, g.Upload.ID})
	if err != nil {
		t.Fatal(err)
	}
	up, err := st.svc.claim(ctx, tid, uploadFrom(row))
	if err != nil || up == nil {
		t.Fatalf("claim = %v, %v", up, err)
	}
	ref, _ := parseUploadKey(up.Key)
	v, reason, err := st.svc.verify(ctx, ref, up, up.Key)
	if err != nil || reason != "" {
		t.Fatalf("verify = %q, %v", reason, err)
	}
	if _, err := st.svc.createVersion(ctx, tid, up, v, false); err != nil {
		t.Fatal(err)
	}

	payload := st.lastPayload()

	// Meanwhile another upload lands and becomes version 2.
	st.dispatch.Store(true)
	g2 := st.grant("member", c, "c2.pdf", TypePDF)
	if err := st.post(g2, pdfBytes(7000, 32), TypePDF, nil); err != nil {
		t.Fatal(err)
	}
	if u := st.upload(c, g2.Upload.ID); u.Version != 2 {
		t.Fatalf("second upload = %+v, want version 2", u)
	}

	if _, err := st.fn.Dispatch(ctx, payload); !errors.Is(err, ErrInProgress) {
		t.Errorf("redelivery within the lease = %v, want ErrInProgress", err)
	}
	skew.Store(int64(uploadLease + time.Second))
	if _, err := st.fn.Dispatch(ctx, payload); err != nil {
		t.Fatalf("redelivery after the lease = %v", err)
	}
	vs := st.versions("lead", c)
	if len(vs) != 2 || vs[0].SHA256 != sha(body) || vs[0].UploadID != g.Upload.ID {
		t.Errorf("versions = %s, want version 1 of the crashed upload and version 2", js(vs))
	}
	var cur Contract
	st.mustCall(200, "lead", "GET", "/api/contracts/"+uni+"/"+c.ID, nil, &cur)
	if u := st.upload(c, g.Upload.ID); u.Status != UploadRecorded || u.Version != 1 ||
		cur.LatestVersion != 2 || st.ledgerRequests(c) != 2 {
		t.Errorf("after takeover: upload %+v, latest %d, ledger requests %d; want version 1, "+
			"latest 2, 2 requests", u, cur.LatestVersion, st.ledgerRequests(c))
	}
}

// An upload granted with a declared size must have exactly that size.
func TestDeclaredSize(t *testing.T) {
	st := newStack(t, Config{})
	c := st.newContract("lead")
	var g GrantResponse
	st.mustCall(201, "lead", "POST", "/api/contracts/"+uni+"/"+c.ID+"/uploads",
		UploadRequest{Filename: "c.pdf", ContentType: TypePDF, Size: 5000}, &g)
	if err := st.post(g, pdfBytes(5001, 31), TypePDF, nil); !errors.Is(err, blob.ErrTooLarge) {
		t.Errorf("one byte over the declared size = %v, want ErrTooLarge", err)
	}
	if err := st.post(g, pdfBytes(5000, 31), TypePDF, nil); err != nil {
		t.Errorf("the declared size = %v", err)
	}
	r := st.call("lead", "POST", "/api/contracts/"+uni+"/"+c.ID+"/uploads",
		UploadRequest{Filename: "c.pdf", ContentType: TypePDF, Size: DefaultMaxUploadSize + 1})
	if r.Status != 400 || !strings.Contains(string(r.Body), `"size"`) {
		t.Errorf("oversized declaration = %d %s, want 400 naming size", r.Status, r.Body)
	}
}

// quarantineReports counts the activity entries reporting upload id.
func (st *stack) quarantineReports(id string) int {
	st.t.Helper()
	n := 0
	for row, err := range st.db.Scan(context.Background(), tables.Activity.Name,
		tables.Range{Prefix: tables.Key{tables.TenantKey(uni)}}) {
		if err != nil {
			st.t.Fatal(err)
		}
		if row.String("verb") == "contract.upload_quarantined" &&
			strings.Contains(row.String("detail"), id) {
			n++
		}
	}
	return n
}
