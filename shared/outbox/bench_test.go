package outbox_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/outbox"
)

// BenchmarkDrain drains batches of 200 text notices (to 200 users, distinct
// content) from the emulator into the DingTalk fake over HTTP, with the
// client's QPS pacing off, and reports messages drained per second.
func BenchmarkDrain(b *testing.B) {
	for _, workers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			benchDrain(b, workers)
		})
	}
}

func benchDrain(b *testing.B, workers int) {
	const batch = 200
	s := newStack(b, dingfake.Config{NoticeLimit: 1 << 30})
	d := s.drainer("bench", func(c *outbox.Config) {
		c.Workers, c.Budget.NoticesPerDay = workers, 1<<30
	})
	users := make([]string, batch)
	for j := range users {
		users[j] = fmt.Sprintf("u-bench-%03d", j)
		if err := s.fake.PutUser(univ, dingfake.User{UserID: users[j], Active: true,
			Name: users[j], DeptIDs: []int64{5}}); err != nil {
			b.Fatal(err)
		}
	}
	var drained int
	var busy time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range batch {
			m := text(users[j], i*batch+j)
			m.DedupeKey = fmt.Sprintf("bench/%d/%d", i, j)
			s.enqueue(m)
		}
		b.StartTimer()
		start := time.Now()
		rep, err := d.Drain(s.ctx)
		busy += time.Since(start)
		if err != nil || rep.Sent != batch {
			b.Fatalf("Drain = %+v, %v; want %d sent", rep, err, batch)
		}
		drained += rep.Sent
	}
	b.ReportMetric(float64(drained)/busy.Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op")
}
