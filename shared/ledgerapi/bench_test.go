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

	"github.com/xietong/xietong/shared/ledger/envelope"
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

// BenchmarkSettledUse measures consented data uses through the handler from
// 10 concurrent clients, each settled as an entry of its own before the
// answer: all on one asset (settlements of an asset are serialized by its
// pool) and on an asset per client.
func BenchmarkSettledUse(b *testing.B) {
	for _, assets := range []int{1, 10} {
		b.Run(fmt.Sprintf("assets=%d", assets), func(b *testing.B) {
			benchSettledUse(b, assets)
		})
	}
}

func benchSettledUse(b *testing.B, assets int) {
	st := newStack(b, nil)
	subject := envelope.Commitment(envelope.DigestOf([]byte("cohort")))
	for a := range assets {
		_, ans := st.submitBody(uni, useTime, &envelope.ConsentGrant{Owner: uni, Party: firm,
			Purpose: "recruiting", Asset: fmt.Sprint("asset.", a), Expires: useTime + 1000,
			Subject: subject})
		if ans.status != http.StatusAccepted {
			b.Fatalf("grant: %d %s", ans.status, ans.body)
		}
	}
	const clients = 10
	var n atomic.Int64
	for b.Loop() {
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				i := int(n.Add(1))
				u := talentUse(i, "recruiting")
				u.Asset = fmt.Sprint("asset.", c%assets)
				resp, a := st.submitBody(uni, useTime+1, u)
				if a.status != http.StatusAccepted || len(resp.Results) != 1 {
					b.Errorf("use: %d %s", a.status, a.body)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*clients)/b.Elapsed().Seconds(), "settled_uses/s")
}
