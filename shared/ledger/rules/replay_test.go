package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// settle logs a settlement of each use in order, chaining the pool.
func (w *world) settle(pool *Pool, use Record) Record {
	w.t.Helper()
	e, carries, err := SettleWith(use, *pool)
	if err != nil {
		w.t.Fatal(err)
	}
	r := w.addEnvelope(e)
	ref := r.Ref()
	*pool = Pool{Carries: carries, Last: &ref}
	return r
}

func grantOf(asset, party, purpose string, expires int64) *envelope.ConsentGrant {
	return &envelope.ConsentGrant{Owner: "univ", Party: party, Purpose: purpose, Asset: asset,
		Expires: expires, Subject: envelope.Commitment(envelope.DigestOf([]byte(asset)))}
}

// TestReplayReproducesLog logs random consented uses with their chained
// settlements (carries included), a payment release and registrations,
// reads the log back from its tiles and replays it: nothing is reported.
func TestReplayReproducesLog(t *testing.T) {
	w := newWorld(t)
	rng := rand.New(rand.NewPCG(23, 29))
	assets := []string{"asset.x", "asset.y"}
	for _, a := range assets {
		w.add("univ", grantOf(a, "corp-b", "research", 1764720000+10_000))
	}
	pools := map[string]*Pool{}
	for i := range 60 {
		a := assets[rng.IntN(len(assets))]
		use := w.add("univ", &envelope.DataUse{UseID: fmt.Sprint("use-", i), Asset: a,
			Consumer: "corp-b", Purpose: "research", AmountFen: rng.Int64N(5000),
			Shares: randomRule(rng, 1+rng.IntN(3)), MinPayoutFen: rng.Int64N(800)})
		if pools[a] == nil {
			pools[a] = new(Pool)
		}
		w.settle(pools[a], use)
	}
	w.add("univ", &envelope.IPRegistration{Work: envelope.DigestOf([]byte("w")),
		Kind: "dataset", Owners: []string{"univ"},
		Title: envelope.Commitment(envelope.DigestOf([]byte("t")))})
	doc := envelope.DigestOf([]byte("c"))
	w.add("univ", &envelope.ContractVersion{ContractID: "C-1", Version: 1, Document: doc,
		Parties: []string{"univ", "corp-s"}, Supplier: "corp-s",
		Tranches: []envelope.Tranche{{ID: "t1", AmountFen: 9, Milestones: []string{"m1"}}}})
	w.add("univ", &envelope.MilestoneAcceptance{ContractID: "C-1", MilestoneID: "m1",
		Accepted: true, Report: doc, Acceptor: envelope.Commitment(doc)})
	rel, err := ReleasePayment(w.recs, "C-1", "t1")
	if err != nil {
		t.Fatal(err)
	}
	w.addEnvelope(rel)

	if fs := Replay(w.replay()); len(fs) != 0 {
		t.Errorf("Replay of an honest log found %d problems, first: %v", len(fs), fs[0])
	}
}

// TestReplayFindsWrongResults logs entries that a contract would have
// refused or computed otherwise; the replay names each one.
func TestReplayFindsWrongResults(t *testing.T) {
	w := newWorld(t)
	g := w.add("univ", grantOf("asset.x", "corp-b", "research", 1764720000+100))
	use := func(n int, purpose string) Record {
		return w.add("univ", &envelope.DataUse{UseID: fmt.Sprint("use-", n), Asset: "asset.x",
			Consumer: "corp-b", Purpose: purpose, AmountFen: 1000,
			Shares: []envelope.Share{{Party: "univ", BPS: 6000}, {Party: "corp-s", BPS: 4000}}})
	}
	var pool Pool
	u1 := use(1, "research")
	w.settle(&pool, u1)

	u2 := use(2, "research")
	e, _, _ := SettleWith(u2, pool)
	b, _ := e.Decode()
	s := b.(*envelope.RevenueSettlement)
	s.Payouts[0].AmountFen, s.Payouts[0].PaidFen = 401, 401 // corp-s
	s.Payouts[1].AmountFen, s.Payouts[1].PaidFen = 599, 599 // univ
	forged, err := envelope.New(ServiceOrg, e.Time, s, e.Refs...)
	if err != nil {
		t.Fatal(err)
	}
	bad := w.addEnvelope(forged)
	badRef := bad.Ref()
	pool.Last = &badRef // The chain goes on from the logged one.

	noGrant := use(3, "marketing")
	w.settle(&pool, noGrant)
	w.add("univ", &envelope.ConsentRevocation{Grant: g.Index})
	revoked := use(4, "research")
	w.settle(&pool, revoked)
	unsettled := use(5, "research")
	reg := &envelope.IPRegistration{Work: envelope.DigestOf([]byte("w")), Kind: "dataset",
		Owners: []string{"univ"}, Title: envelope.Commitment(envelope.DigestOf([]byte("t")))}
	first := w.add("univ", reg)
	second := w.add("corp-b", reg)

	want := []struct {
		index uint64
		text  string
	}{
		{bad.Index, "recomputed"},
		{noGrant.Index, "none given"},
		{revoked.Index, fmt.Sprintf("revoked at entry %d", revoked.Index-1)},
		{unsettled.Index, "revoked"},
		{second.Index, fmt.Sprintf("registered first at entry %d", first.Index)},
		{unsettled.Index, "no revenue settlement"},
	}
	fs := Replay(w.replay())
	if len(fs) != len(want) {
		t.Fatalf("Replay found %d problems, want %d: %v", len(fs), len(want), fs)
	}
	for i, f := range fs {
		if f.Index != want[i].index || !strings.Contains(f.Problem, want[i].text) {
			t.Errorf("finding %d = %v, want entry %d naming %q", i, f, want[i].index,
				want[i].text)
		}
	}
}
