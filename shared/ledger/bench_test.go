package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
)

// BenchmarkAppendIntegrate measures sequencing and integrating batches of
// 512-byte entries into an in-memory log (bundles, tiles and state).
func BenchmarkAppendIntegrate(b *testing.B) {
	for _, batch := range []int{256, 4096} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			l, _, _ := newTestLog(b)
			es := make([][]byte, batch)
			for i := range es {
				es[i] = make([]byte, 512)
				es[i][0] = byte(i)
			}
			for b.Loop() {
				if _, err := l.Append(ctx, es...); err != nil {
					b.Fatal(err)
				}
				if _, err := l.Integrate(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

var (
	bigOnce sync.Once
	bigLog  *Log
)

const bigSize = 1 << 20

// big returns a published log of 2^20 entries, built once.
func big(b *testing.B) *Log {
	b.Helper()
	bigOnce.Do(func() {
		ctx := context.Background()
		l, _, _ := newTestLog(b)
		for n := 0; n < bigSize; n += 1 << 14 {
			grow(b, l, entries(n, n+1<<14))
		}
		if _, err := l.Publish(ctx); err != nil {
			b.Fatal(err)
		}
		bigLog = l
	})
	return bigLog
}

// BenchmarkInclusionProof measures building inclusion proofs from the tiles
// of a 2^20-entry tree: cold (a new TileReader per proof, as a stateless
// function would) and warm (one reader reused across proofs).
func BenchmarkInclusionProof(b *testing.B) {
	ctx := context.Background()
	l := big(b)
	rng := rand.New(rand.NewPCG(1, 1))
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.InclusionProof(ctx, rng.Uint64N(bigSize), bigSize); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "proofs/s")
	})
	b.Run("warm", func(b *testing.B) {
		tr := NewTileReader(l.store, bigSize)
		for b.Loop() {
			if _, err := tr.InclusionProof(ctx, rng.Uint64N(bigSize)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "proofs/s")
	})
}

// BenchmarkVerifyReceipt measures offline receipt verification at 2^20
// entries: the whole receipt (parse, checkpoint signature, inclusion), and
// the inclusion proof alone, which is transparency-dev/merkle's verifier.
func BenchmarkVerifyReceipt(b *testing.B) {
	ctx := context.Background()
	l := big(b)
	const index = 777_777
	r, err := l.Receipt(ctx, index)
	if err != nil {
		b.Fatal(err)
	}
	e := entry(index)
	b.Run("receipt", func(b *testing.B) {
		for b.Loop() {
			if _, err := VerifyReceipt(r, e, l.Verifier(), nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
	})
	b.Run("inclusion", func(b *testing.B) {
		c, _ := l.Checkpoint(ctx)
		p, _ := l.InclusionProof(ctx, index, bigSize)
		leaf := hasher.HashLeaf(e)
		for b.Loop() {
			if err := proof.VerifyInclusion(hasher, index, bigSize, leaf, p, c.Hash); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "proofs/s")
	})
}
