package blob_test

import (
	"context"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
	"github.com/xietong/xietong/shared/blob"
)

// pattern is an endless reader of repeating bytes, so that large objects
// are never built in memory.
type pattern struct{ i byte }

func (p *pattern) Read(b []byte) (int, error) {
	for k := range b {
		b[k] = p.i
		p.i = p.i*31 + 7
	}
	return len(b), nil
}

// heapSampler records the high-water mark of HeapInuse while it runs.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			h.peak = max(h.peak, ms.HeapInuse)
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// Stop ends sampling and returns the peak in MiB.
func (h *heapSampler) Stop() float64 {
	close(h.stop)
	h.done.Wait()
	return float64(h.peak) / (1 << 20)
}

// BenchmarkSHA256_100MB hashes a 100 MiB object through the emulator and
// reports the process's peak heap in use, which stays far below the object
// size because the object streams.
func BenchmarkSHA256_100MB(b *testing.B) {
	const size = 100 << 20
	env := ossemutest.Start(b)
	store, err := blob.New(emulatorConfig(env, false))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	body := io.LimitReader(&pattern{}, size)
	if err := store.Put(ctx, "big.bin", body, blob.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	b.SetBytes(size)
	b.ReportAllocs()
	h := sampleHeap()
	for b.Loop() {
		d, err := store.SHA256(ctx, "big.bin")
		if err != nil || d.Size != size {
			b.Fatalf("SHA256 = %+v, %v", d, err)
		}
	}
	b.ReportMetric(h.Stop(), "peak-heap-MiB")
}
