package rules

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// benchLog returns a log of a grant and n data uses of one asset, each
// followed by its settlement, built without a tree (signatures are not
// checked by Replay).
func benchLog(b *testing.B, n int) []Record {
	rng := rand.New(rand.NewPCG(1, 2))
	sig := envelope.Signature{Signer: "univ", KeyID: "00", Sig: []byte{1}}
	rec := func(e *envelope.Envelope, index int) Record {
		s := &envelope.Signed{Envelope: *e, Signature: sig}
		if e.Org == ServiceOrg {
			s.Signature.Signer = ServiceOrg
		}
		entry, err := s.Entry()
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewRecord(uint64(index), entry)
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	g, _ := envelope.New("univ", 1000, grantOf("asset.x", "corp-b", "research", 1<<40))
	log := []Record{rec(g, 0)}
	var pool Pool
	for i := range n {
		e, _ := envelope.New("univ", int64(1001+i), &envelope.DataUse{
			UseID: fmt.Sprint("u", i), Asset: "asset.x", Consumer: "corp-b",
			Purpose: "research", AmountFen: rng.Int64N(100_000), MinPayoutFen: 500,
			Shares: randomRule(rng, 1+rng.IntN(5))})
		use := rec(e, len(log))
		log = append(log, use)
		s, carries, err := SettleWith(use, pool)
		if err != nil {
			b.Fatal(err)
		}
		r := rec(s, len(log))
		log = append(log, r)
		ref := r.Ref()
		pool = Pool{Carries: carries, Last: &ref}
	}
	return log
}

// BenchmarkReplay replays a log of 5,000 data uses of one asset and their
// chained settlements (10,001 entries), recomputing every settlement (with
// carries) and consent decision.
func BenchmarkReplay(b *testing.B) {
	log := benchLog(b, 5_000)
	for b.Loop() {
		if fs := Replay(log); len(fs) != 0 {
			b.Fatalf("replay: %v", fs[0])
		}
	}
	b.ReportMetric(float64(b.N*len(log))/b.Elapsed().Seconds(), "replayed_entries/s")
}
