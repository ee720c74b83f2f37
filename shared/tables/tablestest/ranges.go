package tablestest

import (
	"fmt"
	"testing"

	"github.com/xietong/xietong/shared/tables"
)

const rangeRows = 230

// fillRange writes rows n = 0..count-1 under partition p of the range table,
// plus one row in each neighbouring partition that no scan of p may return.
func (s *suite) fillRange(t *testing.T, p string, count int) {
	t.Helper()
	ws := []tables.Write{
		{Op: tables.OpPut, Table: s.schema.rng, Key: tables.Key{p + "-", int64(0)}},
		{Op: tables.OpPut, Table: s.schema.rng, Key: tables.Key{p + "0", int64(0)}},
	}
	for n := range count {
		ws = append(ws, tables.Write{Op: tables.OpPut, Table: s.schema.rng,
			Key: tables.Key{p, int64(n)}, Cols: tables.Cols{"v": fmt.Sprint(n)}})
	}
	if _, err := s.store.BatchWrite(s.ctx, ws); err != nil {
		t.Fatalf("BatchWrite(fill) = %v", err)
	}
}

// wantSeq checks that rows hold n = from, from+step, ... (count rows).
func wantSeq(t *testing.T, what string, rows []*tables.Row, from, step int64, count int) {
	t.Helper()
	if len(rows) != count {
		t.Errorf("%s: %d rows, want %d", what, len(rows), count)
		return
	}
	for i, r := range rows {
		want := from + int64(i)*step
		if r.Key[1] != want || r.String("v") != fmt.Sprint(want) {
			t.Errorf("%s: row %d = %v %v, want n %d", what, i, r.Key, r.Cols, want)
			return
		}
	}
}

func (s *suite) testRange(t *testing.T) {
	p := part(t)
	s.fillRange(t, p, rangeRows)
	s.checkRanges(t, p, 7)
}

// testRangeFaults reads across pages cut short (7 rows) and pages that come
// back empty with a continuation key, in both directions.
func (s *suite) testRangeFaults(t *testing.T) {
	f := s.faults(t)
	p := part(t)
	s.fillRange(t, p, rangeRows)
	f.SetShortPages(7)
	f.SetEmptyPageRate(0.3)
	s.checkRanges(t, p, 0)
}

func (s *suite) checkRanges(t *testing.T, p string, pageSize int) {
	ctx, rng := s.ctx, s.schema.rng
	for _, tc := range []struct {
		name        string
		r           tables.Range
		from, step  int64
		count       int
		wantResumed bool
	}{
		{"forward", tables.Range{Prefix: tables.Key{p}}, 0, 1, rangeRows, false},
		{"backward", tables.Range{Prefix: tables.Key{p}, Backward: true}, rangeRows - 1, -1,
			rangeRows, false},
		{"forward limit", tables.Range{Prefix: tables.Key{p}, Limit: 50}, 0, 1, 50, true},
		{"backward limit", tables.Range{Prefix: tables.Key{p}, Backward: true, Limit: 50},
			rangeRows - 1, -1, 50, true},
		{"forward bounds", tables.Range{Start: tables.Key{p, int64(10)},
			End: tables.Key{p, int64(20)}}, 10, 1, 10, false},
		{"backward bounds", tables.Range{Start: tables.Key{p, int64(20)},
			End: tables.Key{p, int64(10)}, Backward: true}, 20, -1, 10, false},
	} {
		tc.r.PageSize = pageSize
		rows, next, err := s.store.Page(ctx, rng, tc.r)
		if err != nil {
			t.Fatalf("%s: Page = %v", tc.name, err)
		}
		wantSeq(t, tc.name, rows, tc.from, tc.step, tc.count)
		if (next != nil) != tc.wantResumed {
			t.Errorf("%s: next = %v, want resumable %v", tc.name, next, tc.wantResumed)
		}
	}
	for _, back := range []bool{false, true} {
		var all []*tables.Row
		r := tables.Range{Prefix: tables.Key{p}, Backward: back, Limit: 33, PageSize: pageSize}
		for pages := 0; ; pages++ {
			rows, next, err := s.store.Page(ctx, rng, r)
			if err != nil || pages > rangeRows {
				t.Fatalf("Page(cursor, backward=%v) = %v after %d pages", back, err, pages)
			}
			all = append(all, rows...)
			if next == nil {
				break
			}
			r.Start = next
		}
		from, step := int64(0), int64(1)
		if back {
			from, step = rangeRows-1, -1
		}
		wantSeq(t, fmt.Sprintf("cursor pages backward=%v", back), all, from, step, rangeRows)
	}
	var seen []*tables.Row
	for row, err := range s.store.Scan(ctx, rng, tables.Range{Prefix: tables.Key{p},
		Backward: true, PageSize: pageSize}) {
		if err != nil {
			t.Fatalf("Scan = %v", err)
		}
		if seen = append(seen, row); len(seen) == 42 {
			break
		}
	}
	wantSeq(t, "Scan with break", seen, rangeRows-1, -1, 42)
}
