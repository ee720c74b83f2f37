package ledgerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/witness"
	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/tables"
)

const contractID = "c0001"

func digestHex(n int64) string {
	return strings.TrimPrefix(string(envelope.DigestOf(fmt.Appendf(nil, "contract v%d", n))),
		"sha256:")
}

// seedContract writes a contract of uni with firm as party, and its version
// rows, as the contracts function does.
func (st *stack) seedContract(versions int64) {
	st.t.Helper()
	ctx := context.Background()
	tid := tables.TenantKey(uni)
	parties, _ := json.Marshal([]contracts.Party{{Corp: uni, Name: "Uni"},
		{Corp: firm, Name: "Firm"}})
	if _, err := st.db.Create(ctx, tables.Contract.Name, tables.Key{tid, contractID},
		tables.Cols{"corp": uni, "parties": string(parties)}); err != nil {
		st.t.Fatal(err)
	}
	for n := int64(1); n <= versions; n++ {
		if _, err := st.db.Create(ctx, tables.ContractVersion.Name,
			tables.Key{tid, contractID, n}, tables.Cols{"sha256": digestHex(n)}); err != nil {
			st.t.Fatal(err)
		}
	}
}

// request queues the ledger record request of a version, as contracts does.
func (st *stack) request(contract string, n int64) tables.Key {
	st.t.Helper()
	tid := tables.TenantKey(uni)
	payload, _ := json.Marshal(ledgerreq.ContractVersion{Type: "contract.version", Corp: uni,
		ContractID: contract, Version: n, SHA256: digestHex(n), Size: 100,
		ContentType: "application/pdf", UploadedBy: uni + ":u1",
		UploadedAt: time.Unix(1_764_749_700+n, 0)})
	key := tables.Key{tid, ledgerreq.ContractMsgID(contract, n)}
	cols := tables.Cols{"kind": ledgerreq.Kind, "state": "pending",
		"payload": string(payload)}
	if _, err := st.db.Create(context.Background(), tables.Outbox.Name, key, cols); err != nil {
		st.t.Fatal(err)
	}
	return key
}

func (st *stack) row(table string, key tables.Key) *tables.Row {
	st.t.Helper()
	row, err := st.db.Get(context.Background(), table, key)
	if err != nil {
		st.t.Fatal(err)
	}
	return row
}

// TestDrainRecordRequests turns contract-version requests into entries once
// each, across repeated ticks and a tick that died after sequencing.
func TestDrainRecordRequests(t *testing.T) {
	st := newStack(t, nil)
	ctx := context.Background()
	st.seedContract(3)
	v1, v2 := st.request(contractID, 1), st.request(contractID, 2)
	orphan := st.request("c0404", 1)
	notice := tables.Key{tables.TenantKey(uni), "notice/1"}
	st.db.Create(ctx, tables.Outbox.Name, notice, tables.Cols{"kind": "notice", "state": "pending"})

	st.tick()
	st.tick()
	es := st.sequenced()
	if len(es) != 2 {
		t.Fatalf("%d entries after two ticks, want 2", len(es))
	}
	for n, key := range map[int64]tables.Key{1: v1, 2: v2} {
		row := st.row(tables.Outbox.Name, key)
		idx := row.Int("ledger_index")
		if row.String("state") != stateDone || idx < 0 || idx > 1 {
			t.Fatalf("request v%d: state %q index %d", n, row.String("state"), idx)
		}
		s, err := envelope.Parse(es[idx])
		if err != nil {
			t.Fatal(err)
		}
		if err := st.svc.keys.Verify(s); err != nil || s.Signature.OnBehalfOf != uni {
			t.Errorf("entry %d: signature %+v: %v", idx, s.Signature, err)
		}
		body, _ := s.Envelope.Decode()
		cv := body.(*envelope.ContractVersion)
		if cv.Version != int(n) || cv.Document != envelope.Digest("sha256:"+digestHex(n)) ||
			strings.Join(cv.Parties, ",") != uni+","+firm {
			t.Errorf("entry %d = %+v", idx, cv)
		}
		if n == 2 && cv.Previous != envelope.Digest("sha256:"+digestHex(1)) {
			t.Errorf("version 2 previous = %q, want version 1's digest", cv.Previous)
		}
		r, err := st.svc.log.Receipt(ctx, uint64(idx))
		if err == nil {
			_, err = ledger.VerifyReceipt(r, es[idx], st.verifier, nil)
		}
		if err != nil {
			t.Errorf("receipt of entry %d: %v", idx, err)
		}
	}
	ix := st.row(tables.LedgerIndex.Name, tables.Key{tables.TenantKey(uni),
		indexContractVersion, contractID + "/00000002"})
	if got := ix.Int("index"); got != st.row(tables.Outbox.Name, v2).Int("ledger_index") {
		t.Errorf("ledger index of version 2 = %d, want the request's index", got)
	}
	if row := st.row(tables.Outbox.Name, orphan); row.String("state") != stateFailed ||
		!strings.Contains(row.String("reason"), "c0404") {
		t.Errorf("request of a missing contract: state %q reason %q",
			row.String("state"), row.String("reason"))
	}
	if row := st.row(tables.Outbox.Name, notice); row.String("state") != "pending" {
		t.Errorf("a notification row was touched: state %q", row.String("state"))
	}

	// A tick that sequenced version 3 and died before marking it done.
	v3 := st.request(contractID, 3)
	row := st.row(tables.Outbox.Name, v3)
	entry, err := st.svc.requestEntry(ctx, tables.TenantKey(uni), row.String("payload"))
	if err != nil {
		t.Fatal(err)
	}
	in := &rowIntent{db: st.db, table: tables.Outbox.Name, key: v3, row: row,
		set: tables.Cols{"state": stateSequencing}}
	idx, err := st.svc.seq.AssignOnce(ctx, "outbox/"+tables.TenantKey(uni)+"/"+
		ledgerreq.ContractMsgID(contractID, 3), [][]byte{entry}, in)
	if err != nil {
		t.Fatal(err)
	}
	st.tick()
	if n := len(st.sequenced()); n != 3 {
		t.Errorf("%d entries after the rerun, want 3", n)
	}
	if row := st.row(tables.Outbox.Name, v3); row.String("state") != stateDone ||
		row.Int("ledger_index") != int64(idx) {
		t.Errorf("request v3 after the rerun: state %q index %d, want done at %d",
			row.String("state"), row.Int("ledger_index"), idx)
	}
}

// TestTickWithWitnesses configures two witnesses (one over HTTP) with a
// 2-of-2 policy: the published checkpoint carries both cosignatures.
func TestTickWithWitnesses(t *testing.T) {
	keyOnce.Do(func() {
		var err error
		if skey, vkey, err = ledger.GenerateKey("ledger.test/log"); err != nil {
			t.Fatal(err)
		}
	})
	var ws []Witness
	var vkeys []string
	for _, name := range []string{"witness.test/a", "witness.test/b"} {
		wskey, wvkey, err := witness.GenerateKey(name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := witness.New(wskey, new(witness.MemState), vkey)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(w.Handler())
		t.Cleanup(srv.Close)
		ws = append(ws, Witness{URL: srv.URL, VKey: wvkey})
		vkeys = append(vkeys, wvkey)
	}
	cfg, _ := json.Marshal(ws)
	st := newStack(t, map[string]string{EnvWitnesses: string(cfg), EnvWitnessK: "2"})
	var entries [][]byte
	for i := range 3 {
		s := signed(t, uni, i)
		st.submit(SubmitRequest{Signed: s}, nil)
		entries = append(entries, entryOf(t, s))
		st.tick()
	}
	policy, err := witness.NewPolicy(2, vkeys...)
	if err != nil {
		t.Fatal(err)
	}
	a := st.do("GET", "/api/ledger/checkpoint", nil, nil)
	c, err := ledger.OpenCheckpoint(a.body, st.verifier, policy)
	if err != nil || c.Size != 3 {
		t.Fatalf("checkpoint under 2-of-2: %v", err)
	}
	if n := policy.Count(c.Note); n != 2 {
		t.Errorf("checkpoint carries %d cosignatures, want 2", n)
	}
	r := st.do("GET", "/api/ledger/receipts/1", nil, nil)
	if _, err := ledger.VerifyReceipt(r.body, entries[1], st.verifier, policy); err != nil {
		t.Errorf("receipt under the policy: %v", err)
	}
}
