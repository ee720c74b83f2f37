package callback

import (
	"testing"
	"time"
)

// batch is the number of pushes opened per benchmark iteration, so that the
// figure is meaningful even under `-benchtime 1x`.
const batch = 2000

// BenchmarkOpen measures signature check, window check, decrypt and owner-key
// check of a typical directory event on one goroutine, and reports opens per
// second per core.
func BenchmarkOpen(b *testing.B) {
	v := vectors[1]
	c := v.crypto(b, v.owner)
	msg := []byte(`{"EventType":"user_modify_org","CorpId":"ding6ccabc44d2c8d38b",` +
		`"UserId":["manager4220","staff0815"],"OptStaffId":"manager4220",` +
		`"TimeStamp":"1608001896814"}`)
	r, err := c.Seal(msg)
	if err != nil {
		b.Fatal(err)
	}
	q := r.Query()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for range batch {
			if _, err := c.Open(q, r.Encrypt); err != nil {
				b.Fatal(err)
			}
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "opens/s/core")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*batch), "ns/open")
}

// BenchmarkSuccess measures sealing the "success" reply.
func BenchmarkSuccess(b *testing.B) {
	v := vectors[1]
	c := v.crypto(b, v.owner)
	start := time.Now()
	for range b.N {
		for range batch {
			if _, err := c.Success(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "replies/s/core")
}
