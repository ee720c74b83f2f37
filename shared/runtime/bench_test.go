package runtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkDispatchOverhead measures what Dispatch adds to an HTTP handler:
// decoding the FC event, building the request, buffering and converting the
// response. It reports the per-request overhead over calling the handler
// with httptest directly, so it means something even with -benchtime 1x.
func BenchmarkDispatchOverhead(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	})
	f := Function{Name: "bench", HTTP: h, Logger: discardLogger()}
	ev := fcEvent("POST", "/api/tasks", "/api/tasks")
	ev.Headers = map[string]string{"Content-Type": "application/json", "Authorization": "Bearer x"}
	ev.Body = `{"title":"write the report"}`
	payload := mustJSON(b, ev)
	const inner = 2000
	var direct, dispatch time.Duration
	for range b.N {
		start := time.Now()
		for range inner {
			r := httptest.NewRequest("POST", "/api/tasks", nil)
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
		direct += time.Since(start)
		start = time.Now()
		for range inner {
			if _, err := f.Dispatch(context.Background(), payload); err != nil {
				b.Fatal(err)
			}
		}
		dispatch += time.Since(start)
	}
	n := float64(b.N * inner)
	b.ReportMetric(float64(dispatch.Nanoseconds())/n, "dispatch-ns/req")
	b.ReportMetric(float64((dispatch-direct).Nanoseconds())/n, "overhead-ns/req")
}
