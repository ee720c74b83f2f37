package reports

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/tables"
)

// deadlineCtx has a deadline on the test clock rather than the wall clock.
type deadlineCtx struct {
	context.Context
	dl time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.dl, true }

// reportRows counts the outbox rows of kind k's reports.
func (st *stack) reportRows(k Kind) map[string]int {
	n := map[string]int{}
	for _, r := range st.outbox(uni) {
		if strings.Contains(r.Dedupe, "/report/"+string(k)+"/") {
			n[r.Dedupe]++
		}
	}
	return n
}

func TestRunCutOffResumesAndServesEveryoneOnce(t *testing.T) {
	st := newStack(t, Config{Margin: 3 * time.Second})
	st.clock.step = time.Second // every reading of the clock takes a second
	st.seed(t)
	at := timerEvent(t, Weekly).TriggerTime

	var served, attempts int
	for attempts = 1; attempts < 10; attempts++ {
		ctx := deadlineCtx{context.Background(), st.clock.Now().Add(8 * time.Second)}
		res, err := st.svc.Run(ctx, uni, Weekly, at)
		served += res.Served
		t.Logf("attempt %d: served %d, skipped %d of %d, done %v, err %v", attempts,
			res.Served, res.Skipped, res.Recipients, res.Done, err)
		if err == nil {
			if !res.Done || res.Skipped+res.Served != res.Recipients {
				t.Fatalf("finished run: %+v", res)
			}
			break
		}
		if !errors.Is(err, ErrResume) {
			t.Fatalf("attempt %d: %v", attempts, err)
		}
		if res.Served == 0 {
			t.Fatalf("attempt %d served nobody: a run must make progress", attempts)
		}
	}
	if attempts < 2 {
		t.Fatalf("the run finished in %d attempt; the deadline should have cut it", attempts)
	}
	rows := st.reportRows(Weekly)
	if served != len(wantReports[Weekly]) || len(rows) != served {
		t.Errorf("served %d over %d attempts, %d outbox rows; want %d each", served, attempts,
			len(rows), len(wantReports[Weekly]))
	}
	for key, n := range rows {
		if n != 1 {
			t.Errorf("%s enqueued %d times", key, n)
		}
	}
}

func TestRetryFromALostCheckpointSendsNobodyTwice(t *testing.T) {
	st := newStack(t, Config{})
	st.seed(t)
	at := timerEvent(t, Daily).TriggerTime
	ctx := context.Background()
	first, err := st.svc.Run(ctx, uni, Daily, at)
	if err != nil {
		t.Fatal(err)
	}
	before := st.reportRows(Daily)
	// The run's progress row is lost, as if it had died before saving it.
	period := Period(Daily, at)
	if err := st.db.Delete(ctx, tables.Report.Name, progressKey(uni, Daily, period),
		0); err != nil {
		t.Fatal(err)
	}
	again, err := st.svc.Run(ctx, uni, Daily, at)
	if err != nil {
		t.Fatal(err)
	}
	after := st.reportRows(Daily)
	if again.Served != first.Served || len(after) != len(before) {
		t.Errorf("rerun served %d (first %d); outbox rows %d → %d, want unchanged",
			again.Served, first.Served, len(before), len(after))
	}
}

// TestNextTimerFinishesAnAbandonedRun: when the platform's retries run out
// before a run is done, the next firing of the timer finishes it first.
func TestNextTimerFinishesAnAbandonedRun(t *testing.T) {
	st := newStack(t, Config{Margin: 3 * time.Second})
	st.clock.step = time.Second
	st.seed(t)
	ev := timerEvent(t, Weekly)
	ctx := deadlineCtx{context.Background(), st.clock.Now().Add(8 * time.Second)}
	if err := st.svc.Timer(ctx, ev); !errors.Is(err, ErrResume) {
		t.Fatalf("cut-off Timer = %v, want ErrResume", err)
	}
	st.clock.step = 0
	ev.TriggerTime = ev.TriggerTime.AddDate(0, 0, 7)
	if err := st.svc.Timer(context.Background(), ev); err != nil {
		t.Fatalf("next week's Timer: %v", err)
	}
	per := map[string]int{}
	for key := range st.reportRows(Weekly) {
		for _, p := range []string{"2026-W50", "2026-W51"} {
			if strings.Contains(key, "/"+p+"/") {
				per[p]++
			}
		}
	}
	if per["2026-W50"] != len(wantReports[Weekly]) || per["2026-W51"] == 0 {
		t.Errorf("reports by week %v, want all %d of W50 and W51's", per,
			len(wantReports[Weekly]))
	}
}
