package ledgerapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
)

// TestSubmitToReceipt follows entries from submission to a receipt: 202 with
// the index, the entry readable as sequenced then integrated, a checkpoint
// after the tick, receipts and proofs that verify offline, and tiles that
// let a verifier compute proofs itself.
func TestSubmitToReceipt(t *testing.T) {
	st := newStack(t, nil)
	ctx := context.Background()
	var entries [][]byte
	for i := range 5 {
		s := signed(t, uni, i)
		resp, a := st.submit(SubmitRequest{Signed: s}, nil)
		if a.status != http.StatusAccepted || resp.Index != uint64(i) {
			t.Fatalf("submit %d: %d %s, want 202 with index %d", i, a.status, a.body, i)
		}
		if resp.ReceiptURL != "" || resp.Status != "sequenced" {
			t.Errorf("submit %d before a checkpoint: %+v", i, resp)
		}
		entries = append(entries, entryOf(t, s))
	}
	a := st.do("GET", "/api/ledger/entries/3", nil, nil)
	if a.status != 200 || !bytes.Equal(a.body, entries[3]) ||
		a.header.Get("Ledger-Status") != "sequenced" {
		t.Fatalf("entry 3 before the tick: %d %s %q", a.status, a.body,
			a.header.Get("Ledger-Status"))
	}
	if a := st.do("GET", "/api/ledger/receipts/3", nil, nil); a.status != 404 {
		t.Errorf("receipt before the tick: %d, want 404", a.status)
	}
	st.tick()
	first := st.do("GET", "/api/ledger/checkpoint", nil, nil)
	c, err := ledger.OpenCheckpoint(first.body, st.verifier, nil)
	if err != nil || c.Size != 5 {
		t.Fatalf("checkpoint: %v (size %v)", err, c)
	}
	a = st.do("GET", "/api/ledger/entries/3", nil, nil)
	if a.status != 200 || !bytes.Equal(a.body, entries[3]) ||
		a.header.Get("Ledger-Status") != "integrated" {
		t.Fatalf("entry 3 after the tick: %d %s %q", a.status, a.body,
			a.header.Get("Ledger-Status"))
	}
	for i, e := range entries {
		a := st.do("GET", "/api/ledger/receipts/"+strconv.Itoa(i), nil, nil)
		if _, err := ledger.VerifyReceipt(a.body, e, st.verifier, nil); err != nil {
			t.Errorf("receipt %d: %v", i, err)
		}
	}

	for i := 5; i < 9; i++ {
		st.submit(SubmitRequest{Signed: signed(t, firm, i)}, nil)
	}
	st.tick()
	second := st.do("GET", "/api/ledger/checkpoint", nil, nil)
	var cons proofBody
	a = st.do("GET", "/api/ledger/proof/consistency?old=5", nil, nil)
	if err := json.Unmarshal(a.body, &cons); err != nil || a.status != 200 || cons.Size != 9 {
		t.Fatalf("consistency: %d %s", a.status, a.body)
	}
	if _, err := ledger.VerifyConsistency(first.body, second.body, decodeHashes(t, cons.Hashes),
		st.verifier, nil); err != nil {
		t.Errorf("consistency 5 to 9: %v", err)
	}
	c2, _ := ledger.OpenCheckpoint(second.body, st.verifier, nil)
	var inc proofBody
	a = st.do("GET", "/api/ledger/proof/inclusion?index=2&size=9", nil, nil)
	if err := json.Unmarshal(a.body, &inc); err != nil || a.status != 200 {
		t.Fatalf("inclusion: %d %s", a.status, a.body)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(entries[2])
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, 2, 9, leaf,
		decodeHashes(t, inc.Hashes), c2.Hash); err != nil {
		t.Errorf("inclusion 2 in 9: %v", err)
	}

	// A verifier with only the served tiles computes the same proof.
	mirror := ledger.Reader{Store: httpStore{st}}
	own, err := mirror.InclusionProof(ctx, 2, 9)
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, 2, 9, leaf, own, c2.Hash); err != nil {
		t.Errorf("inclusion from served tiles: %v", err)
	}
	if e, err := mirror.Entry(ctx, 7, 9); err != nil || !bytes.Contains(e, []byte(firm)) {
		t.Errorf("entry 7 from served bundles: %q, %v", e, err)
	}
}

func decodeHashes(t *testing.T, hs []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(hs))
	for i, h := range hs {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// TestSubmitOnBehalf submits unsigned envelopes with a member's session: the
// service signs them for the member's own organization only.
func TestSubmitOnBehalf(t *testing.T) {
	st := newStack(t, nil)
	env := registration(t, uni, 1)
	resp, a := st.submit(SubmitRequest{Envelope: env}, st.bearer(uni))
	if a.status != http.StatusAccepted {
		t.Fatalf("on behalf: %d %s", a.status, a.body)
	}
	s, err := envelope.Parse(st.sequenced()[resp.Index])
	if err != nil {
		t.Fatal(err)
	}
	if s.Signature.Signer != "xietong" || s.Signature.OnBehalfOf != uni {
		t.Errorf("signature = %+v, want the service on behalf of %s", s.Signature, uni)
	}
	if err := st.svc.keys.Verify(s); err != nil {
		t.Errorf("service signature: %v", err)
	}
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
		code   string
	}{
		{"no session", nil, 401, "unauthenticated"},
		{"bad session", map[string]string{"Authorization": "Bearer v1.x.y"}, 401,
			"unauthenticated"},
		{"other org", st.bearer(firm), 403, "forbidden"},
	} {
		_, a := st.submit(SubmitRequest{Envelope: env}, tc.header)
		if a.status != tc.status || a.errorCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
		}
	}
	if n := len(st.sequenced()); n != 1 {
		t.Errorf("%d entries, want 1", n)
	}
}

// TestBadInput sends bad requests to every route: each is a 4xx with a code
// that names the problem, and nothing is logged.
func TestBadInput(t *testing.T) {
	st := newStack(t, nil)
	good := signed(t, uni, 1)
	st.submit(SubmitRequest{Signed: good}, nil)
	st.tick() // Entry 0, checkpoint of size 1.

	tampered := *good
	tampered.Envelope.Time++
	wrongKey, _ := devOrgKey(firm).Sign(registration(t, firm, 2))
	wrongKey.Envelope.Org = uni
	badBody := *good
	badBody.Envelope.Body = json.RawMessage(`{"work":"sha256:00","kind":"software"}`)
	large := registration(t, uni, 3)
	large.Refs = make([]envelope.Ref, 1200)
	for i := range large.Refs {
		large.Refs[i] = envelope.Ref{Index: uint64(i), Entry: envelope.DigestOf(nil)}
	}
	largeSigned, _ := devOrgKey(uni).Sign(large)
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }

	for _, tc := range []struct {
		name, method, path string
		body               []byte
		header             map[string]string
		status             int
		code               string
	}{
		{"not json", "POST", "/api/ledger/entries", []byte("{"), nil, 400, "invalid_json"},
		{"neither", "POST", "/api/ledger/entries", []byte(`{}`), nil, 400, "invalid_input"},
		{"both", "POST", "/api/ledger/entries",
			js(SubmitRequest{Signed: good, Envelope: &good.Envelope}), nil, 400, "invalid_input"},
		{"unknown field", "POST", "/api/ledger/entries", []byte(`{"signd":{}}`), nil, 400,
			"invalid_input"},
		{"invalid body", "POST", "/api/ledger/entries", js(SubmitRequest{Signed: &badBody}),
			nil, 422, "invalid_envelope"},
		{"tampered", "POST", "/api/ledger/entries", js(SubmitRequest{Signed: &tampered}),
			nil, 403, "bad_signature"},
		{"signer is not org", "POST", "/api/ledger/entries",
			js(SubmitRequest{Signed: wrongKey}), nil, 403, "bad_signature"},
		{"entry too large", "POST", "/api/ledger/entries",
			js(SubmitRequest{Signed: largeSigned}), nil, 413, "too_large"},
		{"body too large", "POST", "/api/ledger/entries", make([]byte, maxBody+10), nil,
			413, "body_too_large"},
		{"bad idempotency key", "POST", "/api/ledger/entries", js(SubmitRequest{Signed: good}),
			map[string]string{"Idempotency-Key": "has space"}, 400, "bad_idempotency_key"},
		{"entry index", "GET", "/api/ledger/entries/abc", nil, nil, 400, "bad_parameter"},
		{"entry missing", "GET", "/api/ledger/entries/99", nil, nil, 404, "not_found"},
		{"receipt index", "GET", "/api/ledger/receipts/-1", nil, nil, 400, "bad_parameter"},
		{"receipt unpublished", "GET", "/api/ledger/receipts/5", nil, nil, 404, "not_published"},
		{"inclusion no index", "GET", "/api/ledger/proof/inclusion", nil, nil, 400,
			"bad_parameter"},
		{"inclusion index >= size", "GET", "/api/ledger/proof/inclusion?index=1&size=1", nil,
			nil, 400, "bad_parameter"},
		{"inclusion size too big", "GET", "/api/ledger/proof/inclusion?index=0&size=7", nil,
			nil, 404, "size_not_found"},
		{"consistency old > new", "GET", "/api/ledger/proof/consistency?old=2&new=1", nil,
			nil, 400, "bad_parameter"},
		{"consistency bad new", "GET", "/api/ledger/proof/consistency?old=0&new=x", nil,
			nil, 400, "bad_parameter"},
		{"tile path", "GET", "/api/ledger/tile/0/x1/000", nil, nil, 404, "not_found"},
		{"tile width", "GET", "/api/ledger/tile/0/000.p/256", nil, nil, 404, "not_found"},
		{"tile level", "GET", "/api/ledger/tile/64/000", nil, nil, 404, "not_found"},
		{"tile missing", "GET", "/api/ledger/tile/0/001", nil, nil, 404, "not_found"},
		{"no route", "DELETE", "/api/ledger/entries/0", nil, nil, 404, "no_route"},
		{"unknown path", "GET", "/api/ledger/nothing", nil, nil, 404, "no_route"},
	} {
		a := st.do(tc.method, tc.path, tc.body, tc.header)
		if a.status != tc.status || (tc.code != "" && a.errorCode() != tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
		}
	}
	if n := len(st.sequenced()); n != 1 {
		t.Errorf("bad requests changed the log: %d entries, want 1", n)
	}
}

func TestTileRoutes(t *testing.T) {
	st := newStack(t, nil)
	for i := range 3 {
		st.submit(SubmitRequest{Signed: signed(t, uni, i)}, nil)
	}
	st.tick()
	ctx := context.Background()
	for _, path := range []string{"tile/0/000.p/3", "tile/entries/000.p/3"} {
		want, err := st.svc.log.Store.Get(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		a := st.do("GET", "/api/ledger/"+path, nil, nil)
		if a.status != 200 || !bytes.Equal(a.body, want) {
			t.Errorf("GET %s: %d, %d bytes; want 200 and the stored %d bytes",
				path, a.status, len(a.body), len(want))
		}
		if cc := a.header.Get("Cache-Control"); cc == "" {
			t.Errorf("GET %s: no Cache-Control", path)
		}
	}
}
