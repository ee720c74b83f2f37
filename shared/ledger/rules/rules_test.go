package rules

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
)

// rule builds shares from party, bps pairs.
func rule(pairs ...any) []envelope.Share {
	var out []envelope.Share
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, envelope.Share{Party: pairs[i].(string), BPS: pairs[i+1].(int)})
	}
	return out
}

func TestDistributeExamples(t *testing.T) {
	tests := []struct {
		total  int64
		shares []envelope.Share
		want   []int64 // by party order a, b, c
	}{
		{100, rule("a", 3333, "b", 3333, "c", 3334), []int64{33, 33, 34}},
		{1, []envelope.Share{{Party: "b", BPS: 5000}, {Party: "a", BPS: 5000}}, []int64{1, 0}},
		{2, rule("c", 3334, "b", 3333, "a", 3333), []int64{1, 0, 1}},
		{0, []envelope.Share{{Party: "a", BPS: 10000}}, []int64{0}},
		{999_999, []envelope.Share{{Party: "a", BPS: 1}, {Party: "b", BPS: 9999}},
			[]int64{100, 999_899}},
	}
	for _, tt := range tests {
		got, err := Distribute(tt.total, tt.shares)
		if err != nil {
			t.Errorf("Distribute(%d, %v): %v", tt.total, tt.shares, err)
			continue
		}
		var amounts []int64
		for _, p := range got {
			amounts = append(amounts, p.AmountFen)
		}
		if !slices.Equal(amounts, tt.want) {
			t.Errorf("Distribute(%d, %v) = %v, want %v", tt.total, tt.shares, amounts, tt.want)
		}
	}
}

func TestDistributeRefuses(t *testing.T) {
	tests := []struct {
		total  int64
		shares []envelope.Share
	}{
		{10, []envelope.Share{{Party: "a", BPS: 5000}}},
		{10, []envelope.Share{{Party: "a", BPS: 5000}, {Party: "a", BPS: 5000}}},
		{10, []envelope.Share{{Party: "a", BPS: 10001}, {Party: "b", BPS: -1}}},
		{-1, []envelope.Share{{Party: "a", BPS: 10000}}},
		{envelope.MaxFen + 1, []envelope.Share{{Party: "a", BPS: 10000}}},
	}
	for _, tt := range tests {
		if _, err := Distribute(tt.total, tt.shares); !errors.Is(err, envelope.ErrInvalid) {
			t.Errorf("Distribute(%d, %v) error = %v, want ErrInvalid", tt.total, tt.shares, err)
		}
	}
}

// randomRule returns n shares with random positive bps summing to 10,000.
func randomRule(rng *rand.Rand, n int) []envelope.Share {
	cuts := map[int]bool{}
	for len(cuts) < n-1 {
		cuts[1+rng.IntN(envelope.TotalBPS-1)] = true
	}
	points := []int{0, envelope.TotalBPS}
	for c := range cuts {
		points = append(points, c)
	}
	slices.Sort(points)
	shares := make([]envelope.Share, n)
	for i := range shares {
		party := fmt.Sprintf("p%03d", rng.IntN(1000)*1000+i)
		shares[i] = envelope.Share{Party: party, BPS: points[i+1] - points[i]}
	}
	return shares
}

func TestDistributeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for iter := range 3000 {
		shares := randomRule(rng, 1+rng.IntN(25))
		total := rng.Int64N(envelope.MaxFen + 1)
		if iter%2 == 0 {
			total = rng.Int64N(1000)
		}
		got, err := Distribute(total, shares)
		if err != nil {
			t.Fatalf("Distribute(%d, %v): %v", total, shares, err)
		}
		var sum int64
		for _, p := range got {
			exact := total * int64(p.BPS) / envelope.TotalBPS
			if p.AmountFen != exact && p.AmountFen != exact+1 {
				t.Fatalf("Distribute(%d, %v): %s gets %d, want %d or %d",
					total, shares, p.Party, p.AmountFen, exact, exact+1)
			}
			sum += p.AmountFen
		}
		if sum != total {
			t.Fatalf("Distribute(%d, %v): payouts sum to %d", total, shares, sum)
		}
		shuffled := slices.Clone(shares)
		rng.Shuffle(len(shuffled),
			func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, _ := Distribute(total, shuffled)
		if !slices.Equal(got, again) {
			t.Fatalf("Distribute depends on share order: %v vs %v", got, again)
		}
	}
}

// world signs envelopes for organizations and the service and keeps a log.
type world struct {
	t    *testing.T
	log  *ledger.Log
	keys map[string]envelope.Key
	recs []Record
}

func newWorld(t *testing.T) *world {
	t.Helper()
	skey, _, err := ledger.GenerateKey("example.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.New(ledger.Config{
		Store: new(ledger.MemStore), Sequencer: new(ledger.MemSequencer), Key: skey,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, log: l, keys: map[string]envelope.Key{}}
	for i, org := range []string{"univ", "corp-s", "corp-b", ServiceOrg} {
		seed := bytes.Repeat([]byte{byte(i + 1)}, 32)
		w.keys[org] = envelope.Key{Signer: org, Private: ed25519.NewKeyFromSeed(seed)}
	}
	return w
}

// add signs body as org and logs it.
func (w *world) add(org string, body envelope.Body) Record {
	w.t.Helper()
	e, err := envelope.New(org, 1764720000+int64(len(w.recs)), body)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.addEnvelope(e)
}

func (w *world) addEnvelope(e *envelope.Envelope) Record {
	w.t.Helper()
	ctx := context.Background()
	s, err := w.keys[e.Org].Sign(e)
	if err != nil {
		w.t.Fatal(err)
	}
	entry, err := s.Entry()
	if err != nil {
		w.t.Fatal(err)
	}
	index, err := w.log.Append(ctx, entry)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.log.Integrate(ctx); err != nil {
		w.t.Fatal(err)
	}
	r, err := NewRecord(index, entry)
	if err != nil {
		w.t.Fatal(err)
	}
	w.recs = append(w.recs, r)
	return r
}

// replay reads every entry back from the log's tiles.
func (w *world) replay() []Record {
	w.t.Helper()
	ctx := context.Background()
	size := uint64(len(w.recs))
	var entries [][]byte
	for i := range size {
		e, err := w.log.Entry(ctx, i, size)
		if err != nil {
			w.t.Fatal(err)
		}
		entries = append(entries, e)
	}
	recs, err := Records(0, entries)
	if err != nil {
		w.t.Fatal(err)
	}
	return recs
}

// TestSettlementsReplay logs random data uses with their settlements, then
// recomputes every settlement from the entries read back from the log and
// compares it with the one logged.
func TestSettlementsReplay(t *testing.T) {
	w := newWorld(t)
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range 40 {
		use := w.add("univ", &envelope.DataUse{
			UseID: fmt.Sprintf("use-%d", i), Asset: "asset.talent",
			Consumer: "corp-b", Purpose: "recruiting",
			AmountFen: rng.Int64N(10_000_000), Shares: randomRule(rng, 1+rng.IntN(6)),
		})
		s, err := Settle(use)
		if err != nil {
			t.Fatal(err)
		}
		w.addEnvelope(s)
	}

	recs := w.replay()
	checked := 0
	for i, r := range recs {
		if r.Type() != envelope.TypeDataUse {
			continue
		}
		again, err := Settle(r)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := again.Canonical()
		got, _ := recs[i+1].Signed.Envelope.Canonical()
		if !bytes.Equal(got, want) {
			t.Errorf("settlement of entry %d: logged %s, recomputed %s", r.Index, got, want)
		}
		checked++
	}
	if checked != 40 {
		t.Errorf("replayed %d settlements, want 40", checked)
	}
}

func TestReleasePayment(t *testing.T) {
	w := newWorld(t)
	doc := envelope.DigestOf([]byte("contract"))
	w.add("univ", &envelope.ContractVersion{
		ContractID: "C-1", Version: 1, Document: doc,
		Parties: []string{"univ", "corp-s"}, Supplier: "corp-s",
		Tranches: []envelope.Tranche{{ID: "final", AmountFen: 800_000,
			Milestones: []string{"m1", "m2"}}},
	})
	accept := func(org, m string, ok bool) Record {
		return w.add(org, &envelope.MilestoneAcceptance{
			ContractID: "C-1", MilestoneID: m, Accepted: ok, Report: doc,
			Acceptor: envelope.Commitment(envelope.DigestOf([]byte(org))),
		})
	}
	a1 := accept("univ", "m1", true)
	accept("corp-s", "m2", true) // The supplier cannot accept its own work.
	accept("univ", "m2", false)  // A rejection is not an acceptance.
	_, err := ReleasePayment(w.recs, "C-1", "final")
	if !errors.Is(err, ErrNotReleasable) || !strings.Contains(err.Error(), `"m2"`) {
		t.Fatalf("release before m2 accepted: error = %v, want ErrNotReleasable naming m2", err)
	}
	a2 := accept("univ", "m2", true)
	e, err := ReleasePayment(w.recs, "C-1", "final")
	if err != nil {
		t.Fatalf("release after both accepted: %v", err)
	}
	b, _ := e.Decode()
	rel := b.(*envelope.PaymentRelease)
	if rel.AmountFen != 800_000 || !slices.Equal(rel.Acceptances, []uint64{a1.Index, a2.Index}) {
		t.Errorf("release = %+v, want 800000 fen on acceptances %d, %d", rel, a1.Index, a2.Index)
	}
	w.addEnvelope(e)
	if _, err := ReleasePayment(w.replay(), "C-1", "final"); !errors.Is(err, ErrAlreadyDone) {
		t.Errorf("second release: error = %v, want ErrAlreadyDone", err)
	}
	if _, err := ReleasePayment(w.recs, "C-9", "final"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown contract: error = %v, want ErrNotFound", err)
	}
}

func TestFirstToFile(t *testing.T) {
	w := newWorld(t)
	work := envelope.DigestOf([]byte("source tree"))
	reg := func(org string, d envelope.Digest) *envelope.IPRegistration {
		return &envelope.IPRegistration{Work: d, Kind: "software", Owners: []string{org},
			Title: envelope.Commitment(envelope.DigestOf([]byte("title")))}
	}
	w.add("corp-b", reg("corp-b", envelope.DigestOf([]byte("other work"))))
	first := w.add("univ", reg("univ", work))
	if err := CheckRegistration(w.recs, reg("corp-s", work)); !errors.Is(err, ErrRegistered) ||
		!strings.Contains(err.Error(), fmt.Sprintf("entry %d", first.Index)) {
		t.Errorf("second registration: error = %v, want ErrRegistered naming entry %d", err,
			first.Index)
	}
	later := w.add("corp-s", reg("corp-s", work)) // logged anyway, e.g. by a replaying party

	recs := w.replay()
	slices.Reverse(recs) // Log order, not slice order, decides.
	e, err := FirstToFile(recs, work)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Decode()
	p := b.(*envelope.IPPriority)
	if p.First != first.Index || !slices.Equal(p.Owners, []string{"univ"}) ||
		!slices.Equal(p.Refused, []uint64{later.Index}) {
		t.Errorf("priority = %+v, want first %d by univ, refused %d", p, first.Index, later.Index)
	}
	if _, err := FirstToFile(recs, envelope.DigestOf([]byte("nothing"))); !errors.Is(err,
		ErrNotFound) {
		t.Errorf("unregistered work: error = %v, want ErrNotFound", err)
	}
}
