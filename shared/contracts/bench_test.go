package contracts

import (
	"context"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/blob/blobtest"
)

// pdfStream is a PDF-looking stream of n bytes that is never held in memory.
func pdfStream(n int64, seed byte) io.Reader {
	head := []byte("%PDF-1.7\n")
	return io.MultiReader(bytesReader(head),
		io.LimitReader(rand.NewChaCha8([32]byte{seed}), n-int64(len(head))))
}

func bytesReader(b []byte) io.Reader { return &onceReader{b: b} }

type onceReader struct{ b []byte }

func (r *onceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// BenchmarkUploadToRecorded10MB measures, through the local stack, the time
// from the start of a browser PostObject of a 10 MB PDF to its version being
// recorded (the emulator's event runs the OSS handler before it answers).
func BenchmarkUploadToRecorded10MB(b *testing.B) {
	const size = 10 << 20
	st := newStack(b, Config{})
	c := st.newContract("lead")
	b.SetBytes(size)
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		g := st.grant("lead", c, "big.pdf", TypePDF)
		start := time.Now()
		_, err := blobtest.Post(context.Background(), g.Grant, blobtest.Upload{
			Filename: "big.pdf", ContentType: TypePDF, Body: pdfStream(size, byte(i))})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		if u := st.upload(c, g.Upload.ID); u.Status != UploadRecorded {
			b.Fatalf("upload %s: %s %s", u.ID, u.Status, u.Reason)
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/upload-to-recorded")
}

// BenchmarkVerify100MBPeakMemory uploads a 100 MB PDF with the trigger off,
// then runs the OSS handler on its event while sampling the heap, and
// reports the high-water mark above the baseline (goal: under 64 MB). The
// in-process emulators' own allocations count against it too.
func BenchmarkVerify100MBPeakMemory(b *testing.B) {
	const size = 100 << 20
	st := newStack(b, Config{})
	st.dispatch.Store(false)
	c := st.newContract("lead")
	var peakMB, seconds float64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		g := st.grant("lead", c, "huge.pdf", TypePDF)
		_, err := blobtest.Post(context.Background(), g.Grant, blobtest.Upload{
			Filename: "huge.pdf", ContentType: TypePDF, Body: pdfStream(size, byte(i))})
		if err != nil {
			b.Fatal(err)
		}
		payload := st.lastPayload()
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		peak := sampleHeap(func() {
			if _, err := st.fn.Dispatch(context.Background(), payload); err != nil {
				b.Fatal(err)
			}
		})
		seconds += time.Since(start).Seconds()
		peakMB = max(peakMB, float64(peak)/(1<<20))
		if u := st.upload(c, g.Upload.ID); u.Status != UploadRecorded {
			b.Fatalf("upload: %s %s", u.Status, u.Reason)
		}
	}
	b.ReportMetric(peakMB, "peak-heap-MB")
	b.ReportMetric(float64(size)/(1<<20)/(seconds/float64(b.N)), "verify-MB/s")
}

// sampleHeap runs f while reading runtime.MemStats every millisecond (and
// once more after f) and returns the highest HeapInuse seen above the level
// before f.
func sampleHeap(f func()) uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		last := false
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-done:
				if last {
					return
				}
				last = true // one more look at what f left behind
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

// TestSampleHeapSeesAllocations checks that the benchmark's meter would
// notice a file held in memory.
func TestSampleHeapSeesAllocations(t *testing.T) {
	runtime.GC()
	var keep []byte
	peak := sampleHeap(func() {
		keep = make([]byte, 32<<20)
		for i := range keep {
			keep[i] = byte(i)
		}
	})
	if peak < 30<<20 {
		t.Errorf("sampleHeap saw %d MB while 32 MB were held", peak>>20)
	}
	runtime.KeepAlive(keep)
}
