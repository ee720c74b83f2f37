package rules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// useRecord returns an unlogged data.use record at index, for pure tests.
func useRecord(t *testing.T, index uint64, u *envelope.DataUse) Record {
	t.Helper()
	e, err := envelope.New("univ", 1764720000+int64(index), u)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := envelope.Canonical(&envelope.Signed{Envelope: *e,
		Signature: envelope.Signature{Signer: "univ", KeyID: "00", Sig: []byte{1}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRecord(index, entry)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCarryForwardProperties settles random sequences of uses of one asset
// with random minimum payouts: every settlement is valid (payouts sum to the
// use's amount, paid + carry balances), is the same when computed twice,
// pays nothing below the minimum, and money is conserved: per party, what
// was paid plus what is still carried equals its shares, so the total paid
// plus the pool's debt equals the total amount of the uses.
func TestCarryForwardProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 19))
	parties := []string{"p0", "p1", "p2", "p3", "p4", "p5"}
	for seq := range 150 {
		var pool Pool
		shares, paid := map[string]int64{}, map[string]int64{}
		var total, totalPaid int64
		for n := range 1 + rng.IntN(30) {
			rule := randomRule(rng, 1+rng.IntN(4))
			for i := range rule { // Few parties, so carries accumulate.
				rule[i].Party = parties[(i+rng.IntN(2))%len(parties)]
			}
			if envelope.CheckShares(rule) != nil {
				rule = []envelope.Share{{Party: parties[n%len(parties)], BPS: 10_000}}
			}
			u := &envelope.DataUse{UseID: fmt.Sprintf("u%d-%d", seq, n), Asset: "asset.a",
				Consumer: "corp-b", Purpose: "research", AmountFen: rng.Int64N(3000),
				Shares: rule, MinPayoutFen: rng.Int64N(2000)}
			use := useRecord(t, uint64(n), u)
			e, carries, err := SettleWith(use, pool)
			if err != nil {
				t.Fatalf("seq %d use %d: %v", seq, n, err)
			}
			again, _, _ := SettleWith(use, pool)
			b1, _ := e.Canonical()
			b2, _ := again.Canonical()
			if !bytes.Equal(b1, b2) {
				t.Fatalf("seq %d use %d: settlement not deterministic", seq, n)
			}
			body, _ := e.Decode()
			for _, p := range body.(*envelope.RevenueSettlement).Payouts {
				if p.PaidFen != 0 && p.PaidFen < u.MinPayoutFen {
					t.Fatalf("seq %d use %d: %s paid %d below minimum %d",
						seq, n, p.Party, p.PaidFen, u.MinPayoutFen)
				}
				shares[p.Party] += p.AmountFen
				paid[p.Party] += p.PaidFen
				totalPaid += p.PaidFen
			}
			total += u.AmountFen
			ref := envelope.Ref{Index: uint64(1000 + n), Entry: envelope.DigestOf(b1)}
			pool = Pool{Carries: carries, Last: &ref}
		}
		if totalPaid+pool.Owed() != total {
			t.Fatalf("seq %d: paid %d + owed %d != amounts %d", seq, totalPaid, pool.Owed(), total)
		}
		for party, s := range shares {
			if paid[party]+pool.Carries[party] != s {
				t.Fatalf("seq %d: %s paid %d + carried %d != shares %d",
					seq, party, paid[party], pool.Carries[party], s)
			}
		}
	}
}

// TestCarryForwardExample pins the carry rule: below the minimum the share is
// owed, and paid with the settlement that brings it to the minimum.
func TestCarryForwardExample(t *testing.T) {
	rule := []envelope.Share{{Party: "a", BPS: 9000}, {Party: "b", BPS: 1000}}
	var pool Pool
	var got []string
	for i, amount := range []int64{500, 500, 1000} {
		use := useRecord(t, uint64(i), &envelope.DataUse{UseID: fmt.Sprint("u", i),
			Asset: "asset.a", Consumer: "c", Purpose: "p", AmountFen: amount, Shares: rule,
			MinPayoutFen: 100})
		e, carries, err := SettleWith(use, pool)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := e.Decode()
		for _, p := range body.(*envelope.RevenueSettlement).Payouts {
			got = append(got, fmt.Sprintf("%s:%d+%d=%d/%d", p.Party, p.AmountFen,
				p.CarriedInFen, p.PaidFen, p.CarryFen))
		}
		ref := envelope.Ref{Index: uint64(10 + i), Entry: envelope.DigestOf([]byte{byte(i)})}
		pool = Pool{Carries: carries, Last: &ref}
	}
	want := "a:450+0=450/0 b:50+0=0/50 a:450+0=450/0 b:50+50=100/0 a:900+0=900/0 b:100+0=100/0"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("payouts (amount+carried=paid/carry):\n got %s\nwant %s", s, want)
	}
}
