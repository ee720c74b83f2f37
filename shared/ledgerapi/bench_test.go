package ledgerapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkSubmit measures signed submissions through the handler over the
// emulators from 20 concurrent clients, without and with an
// Idempotency-Key (exactly-once assignment).
func BenchmarkSubmit(b *testing.B) {
	for _, keyed := range []bool{false, true} {
		b.Run(fmt.Sprintf("idempotency=%v", keyed), func(b *testing.B) {
			benchSubmit(b, keyed)
		})
	}
}

func benchSubmit(b *testing.B, keyed bool) {
	st := newStack(b, nil)
	bodies := make([][]byte, 500)
	for i := range bodies {
		bodies[i], _ = json.Marshal(SubmitRequest{Signed: signed(b, uni, i)})
	}
	const clients = 20
	var n atomic.Int64
	for b.Loop() {
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				i := n.Add(1)
				req := httptest.NewRequest("POST", "/api/ledger/entries",
					bytes.NewReader(bodies[int(i)%len(bodies)]))
				if keyed {
					req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
				}
				rec := httptest.NewRecorder()
				st.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusAccepted {
					b.Errorf("submit: %d %s", rec.Code, rec.Body)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*clients)/b.Elapsed().Seconds(), "submissions/s")
}
