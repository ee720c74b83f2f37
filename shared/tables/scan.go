package tables

import (
	"context"
	"fmt"
	"iter"
	"reflect"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// Range selects rows of a table (or index) in key order.
type Range struct {
	// Prefix selects the rows whose leading key parts equal it; empty means
	// the whole table.
	Prefix Key
	// Start, when set, is where reading begins (inclusive), typically the
	// key returned by Page. A short Start includes the rows it prefixes.
	Start Key
	// End, when set, is where reading stops (exclusive). A short End
	// excludes the rows it prefixes.
	End Key
	// Backward reads in descending key order.
	Backward bool
	// Limit caps the rows returned in all (0: no cap).
	Limit int
	// PageSize caps the rows per request (0: Tablestore's maximum, 5000).
	PageSize int
	// Columns limits the columns read.
	Columns []string
	// Filter drops rows server-side; pages may then be short or empty.
	Filter tablestore.ColumnFilter
}

// maxStalls bounds consecutive pages that return no row and do not move the
// cursor, so a misbehaving server cannot spin a scan forever.
const maxStalls = 64

// Page reads up to r.Limit rows (all rows when Limit is 0), looping over
// short, empty and continued pages, and returns them with the key to resume
// from (set it as Start of the next Range), nil at the end of the range.
func (s *Store) Page(ctx context.Context, table string, r Range) ([]*Row, Key, error) {
	var rows []*Row
	next, err := s.scan(ctx, table, r, func(row *Row) bool {
		rows = append(rows, row)
		return true
	})
	return rows, next, err
}

// Scan iterates over the rows of r, fetching pages as needed. Iteration stops
// at the first error, which is yielded with a nil row.
func (s *Store) Scan(ctx context.Context, table string, r Range) iter.Seq2[*Row, error] {
	return func(yield func(*Row, error) bool) {
		stopped := false
		_, err := s.scan(ctx, table, r, func(row *Row) bool {
			if !yield(row, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// scan feeds rows to each until the range, the limit or each ends, and
// returns the key after the last row handed out.
func (s *Store) scan(ctx context.Context, table string, r Range,
	each func(*Row) bool) (Key, error) {
	t, ok := s.tables[table]
	if !ok {
		return nil, withCause("scan", table, ErrInvalid, errUnknownTable.Error())
	}
	start, end, err := bounds(t, r)
	if err != nil {
		return nil, withCause("scan", table+"/"+r.Prefix.String(), ErrInvalid, err.Error())
	}
	n, stalls := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return start, mapErr("scan", ref(table, start), err)
		}
		q := s.rangeQuery(t, r, start, end, n)
		resp, err := s.client.GetRange(&tablestore.GetRangeRequest{RangeRowQueryCriteria: q})
		if err != nil {
			return start, mapErr("scan", ref(table, start), err)
		}
		next := keyOf(resp.NextStartPrimaryKey)
		for i, row := range resp.Rows {
			n++
			if !each(decodeRow(keyOf(row.PrimaryKey), row.Columns, false)) ||
				(r.Limit > 0 && n >= r.Limit) {
				return resumeKey(resp.Rows, i, next), nil
			}
		}
		if next == nil {
			return nil, nil
		}
		if len(resp.Rows) == 0 && reflect.DeepEqual(next, start) {
			if stalls++; stalls > maxStalls {
				return start, withCause("scan", ref(table, start), ErrUnavailable,
					"range makes no progress")
			}
		} else {
			stalls = 0
		}
		start = next
	}
}

// resumeKey is where to continue after handing out rows[i]: the following
// row, or the server's next start key when rows[i] ended the page.
func resumeKey(rows []*tablestore.Row, i int, next Key) Key {
	if i+1 < len(rows) {
		return keyOf(rows[i+1].PrimaryKey)
	}
	return next
}

func (s *Store) rangeQuery(t *Table, r Range, start, end Key,
	got int) *tablestore.RangeRowQueryCriteria {
	spk, _ := pkOf(t, start)
	epk, _ := pkOf(t, end)
	q := &tablestore.RangeRowQueryCriteria{TableName: t.Name, StartPrimaryKey: spk,
		EndPrimaryKey: epk, MaxVersion: 1, ColumnsToGet: r.Columns, Filter: r.Filter}
	if r.Backward {
		q.Direction = tablestore.BACKWARD
	}
	limit := r.PageSize
	if r.Limit > 0 && (limit == 0 || r.Limit-got < limit) {
		limit = r.Limit - got
	}
	q.Limit = int32(limit)
	return q
}

// bounds turns a Range into full inclusive-start and exclusive-end keys in
// the direction of reading. A short Start includes the rows it prefixes; a
// short End excludes them.
func bounds(t *Table, r Range) (start, end Key, err error) {
	n := len(t.PrimaryKey)
	if len(r.Prefix) > n || len(r.Start) > n || len(r.End) > n {
		return nil, nil, fmt.Errorf("key longer than the table's %d parts", n)
	}
	first, last := InfMin, InfMax
	if r.Backward {
		first, last = InfMax, InfMin
	}
	start, end = pad(r.Prefix, n, first), pad(r.Prefix, n, last)
	if r.Start != nil {
		start = pad(r.Start, n, first)
	}
	if r.End != nil {
		end = pad(r.End, n, first)
	}
	return start, end, nil
}

func pad(k Key, n int, fill keyMark) Key {
	out := make(Key, n)
	copy(out, k)
	for i := len(k); i < n; i++ {
		out[i] = fill
	}
	return out
}
