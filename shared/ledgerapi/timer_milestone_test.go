package ledgerapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/rules"
	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/tables"
)

const projectID = "P-7"

// seedMilestone writes milestone mid of projectID as accepted, with the
// acceptor salt the projects function keeps (none when salt is nil).
func (st *stack) seedMilestone(mid string, salt []byte) {
	st.t.Helper()
	cols := tables.Cols{"title": mid, "accepted_by": uni + ":u-lead"}
	if salt != nil {
		cols[ledgerreq.ColAcceptorSalt] = hex.EncodeToString(salt)
	}
	_, err := st.db.Create(context.Background(), tables.Milestone.Name,
		tables.Key{tables.TenantKey(uni), projectID, mid}, cols)
	if err != nil {
		st.t.Fatal(err)
	}
}

// seedProjectContract writes a contract of projectID listing milestones.
func (st *stack) seedProjectContract(id string, milestones ...string) {
	st.t.Helper()
	ms, _ := json.Marshal(milestones)
	_, err := st.db.Create(context.Background(), tables.Contract.Name,
		tables.Key{tables.TenantKey(uni), id},
		tables.Cols{"corp": uni, "project_id": projectID, "milestones": string(ms)})
	if err != nil {
		st.t.Fatal(err)
	}
}

// requestAcceptance queues the ledger request of an acceptance of mid, as
// the projects function does, and returns the row key and the payload.
func (st *stack) requestAcceptance(mid string, n int64) (tables.Key,
	ledgerreq.MilestoneAcceptance) {
	st.t.Helper()
	req := ledgerreq.MilestoneAcceptance{Type: ledgerreq.TypeMilestoneAcceptance, Corp: uni,
		ProjectID: projectID, MilestoneID: mid, AcceptedBy: uni + ":u-lead",
		AcceptedMS: 1_764_750_000_000 + n, Note: "按期验收", N: n}
	payload, _ := json.Marshal(req)
	key := tables.Key{tables.TenantKey(uni), ledgerreq.MilestoneMsgID(projectID, mid, n)}
	_, err := st.db.Create(context.Background(), tables.Outbox.Name, key,
		tables.Cols{"kind": ledgerreq.Kind, "state": "pending", "payload": string(payload)})
	if err != nil {
		st.t.Fatal(err)
	}
	return key, req
}

// TestDrainMilestoneAcceptances turns acceptance requests into signed
// milestone.acceptance entries, once each: the contract that lists the
// milestone (or the project, when none does), the report digest of the
// acceptance record, and an acceptor commitment the salt on the milestone
// row opens. A request whose milestone has no salt is marked failed.
func TestDrainMilestoneAcceptances(t *testing.T) {
	st := newStack(t, nil)
	ctx := context.Background()
	salt1, salt2 := bytes.Repeat([]byte{1}, envelope.SaltSize),
		bytes.Repeat([]byte{2}, envelope.SaltSize)
	st.seedMilestone("M-1", salt1)
	st.seedMilestone("M-2", salt2)
	st.seedMilestone("M-3", nil)
	st.seedProjectContract("c0009", "M-9")
	st.seedProjectContract("c0002", "M-1", "M-9")
	k1, r1 := st.requestAcceptance("M-1", 3)
	k2, r2 := st.requestAcceptance("M-2", 2)
	k3, _ := st.requestAcceptance("M-3", 2)

	st.tick()
	st.tick()
	es := st.sequenced()
	if len(es) != 2 {
		t.Fatalf("%d entries after two ticks, want 2", len(es))
	}
	for _, tc := range []struct {
		key      tables.Key
		req      ledgerreq.MilestoneAcceptance
		contract string
		salt     []byte
	}{
		{k1, r1, "c0002", salt1},
		{k2, r2, ledgerProjectContract, salt2},
	} {
		row := st.row(tables.Outbox.Name, tc.key)
		idx := row.Int("ledger_index")
		if row.String("state") != stateDone || idx < 0 || idx > 1 {
			t.Fatalf("request %v: state %q index %d", tc.key, row.String("state"), idx)
		}
		checkAcceptance(t, st, es[idx], tc.req, tc.contract, tc.salt)
		r, err := st.svc.log.Receipt(ctx, uint64(idx))
		if err == nil {
			_, err = ledger.VerifyReceipt(r, es[idx], st.verifier, nil)
		}
		if err != nil {
			t.Errorf("receipt of entry %d: %v", idx, err)
		}
		ix := st.row(tables.LedgerIndex.Name, tables.Key{tables.TenantKey(uni),
			indexMilestoneAcceptance, strings.TrimPrefix(tc.key[1].(string), "ledger/milestone/")})
		if ix.Int("index") != idx {
			t.Errorf("ledger index of %v = %d, want %d", tc.key, ix.Int("index"), idx)
		}
	}
	if row := st.row(tables.Outbox.Name, k3); row.String("state") != stateFailed ||
		!strings.Contains(row.String("reason"), "salt") {
		t.Errorf("request without a salt: state %q reason %q", row.String("state"),
			row.String("reason"))
	}
}

// ledgerProjectContract is what stands for the contract of projectID.
const ledgerProjectContract = ProjectContractPrefix + projectID

// checkAcceptance checks that entry is the signed acceptance of req.
func checkAcceptance(t *testing.T, st *stack, entry []byte, req ledgerreq.MilestoneAcceptance,
	contract string, salt []byte) {
	t.Helper()
	s, err := envelope.Parse(entry)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.svc.keys.Verify(s); err != nil || s.Signature.OnBehalfOf != uni {
		t.Errorf("signature %+v: %v", s.Signature, err)
	}
	if s.Envelope.Org != uni || s.Envelope.Time != req.AcceptedMS/1000 {
		t.Errorf("envelope org %q time %d", s.Envelope.Org, s.Envelope.Time)
	}
	body, err := s.Envelope.Decode()
	if err != nil {
		t.Fatal(err)
	}
	ma, ok := body.(*envelope.MilestoneAcceptance)
	if !ok {
		t.Fatalf("entry body %T, want a milestone acceptance", body)
	}
	record, _ := envelope.Canonical(map[string]any{"project": req.ProjectID,
		"milestone": req.MilestoneID, "accepted_by": req.AcceptedBy,
		"accepted_ms": req.AcceptedMS, "note": req.Note})
	want := envelope.MilestoneAcceptance{ContractID: contract, MilestoneID: req.MilestoneID,
		Accepted: true, Report: envelope.DigestOf(record)}
	got := *ma
	got.Acceptor = ""
	if got != want {
		t.Errorf("acceptance = %+v, want %+v", got, want)
	}
	if err := envelope.Open(ma.Acceptor, envelope.Prove(salt, []byte(req.AcceptedBy))); err != nil {
		t.Errorf("acceptor commitment does not open with the row's salt: %v", err)
	}
	if strings.Contains(string(entry), req.AcceptedBy) {
		t.Errorf("entry names the acceptor in the clear")
	}
}

// TestDrainReleasesPayment drains a contract version whose contract has an
// amount and milestones, then the acceptance of its milestone: the log gets
// the version, the acceptance and the payment release of the whole amount
// to the supplier, once, and a replay of the log agrees.
func TestDrainReleasesPayment(t *testing.T) {
	st := newStack(t, nil)
	ctx := context.Background()
	tid := tables.TenantKey(uni)
	parties, _ := json.Marshal([]map[string]string{{"corp": uni}, {"corp": firm}})
	if _, err := st.db.Create(ctx, tables.Contract.Name, tables.Key{tid, contractID},
		tables.Cols{"corp": uni, "project_id": projectID, "parties": string(parties),
			"amount_fen": int64(125_000), "milestones": `["M-1"]`}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.Create(ctx, tables.ContractVersion.Name,
		tables.Key{tid, contractID, int64(1)}, tables.Cols{"sha256": digestHex(1)}); err != nil {
		t.Fatal(err)
	}
	st.request(contractID, 1)
	st.tick()
	st.seedMilestone("M-1", bytes.Repeat([]byte{7}, envelope.SaltSize))
	st.requestAcceptance("M-1", 2)
	st.tick()
	st.tick()

	recs, err := rules.Records(0, st.sequenced())
	if err != nil {
		t.Fatal(err)
	}
	var releases []*envelope.PaymentRelease
	for _, r := range recs {
		if pr, ok := r.Body().(*envelope.PaymentRelease); ok {
			releases = append(releases, pr)
		}
	}
	if len(recs) != 3 || len(releases) != 1 {
		t.Fatalf("%d entries with %d releases, want version, acceptance and one release",
			len(recs), len(releases))
	}
	if r := releases[0]; r.ContractID != contractID || r.AmountFen != 125_000 ||
		r.Supplier != firm {
		t.Errorf("release %+v, want 125000 fen of %s to %s", r, contractID, firm)
	}
	if fs := rules.Replay(recs); len(fs) != 0 {
		t.Errorf("replay: %v", fs)
	}
}
