package ledgerapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/rules"
	"github.com/xietong/xietong/shared/tables"
)

const useTime = 1_764_749_712

// submitBody signs body as org at time and submits it.
func (st *stack) submitBody(org string, at int64, body envelope.Body) (SubmitResponse, answer) {
	st.t.Helper()
	e, err := envelope.New(org, at, body)
	if err != nil {
		st.t.Fatal(err)
	}
	s, err := devOrgKey(org).Sign(e)
	if err != nil {
		st.t.Fatal(err)
	}
	return st.submit(SubmitRequest{Signed: s}, nil)
}

func talentUse(n int, purpose string) *envelope.DataUse {
	return &envelope.DataUse{UseID: fmt.Sprint("use-", n), Owner: uni, Asset: "asset.talent",
		Consumer: firm, Purpose: purpose, AmountFen: 1000, MinPayoutFen: 300,
		Shares: []envelope.Share{{Party: uni, BPS: 7500}, {Party: firm, BPS: 2500}}}
}

// TestConsentAndSettlement grants consent, logs uses under it (each settled
// by the contract as an entry of its own, with carries), refuses uses
// without a live grant naming why, lists the uses to the owner only, and
// replays the log to the same results.
func TestConsentAndSettlement(t *testing.T) {
	st := newStack(t, nil)
	subject, _, _ := envelope.Commit([]byte("student 42"))
	grant := &envelope.ConsentGrant{Owner: uni, Party: firm, Purpose: "recruiting",
		Asset: "asset.talent", Expires: useTime + 100, Subject: subject}
	if _, a := st.submitBody(firm, useTime, grant); a.errorCode() != "not_owner" {
		t.Errorf("grant by another org: %d %s, want not_owner", a.status, a.body)
	}
	g, a := st.submitBody(uni, useTime, grant)
	if a.status != http.StatusAccepted {
		t.Fatalf("grant: %d %s", a.status, a.body)
	}
	var settlements []uint64
	for i := range 2 {
		resp, a := st.submitBody(uni, useTime+int64(i), talentUse(i, "recruiting"))
		if a.status != http.StatusAccepted || len(resp.Results) != 1 {
			t.Fatalf("use %d: %d %s, want 202 with a settlement", i, a.status, a.body)
		}
		settlements = append(settlements, resp.Results[0])
	}
	s, err := envelope.Parse(st.sequenced()[settlements[1]])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := s.Envelope.Decode()
	var got []string
	for _, p := range body.(*envelope.RevenueSettlement).Payouts {
		got = append(got, fmt.Sprintf("%s:%d/%d", p.Party, p.PaidFen, p.CarryFen))
	}
	// firm's 250 is carried from the first use and paid with the second.
	if want := firm + ":500/0 " + uni + ":750/0"; strings.Join(got, " ") != want {
		t.Errorf("second settlement payouts = %v, want %s", got, want)
	}

	for _, tc := range []struct {
		name string
		at   int64
		use  *envelope.DataUse
		why  string
	}{
		{"other purpose", useTime, talentUse(7, "marketing"), "none given"},
		{"expired", useTime + 100, talentUse(8, "recruiting"), "expired"},
	} {
		_, a := st.submitBody(uni, tc.at, tc.use)
		if a.status != http.StatusForbidden || a.errorCode() != "no_consent" ||
			!strings.Contains(string(a.body), tc.why) {
			t.Errorf("%s: %d %s, want 403 no_consent naming %q", tc.name, a.status, a.body,
				tc.why)
		}
	}
	rev := &envelope.ConsentRevocation{Grant: g.Index}
	if _, a := st.submitBody(firm, useTime, rev); a.errorCode() != "not_owner" {
		t.Errorf("revocation by the party: %d %s, want not_owner", a.status, a.body)
	}
	if _, a := st.submitBody(uni, useTime+5, rev); a.status != http.StatusAccepted {
		t.Fatalf("revocation: %d %s", a.status, a.body)
	}
	if _, a := st.submitBody(uni, useTime+6, rev); a.errorCode() != "already_revoked" {
		t.Errorf("second revocation: %d %s, want already_revoked", a.status, a.body)
	}
	if _, a := st.submitBody(uni, useTime+7, talentUse(9, "recruiting")); !strings.Contains(
		string(a.body), "revoked at entry") {
		t.Errorf("use after revocation: %d %s, want a refusal naming the revocation",
			a.status, a.body)
	}

	st.checkUses(2)
	recs, err := rules.Records(0, st.sequenced())
	if err != nil {
		t.Fatal(err)
	}
	if fs := rules.Replay(recs); len(fs) != 0 {
		t.Errorf("replay of the function's log: %v", fs)
	}
}

// checkUses pages through the owner's uses one at a time.
func (st *stack) checkUses(want int) {
	t := st.t
	t.Helper()
	var all []Use
	cursor := ""
	for range want + 2 {
		a := st.do("GET", "/api/ledger/uses?limit=1&cursor="+cursor, nil, st.bearer(uni))
		var page UsesPage
		if err := json.Unmarshal(a.body, &page); err != nil || a.status != 200 {
			t.Fatalf("uses: %d %s", a.status, a.body)
		}
		all = append(all, page.Uses...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(all) != want || all[0].UseID != "use-0" || all[0].Settlement == 0 {
		t.Errorf("owner's uses = %+v, want %d starting with settled use-0", all, want)
	}
	if a := st.do("GET", "/api/ledger/uses?owner="+uni, nil, st.bearer(firm)); a.status != 403 {
		t.Errorf("uses of another org's data: %d, want 403", a.status)
	}
	if a := st.do("GET", "/api/ledger/uses", nil, nil); a.status != 401 {
		t.Errorf("uses without a session: %d, want 401", a.status)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "cursor=12"} {
		a := st.do("GET", "/api/ledger/uses?"+q, nil, st.bearer(uni))
		if a.status != 400 || a.errorCode() != "bad_parameter" {
			t.Errorf("uses?%s: %d %s, want 400 bad_parameter", q, a.status, a.body)
		}
	}
}

// TestFirstToFileOnSubmit refuses a second registration of a work, naming
// the first, and answers an identical resubmission with the first index.
func TestFirstToFileOnSubmit(t *testing.T) {
	st := newStack(t, nil)
	first := signed(t, uni, 1)
	r1, _ := st.submit(SubmitRequest{Signed: first}, nil)
	again, a := st.submit(SubmitRequest{Signed: first}, nil)
	if a.status != http.StatusAccepted || again.Index != r1.Index {
		t.Errorf("same registration again: %d %s, want its index %d", a.status, a.body, r1.Index)
	}
	_, a = st.submit(SubmitRequest{Signed: signed(t, firm, 1)}, nil)
	if a.status != http.StatusConflict || a.errorCode() != "already_registered" ||
		!strings.Contains(string(a.body), fmt.Sprintf("entry %d", r1.Index)) {
		t.Errorf("second registration: %d %s, want 409 naming entry %d", a.status, a.body,
			r1.Index)
	}
	settle := &envelope.RevenueSettlement{UseID: "u", TotalFen: 0, Rule: envelope.DigestOf(nil)}
	if _, a := st.submitBody(uni, useTime, settle); a.errorCode() != "computed_record" {
		t.Errorf("submitted settlement: %d %s, want computed_record", a.status, a.body)
	}
	if n := len(st.sequenced()); n != 1 {
		t.Errorf("%d entries, want 1", n)
	}
}

// TestEvaluationIndex checks the supplier evaluation row the monthly report
// reads, written once for a replayed submission.
func TestEvaluationIndex(t *testing.T) {
	st := newStack(t, nil)
	ev := &envelope.SupplierEvaluation{Supplier: firm, ContractID: "C-7", Score: 91,
		Report: envelope.DigestOf([]byte("r")), Evaluator: envelope.Commitment(
			envelope.DigestOf([]byte("u")))}
	e, _ := envelope.New(uni, useTime, ev)
	s, _ := devOrgKey(uni).Sign(e)
	key := map[string]string{"Idempotency-Key": "eval-1"}
	resp, _ := st.submit(SubmitRequest{Signed: s}, key)
	st.submit(SubmitRequest{Signed: s}, key)
	rows, _, err := st.db.Page(t.Context(), tables.LedgerIndex.Name, tables.Range{
		Prefix: tables.Key{tables.TenantKey(uni), "supplier.evaluation"}})
	if err != nil || len(rows) != 1 {
		t.Fatalf("evaluation rows: %d, %v; want 1", len(rows), err)
	}
	r := rows[0]
	if k := fmt.Sprintf("%s/%020d", firm, resp.Index); r.Key[2] != k ||
		r.String("supplier") != firm || r.Int("score") != 91 ||
		r.String("contract_id") != "C-7" || r.Int("index") != int64(resp.Index) ||
		r.Int("at_ms") != useTime*1000 || r.String("evaluator_corp") != uni {
		t.Errorf("evaluation row %v %v, want key %s", r.Key, r.Cols, k)
	}
}

// TestPublicKeys reads the keys endpoint without a session and checks that
// its log key verifies the log's checkpoints.
func TestPublicKeys(t *testing.T) {
	st := newStack(t, nil)
	a := st.do("GET", "/api/ledger/keys", nil, nil)
	var keys PublicKeys
	if err := json.Unmarshal(a.body, &keys); err != nil || a.status != 200 {
		t.Fatalf("keys: %d %s", a.status, a.body)
	}
	v, err := note.NewVerifier(keys.LogKey)
	if err != nil || keys.LogKey != vkey || keys.Origin != v.Name() {
		t.Errorf("keys = %+v (%v), want log key %s", keys, err, vkey)
	}
	if keys.ServiceKey == "" || keys.N != 0 || keys.K != 0 || keys.Witnesses == nil {
		t.Errorf("keys = %+v, want the service key and an empty witness list", keys)
	}
}

// TestPaymentReleaseOnAcceptance releases a tranche as an entry once the
// last of its milestones is accepted by a party other than the supplier,
// and only once.
func TestPaymentReleaseOnAcceptance(t *testing.T) {
	st := newStack(t, nil)
	doc := envelope.DigestOf([]byte("contract"))
	st.submitBody(uni, useTime, &envelope.ContractVersion{ContractID: "C-1", Version: 1,
		Document: doc, Parties: []string{uni, firm}, Supplier: firm,
		Tranches: []envelope.Tranche{{ID: "t1", AmountFen: 5000,
			Milestones: []string{"m1", "m2"}}}})
	accept := func(org, m string, n int64) SubmitResponse {
		resp, a := st.submitBody(org, useTime+n, &envelope.MilestoneAcceptance{
			ContractID: "C-1", MilestoneID: m, Accepted: true, Report: doc,
			Acceptor: envelope.Commitment(doc)})
		if a.status != http.StatusAccepted {
			t.Fatalf("accept %s by %s: %d %s", m, org, a.status, a.body)
		}
		return resp
	}
	if r := accept(uni, "m1", 1); len(r.Results) != 0 {
		t.Errorf("release after m1 only: %v", r.Results)
	}
	if r := accept(firm, "m2", 2); len(r.Results) != 0 {
		t.Errorf("release after the supplier accepted its own milestone: %v", r.Results)
	}
	r := accept(uni, "m2", 3)
	if len(r.Results) != 1 {
		t.Fatalf("release after m1 and m2: results %v, want one", r.Results)
	}
	again := accept(uni, "m2", 4)
	if len(again.Results) != 1 || again.Results[0] != r.Results[0] {
		t.Errorf("second acceptance: results %v, want the release at %d", again.Results,
			r.Results[0])
	}
	recs, err := rules.Records(0, st.sequenced())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(recs); n != 6 {
		t.Errorf("%d entries, want 6 (version, 4 acceptances, 1 release)", n)
	}
	if fs := rules.Replay(recs); len(fs) != 0 {
		t.Errorf("replay: %v", fs)
	}
}

// TestConcurrentSettlements submits uses of one asset from many clients at
// once: every use gets one settlement, and the carries chain through the
// log in order, so that a replay reproduces every settlement.
func TestConcurrentSettlements(t *testing.T) {
	st := newStack(t, nil)
	subject, _, _ := envelope.Commit([]byte("cohort 2026"))
	st.submitBody(uni, useTime, &envelope.ConsentGrant{Owner: uni, Party: firm,
		Purpose: "recruiting", Asset: "asset.talent", Expires: useTime + 1000,
		Subject: subject})
	const uses = 12
	var wg sync.WaitGroup
	for i := range uses {
		wg.Go(func() {
			u := talentUse(i, "recruiting")
			u.AmountFen = int64(100 + 37*i)
			resp, a := st.submitBody(uni, useTime+1, u)
			if a.status != http.StatusAccepted || len(resp.Results) != 1 {
				t.Errorf("use %d: %d %s", i, a.status, a.body)
			}
		})
	}
	wg.Wait()
	recs, err := rules.Records(0, st.sequenced())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(recs); n != 1+2*uses {
		t.Errorf("%d entries, want %d", n, 1+2*uses)
	}
	if fs := rules.Replay(recs); len(fs) != 0 {
		t.Errorf("replay: %d findings, first %v", len(fs), fs[0])
	}
}

// TestSettlementAfterCrash leaves a settlement staged in the pool row by an
// instance that died before sequencing it: the next settlement of the asset
// completes it first, and settling the crashed use again finds its index.
func TestSettlementAfterCrash(t *testing.T) {
	st := newStack(t, nil)
	ctx := t.Context()
	subject, _, _ := envelope.Commit([]byte("cohort"))
	st.submitBody(uni, useTime, &envelope.ConsentGrant{Owner: uni, Party: firm,
		Purpose: "recruiting", Asset: "asset.talent", Expires: useTime + 1000,
		Subject: subject})
	e, _ := envelope.New(uni, useTime+1, talentUse(0, "recruiting"))
	signedUse, _ := devOrgKey(uni).Sign(e)
	entry := entryOf(t, signedUse)
	index, _, err := st.svc.sequence(ctx, uni, entry, "")
	if err != nil {
		t.Fatal(err)
	}
	crashed, err := rules.NewRecord(index, entry)
	if err != nil {
		t.Fatal(err)
	}
	pool := tables.Key{serviceTID, kindPool, "asset.talent"}
	if _, err := st.db.Create(ctx, tables.LedgerIndex.Name, settleKey(index), nil); err != nil {
		t.Fatal(err)
	}
	// The crashed instance created the pool row and staged its settlement.
	if _, err := st.db.Create(ctx, tables.LedgerIndex.Name, pool,
		tables.Cols{"pool": "{}"}); err != nil {
		t.Fatal(err)
	}
	row, err := st.db.Get(ctx, tables.LedgerIndex.Name, pool)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.svc.stage(crashed, row)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(p)
	if _, err := st.db.Update(ctx, tables.LedgerIndex.Name, pool, row.Ver(),
		tables.Change{Set: tables.Cols{"pending": string(raw)}}); err != nil {
		t.Fatal(err)
	}
	if n := len(st.sequenced()); n != 2 {
		t.Fatalf("%d entries after staging, want 2 (grant, use)", n)
	}

	resp, a := st.submitBody(uni, useTime+2, talentUse(1, "recruiting"))
	if a.status != http.StatusAccepted || len(resp.Results) != 1 {
		t.Fatalf("next use: %d %s", a.status, a.body)
	}
	got, err := st.svc.settle(ctx, crashed, "asset.talent")
	if err != nil || got != 3 {
		t.Errorf("settling the crashed use again: %d, %v; want its settlement at 3", got, err)
	}
	recs, err := rules.Records(0, st.sequenced())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 { // grant, two uses, two settlements
		t.Errorf("%d entries, want 5", len(recs))
	}
	if fs := rules.Replay(recs); len(fs) != 0 {
		t.Errorf("replay: %v", fs)
	}
}

// TestAfterLogged runs the contracts for entries logged by another path, as
// the timer's drain logs them: the acceptance releases the tranche.
func TestAfterLogged(t *testing.T) {
	st := newStack(t, nil)
	ctx := t.Context()
	doc := envelope.DigestOf([]byte("contract"))
	bodies := []envelope.Body{
		&envelope.ContractVersion{ContractID: "C-2", Version: 1, Document: doc,
			Parties: []string{uni, firm}, Supplier: firm,
			Tranches: []envelope.Tranche{{ID: "t", AmountFen: 1, Milestones: []string{"m"}}}},
		&envelope.MilestoneAcceptance{ContractID: "C-2", MilestoneID: "m", Accepted: true,
			Report: doc, Acceptor: envelope.Commitment(doc)},
	}
	var results []uint64
	for _, b := range bodies {
		e, _ := envelope.New(uni, useTime, b)
		s, _ := st.svc.service.SignFor(e)
		entry := entryOf(t, s)
		index, _, err := st.svc.sequence(ctx, uni, entry, "")
		if err != nil {
			t.Fatal(err)
		}
		if results, err = st.svc.afterLogged(ctx, entry, index); err != nil {
			t.Fatal(err)
		}
	}
	if len(results) != 1 || results[0] != 2 {
		t.Fatalf("results of the acceptance = %v, want the release at 2", results)
	}
	recs, err := rules.Records(0, st.sequenced())
	if err != nil {
		t.Fatal(err)
	}
	if fs := rules.Replay(recs); len(fs) != 0 || len(recs) != 3 {
		t.Errorf("replay of %d entries: %v", len(recs), fs)
	}
}
