package ledgerbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
	"k8s.io/klog/v2"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/ledgerstore"
	"github.com/xietong/xietong/shared/tables"
)

// The workload both logs get: appendN entries of entrySize bytes from
// writers concurrent writers, each appending one entry at a time and
// waiting until it is durably sequenced; batches of batchSize entries (the
// Tablestore sequencer's group commit limit and Tessera's WithBatching
// size). rounds runs of each log alternate; the median counts.
const (
	appendN   = 1 << 14
	entrySize = 512
	batchSize = ledgerstore.MaxBatchEntries
	writers   = 256
	rounds    = 5
)

// appendRun is one measured run: seq is how long until every entry was
// durably sequenced, total until a published checkpoint covered them all.
type appendRun struct{ seq, total time.Duration }

// appendLog runs the workload once against one log, in a fresh directory.
type appendLog func(b *testing.B, dir string, entries [][]byte) appendRun

// BenchmarkDurableAppends compares appends per second, from the first
// submission to a published checkpoint covering all, of xietong's log and of
// Tessera v1.0.4's POSIX driver, on the same machine in the same run.
//
//	ours:           ledger.Log over ledgerstore's Tablestore sequencer and OSS
//	                object store, against the in-process emulators (bbolt file,
//	                fsynced per commit; object directory, not fsynced), both in
//	                t.TempDir, reached over HTTP with the real SDKs
//	memory:         ledger.Log over MemSequencer and MemStore (not durable)
//	tessera:        Tessera's POSIX driver in t.TempDir (files fsynced),
//	                checkpoint interval 100 ms (the driver's minimum)
//
// Ours is integrated every 100 ms while the burst is sequenced, as the
// ledger function's timer would, and published once all is integrated;
// Tessera integrates as it sequences and publishes on its interval. Each
// round runs the logs back to back; ratio_vs_tessera is the median over the
// rounds of ours-emulators' rate over Tessera's in the same round, so that
// load from other processes, which drifts, weighs on both alike.
func BenchmarkDurableAppends(b *testing.B) {
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
	entries := make([][]byte, appendN)
	for i := range entries {
		entries[i] = make([]byte, entrySize)
		copy(entries[i], fmt.Sprintf("entry %d ", i))
	}
	logs := []struct {
		name string
		run  appendLog
	}{
		{"tessera", runTessera},
		{"ours", runOursEmulators},
		{"memory", runOursMemory},
	}
	rates := make(map[string][]float64)
	var ratios, memRatios []float64
	for range b.N {
		for r := range rounds {
			round := make(map[string]float64)
			for _, l := range logs {
				run := l.run(b, b.TempDir(), entries)
				round[l.name] = float64(appendN) / run.total.Seconds()
				rates[l.name] = append(rates[l.name], round[l.name])
				b.Logf("round %d %-8s sequenced %6.0fms, published %6.0fms", r+1, l.name,
					ms(run.seq), ms(run.total))
			}
			ratios = append(ratios, round["ours"]/round["tessera"])
			memRatios = append(memRatios, round["memory"]/round["tessera"])
		}
	}
	for name, rs := range rates {
		b.ReportMetric(median(rs), name+"_appends/s")
	}
	b.ReportMetric(median(ratios), "ratio_vs_tessera")
	b.ReportMetric(median(memRatios), "memory_ratio_vs_tessera")
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// parallel calls add for every entry from writers goroutines and returns
// the largest index it answered.
func parallel(b *testing.B, entries [][]byte, add func(e []byte) (uint64, error)) uint64 {
	b.Helper()
	var next atomic.Int64
	var top atomic.Uint64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(entries)); i = next.Add(1) - 1 {
				idx, err := add(entries[i])
				if err != nil {
					b.Error(err)
					return
				}
				for old := top.Load(); idx > old && !top.CompareAndSwap(old, idx); {
					old = top.Load()
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return top.Load()
}

var (
	keyOnce    sync.Once
	skey, vkey string
)

func logKey(b *testing.B) string {
	b.Helper()
	keyOnce.Do(func() {
		var err error
		if skey, vkey, err = ledger.GenerateKey("bench.test/log"); err != nil {
			b.Fatal(err)
		}
	})
	return skey
}

func runTessera(b *testing.B, dir string, entries [][]byte) appendRun {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signer, err := note.NewSigner(logKey(b))
	if err != nil {
		b.Fatal(err)
	}
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		b.Fatal(err)
	}
	opts := tessera.NewAppendOptions().WithCheckpointSigner(signer).
		WithBatching(batchSize, 100*time.Millisecond).
		WithCheckpointInterval(100 * time.Millisecond)
	appender, shutdown, reader, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer shutdown(ctx)
	awaiter := tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 5*time.Millisecond)

	start := time.Now()
	top := parallel(b, entries, func(e []byte) (uint64, error) {
		i, err := appender.Add(ctx, tessera.NewEntry(e))()
		return i.Index, err
	})
	run := appendRun{seq: time.Since(start)}
	last := func() (tessera.Index, error) { return tessera.Index{Index: top}, nil }
	if _, _, err := awaiter.Await(ctx, last); err != nil {
		b.Fatal(err)
	}
	run.total = time.Since(start)
	checkSize(b, top, len(entries))
	return run
}

func runOursMemory(b *testing.B, _ string, entries [][]byte) appendRun {
	b.Helper()
	seq := new(ledger.MemSequencer)
	return runOurs(b, new(ledger.MemStore), seq, entries)
}

func runOursEmulators(b *testing.B, _ string, entries [][]byte) appendRun {
	b.Helper()
	ctx := context.Background()
	oss := ossemutest.Start(b)
	files, err := blob.New(blob.Config{Endpoint: oss.Endpoint, Bucket: oss.Bucket,
		Region: oss.Region, AccessKeyID: oss.AccessKeyID, AccessKeySecret: oss.AccessKeySecret})
	if err != nil {
		b.Fatal(err)
	}
	ots := otstest.Start(b)
	if err := tables.Create(ctx, ots.Client, tables.All); err != nil {
		b.Fatal(err)
	}
	db, err := tables.New(ots.Client, tables.All)
	if err != nil {
		b.Fatal(err)
	}
	seq, err := ledgerstore.NewSequencer(db, "bench.test/log")
	if err != nil {
		b.Fatal(err)
	}
	return runOurs(b, ledgerstore.NewObjectStore(files, "ledger/"), seq, entries)
}

// runOurs appends entries from the writers while an integrator runs Integrate
// over and over, as the ledger function's timer does (each run takes what is
// sequenced, up to the default batch), then publishes one checkpoint.
func runOurs(b *testing.B, store ledger.ObjectStore, seq ledger.Sequencer,
	entries [][]byte) appendRun {
	b.Helper()
	ctx := context.Background()
	l, err := ledger.New(ledger.Config{Store: store, Sequencer: seq, Key: logKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	want := uint64(len(entries))
	integrated := make(chan error, 1)
	start := time.Now()
	go func() { integrated <- integrateUntil(ctx, l, want) }()
	parallel(b, entries, func(e []byte) (uint64, error) { return l.Append(ctx, e) })
	run := appendRun{seq: time.Since(start)}
	if err := <-integrated; err != nil {
		b.Fatal(err)
	}
	c, err := l.Publish(ctx)
	if err != nil {
		b.Fatal(err)
	}
	run.total = time.Since(start)
	checkSize(b, c.Size-1, len(entries))
	return run
}

// integrateInterval is how often runOurs's integrator runs, as the ledger
// function's timer would: Tessera's checkpoint interval here.
const integrateInterval = 100 * time.Millisecond

// integrateUntil integrates every integrateInterval until the tree has size
// entries. Like the ledger function's timer (ledgerapi.Service.Integrate),
// each tick runs Integrate until nothing is waiting; each run takes every
// entry sequenced by then (up to the default batch).
func integrateUntil(ctx context.Context, l *ledger.Log, size uint64) error {
	t := time.NewTicker(integrateInterval)
	defer t.Stop()
	var last uint64
	for {
		st, err := l.Integrate(ctx)
		if err != nil && !errors.Is(err, ledger.ErrConflict) {
			return err
		}
		if st.Size >= size {
			return nil
		}
		if st.Size == last {
			<-t.C // Nothing was waiting: the tick is over.
		}
		last = st.Size
	}
}

// checkSize fails unless the largest index is the last of n entries.
func checkSize(b *testing.B, top uint64, n int) {
	b.Helper()
	if top != uint64(n-1) {
		b.Fatalf("largest index %d, want %d", top, n-1)
	}
}
