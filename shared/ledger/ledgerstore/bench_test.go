package ledgerstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// BenchmarkIntegrate measures integration over the emulators: each round
// sequences 1024 entries of 512 bytes (timer stopped), then integrates them
// (bundles and tiles to OSS, state to Tablestore).
func BenchmarkIntegrate(b *testing.B) {
	ctx := context.Background()
	db, _ := newDB(b)
	seq := newSequencer(b, db)
	sk, _ := testKeys(b)
	l := newLog(b, NewObjectStore(newFiles(b), "ledger/"), seq, sk, 0)
	batch := make([][]byte, MaxBatchEntries)
	for i := range batch {
		batch[i] = make([]byte, 512)
		batch[i][0] = byte(i)
	}
	entries := 0
	for b.Loop() {
		b.StopTimer()
		for range 4 {
			if _, err := seq.Assign(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		integrateAll(b, l, seq)
		entries += 4 * len(batch)
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkAssign measures single-entry appends through the Tablestore
// sequencer from 20 concurrent writers on one Sequencer (group commit) and
// on four (four instances racing for positions).
func BenchmarkAssign(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			ctx := context.Background()
			seqs := instances(b, n)
			const writers = 20
			for b.Loop() {
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						if _, err := seqs[w%n].Assign(ctx, [][]byte{entry(w)}); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.N*writers)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}
