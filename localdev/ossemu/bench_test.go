package ossemu_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
)

var benchSizes = []int{1 << 20, 10 << 20}

// BenchmarkPutObject uploads through aliyun-oss-go-sdk (signature V1, CRC-64
// checked) to the emulator, which hashes the body to disk.
func BenchmarkPutObject(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			env := ossemutest.Start(b)
			bucket := env.Client(b)
			data := sized(size)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				key := fmt.Sprintf("bench/%d", i%4)
				i++
				if err := bucket.PutObject(key, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/object")
		})
	}
}

// BenchmarkGetObject downloads one object through the SDK.
func BenchmarkGetObject(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			env := ossemutest.Start(b)
			bucket := env.Client(b)
			if err := bucket.PutObject("bench", bytes.NewReader(sized(size))); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				r, err := bucket.GetObject("bench")
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, r)
				r.Close()
				if err != nil || n != int64(size) {
					b.Fatalf("read %d bytes, %v", n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/object")
		})
	}
}
