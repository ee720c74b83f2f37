package ledgerbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledgerverify"
)

// bigSize is the tree size of the inclusion benchmark; its entries are
// 64 bytes so that the in-memory tree stays small.
const (
	bigSize     = 1 << 20
	bigEntry    = 64
	proofSample = 64   // distinct proofs verified in turn
	perRound    = 4096 // verifications per variant and round
	proofRounds = 15
)

// proofCase is one entry of the big tree with what verifying it takes.
type proofCase struct {
	index   uint64
	entry   []byte
	hashes  [][]byte
	receipt []byte
}

func bigEntryAt(i uint64) []byte {
	e := make([]byte, bigEntry)
	copy(e, fmt.Sprintf("entry %d", i))
	return e
}

// bigLog builds a published in-memory log of bigSize entries and proofs of
// proofSample random entries in it.
func bigLog(b *testing.B) (*ledger.Checkpoint, []proofCase) {
	b.Helper()
	ctx := context.Background()
	l, err := ledger.New(ledger.Config{Store: new(ledger.MemStore),
		Sequencer: new(ledger.MemSequencer), Key: logKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 1 << 14
	for n := uint64(0); n < bigSize; n += chunk {
		batch := make([][]byte, chunk)
		for i := range batch {
			batch[i] = bigEntryAt(n + uint64(i))
		}
		if _, err := l.Append(ctx, batch...); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Integrate(ctx); err != nil {
			b.Fatal(err)
		}
	}
	c, err := l.Publish(ctx)
	if err != nil || c.Size != bigSize {
		b.Fatalf("publish: %v (size %d)", err, c.Size)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	cases := make([]proofCase, proofSample)
	for k := range cases {
		i := rng.Uint64N(bigSize)
		pc := proofCase{index: i, entry: bigEntryAt(i)}
		if pc.hashes, err = l.InclusionProof(ctx, i, bigSize); err != nil {
			b.Fatal(err)
		}
		if pc.receipt, err = l.Receipt(ctx, i); err != nil {
			b.Fatal(err)
		}
		cases[k] = pc
	}
	return c, cases
}

// BenchmarkVerifyInclusion compares the time to verify one inclusion proof
// in a tree of 2^20 entries (leaf hash included on both sides):
//
//	merkle:   transparency-dev/merkle proof.VerifyInclusion, the baseline
//	ours:     ledgerverify.Verifier.Inclusion, checkpoint verified once
//	          (metric ratio, goal ≤ 1.0)
//	receipt:  ledgerverify.Verifier.Receipt: parse the tlog-proof text, then
//	          as ours (receipt-ratio)
//	cold:     ledger.VerifyReceipt: parse, Ed25519 checkpoint signature,
//	          inclusion, for every receipt (cold-ratio)
func BenchmarkVerifyInclusion(b *testing.B) {
	c, cases := bigLog(b)
	logOnly, err := ledgerverify.ParseKeys(vkey, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	v := ledgerverify.NewVerifier(logOnly)
	h := rfc6962.DefaultHasher
	variants := []struct {
		name string
		n    int // verifications per round
		run  func(pc proofCase) error
	}{
		{"merkle", perRound, func(pc proofCase) error {
			return proof.VerifyInclusion(h, pc.index, bigSize, h.HashLeaf(pc.entry), pc.hashes,
				c.Hash)
		}},
		{"ours", perRound, func(pc proofCase) error {
			return v.Inclusion(c.Raw, pc.index, pc.entry, pc.hashes)
		}},
		{"receipt", perRound, func(pc proofCase) error {
			_, err := v.Receipt(pc.receipt, pc.entry, "")
			return err
		}},
		{"cold", perRound / 8, func(pc proofCase) error {
			_, err := ledger.VerifyReceipt(pc.receipt, pc.entry, logOnly.Log, nil)
			return err
		}},
	}
	perProof := make(map[string][]float64)
	for range b.N {
		for range proofRounds {
			for _, vt := range variants {
				start := time.Now()
				for i := range vt.n {
					if err := vt.run(cases[i%len(cases)]); err != nil {
						b.Fatalf("%s: %v", vt.name, err)
					}
				}
				ns := float64(time.Since(start).Nanoseconds()) / float64(vt.n)
				perProof[vt.name] = append(perProof[vt.name], ns)
			}
		}
	}
	base := median(perProof["merkle"])
	for _, vt := range variants {
		m := median(perProof[vt.name])
		b.ReportMetric(m, vt.name+"-ns/proof")
		if vt.name != "merkle" {
			name := vt.name + "-ratio"
			if vt.name == "ours" {
				name = "ratio"
			}
			b.ReportMetric(m/base, name)
		}
	}
	b.ReportMetric(0, "ns/op")
}
