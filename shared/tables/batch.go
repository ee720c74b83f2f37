package tables

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// Batch limits of Tablestore.
const (
	maxBatchGet   = 100
	maxBatchWrite = 200
	maxBatchBytes = 4 << 20
)

// Result is the outcome of one row of a BatchGet: the row (nil when it does
// not exist) or the error for that row.
type Result struct {
	Row *Row
	Err error
}

// BatchGet reads keys of one table in requests of at most 100 rows. Rows that
// fail with a retryable error are read again (only those), up to the Store's
// batch retries. The results align with keys; the error summarizes the rows
// that failed and is nil when none did.
func (s *Store) BatchGet(ctx context.Context, table string, keys []Key,
	opts ...ReadOption) ([]Result, error) {
	out := make([]Result, len(keys))
	t, ok := s.tables[table]
	if !ok {
		return nil, withCause("batch get", table, ErrInvalid, errUnknownTable.Error())
	}
	o := readOptions(opts)
	var pending []int
	for i, k := range keys {
		if _, err := pkOf(t, k); err != nil {
			out[i].Err = withCause("batch get", ref(table, k), ErrInvalid, err.Error())
			continue
		}
		pending = append(pending, i)
	}
	for len(pending) > 0 {
		n := min(len(pending), maxBatchGet)
		s.getChunk(ctx, t, keys, pending[:n], o, out)
		pending = pending[n:]
	}
	return out, summarize("batch get", len(keys), func(i int) error { return out[i].Err })
}

func (s *Store) getChunk(ctx context.Context, t *Table, keys []Key, idx []int, o readOpts,
	out []Result) {
	for attempt := 0; len(idx) > 0; attempt++ {
		if err := ctx.Err(); err != nil {
			for _, i := range idx {
				out[i].Err = mapErr("batch get", ref(t.Name, keys[i]), err)
			}
			return
		}
		q := &tablestore.MultiRowQueryCriteria{TableName: t.Name, MaxVersion: o.versions,
			ColumnsToGet: o.cols}
		for _, i := range idx {
			pk, _ := pkOf(t, keys[i])
			q.AddRow(pk)
		}
		resp, err := s.client.BatchGetRow(&tablestore.BatchGetRowRequest{
			MultiRowQueryCriteria: []*tablestore.MultiRowQueryCriteria{q}})
		var again []int
		for j, i := range idx {
			var rerr error
			switch {
			case err != nil:
				rerr = mapErr("batch get", ref(t.Name, keys[i]), err)
			case j >= len(resp.TableToRowsResult[t.Name]):
				rerr = withCause("batch get", ref(t.Name, keys[i]), ErrUnavailable, "no result")
			default:
				out[i], rerr = getResult(t.Name, keys[i], resp.TableToRowsResult[t.Name][j], o)
			}
			if rerr != nil {
				out[i].Err = rerr
				if retryable(rerr) {
					again = append(again, i)
				}
			}
		}
		if len(again) == 0 || attempt >= s.retries || s.pause(ctx, attempt) != nil {
			return
		}
		idx = again
	}
}

func getResult(table string, key Key, rr tablestore.RowResult, o readOpts) (Result, error) {
	if !rr.IsSucceed {
		return Result{}, mapErr("batch get", ref(table, key), rowErr(rr.Error))
	}
	if len(rr.PrimaryKey.PrimaryKeys) == 0 && len(rr.Columns) == 0 {
		return Result{}, nil
	}
	return Result{Row: decodeRow(key, rr.Columns, o.versions > 1)}, nil
}

// Op is the kind of a batched write.
type Op int

// Batched write kinds; they mean what Store.Put, Create, Update and Delete
// mean.
const (
	OpPut Op = iota + 1
	OpCreate
	OpUpdate
	OpDelete
)

// Write is one row of a BatchWrite.
type Write struct {
	Op    Op
	Table string
	Key   Key
	// Cols are the values of a Put or Create, or the values an Update sets.
	Cols Cols
	// Delete lists the columns an Update removes.
	Delete []string
	// Ver is the version an Update or Delete expects (Delete: 0 for any).
	Ver int64
}

// batchRow is a Write prepared for sending.
type batchRow struct {
	w      Write
	t      *Table
	pk     *tablestore.PrimaryKey
	tok    string
	change tablestore.RowChange
	size   int
	index  int  // position in the caller's writes
	resent bool // sent more than once: an earlier attempt may have landed
}

// BatchWrite applies writes in requests of at most 200 rows and 4 MB. Rows
// are independent, as in Tablestore: each gets its own error (nil on
// success), aligned with writes. Rows that fail with a retryable error are
// sent again (only those), up to the Store's batch retries; conditional rows
// whose earlier attempt had landed count as successes. The error summarizes
// the rows that failed and is nil when none did. Auto-increment keys are not
// supported in batches.
func (s *Store) BatchWrite(ctx context.Context, writes []Write) ([]error, error) {
	errs := make([]error, len(writes))
	rows := make([]*batchRow, len(writes))
	var pending []int
	for i, w := range writes {
		r, err := s.prepare(ctx, w)
		if err != nil {
			errs[i] = err
			continue
		}
		r.index = i
		rows[i] = r
		pending = append(pending, i)
	}
	for len(pending) > 0 {
		n, size := 0, 0
		for n < len(pending) && n < maxBatchWrite &&
			(n == 0 || size+rows[pending[n]].size <= maxBatchBytes) {
			size += rows[pending[n]].size
			n++
		}
		s.writeChunk(ctx, rows, pending[:n], errs)
		pending = pending[n:]
	}
	return errs, summarize("batch write", len(writes), func(i int) error { return errs[i] })
}

func (s *Store) prepare(ctx context.Context, w Write) (*batchRow, error) {
	t, pk, err := s.table(ctx, "batch write", w.Table, w.Key)
	if err != nil {
		return nil, err
	}
	r := &batchRow{w: w, t: t, pk: pk, tok: newToken()}
	invalid := func(err error) (*batchRow, error) {
		return nil, withCause("batch write", ref(w.Table, w.Key), ErrInvalid, err.Error())
	}
	if hasAutoInc(w.Key) {
		return invalid(fmt.Errorf("auto-increment key in a batch"))
	}
	switch w.Op {
	case OpPut, OpCreate:
		ver := int64(0)
		if w.Op == OpCreate {
			ver = 1
		}
		ch, err := putChange(t, pk, w.Cols, r.tok, ver)
		if err != nil {
			return invalid(err)
		}
		ch.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
		if w.Op == OpCreate {
			ch.SetCondition(tablestore.RowExistenceExpectation_EXPECT_NOT_EXIST)
		}
		r.change = ch
	case OpUpdate:
		if w.Ver < 1 {
			return invalid(fmt.Errorf("version must be >= 1"))
		}
		uc, err := updateChange(t, pk, Change{Set: w.Cols, Delete: w.Delete}, r.tok, w.Ver)
		if err != nil {
			return invalid(err)
		}
		r.change = uc
	case OpDelete:
		dc := &tablestore.DeleteRowChange{TableName: t.Name, PrimaryKey: pk}
		dc.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
		if w.Ver != 0 {
			dc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
			dc.SetColumnCondition(verIs(w.Ver))
		}
		r.change = dc
	default:
		return invalid(fmt.Errorf("unknown op %d", w.Op))
	}
	r.size = len(r.change.Serialize()) + len(t.Name) + 16
	return r, nil
}

func (s *Store) writeChunk(ctx context.Context, rows []*batchRow, idx []int, errs []error) {
	for attempt := 0; len(idx) > 0; attempt++ {
		if err := ctx.Err(); err != nil {
			for _, i := range idx {
				errs[i] = mapErr("batch write", ref(rows[i].w.Table, rows[i].w.Key), err)
			}
			return
		}
		tok := newToken()
		req := &tablestore.BatchWriteRowRequest{ExtraRequestInfo: traced(tok)}
		order := map[string][]int{}
		for _, i := range idx {
			req.AddRowChange(rows[i].change)
			order[rows[i].t.Name] = append(order[rows[i].t.Name], i)
		}
		resp, err := s.client.BatchWriteRow(req)
		retried := s.wasRetried(tok)
		var again, unsure []int
		for _, i := range idx {
			r := rows[i]
			r.resent = r.resent || retried || attempt > 0
			e := rowOutcome(r, resp, err, order[r.t.Name])
			switch {
			case isCode(e, codeConditionFail):
				unsure = append(unsure, i)
			case e != nil && retryable(e):
				again = append(again, i)
			}
			errs[i] = e
		}
		s.settleRows(ctx, rows, unsure, errs)
		if len(again) == 0 || attempt >= s.retries || s.pause(ctx, attempt) != nil {
			return
		}
		idx = again
	}
}

// rowOutcome finds the result of row r in a batch response; order lists the
// rows of r's table in request order.
func rowOutcome(r *batchRow, resp *tablestore.BatchWriteRowResponse, err error,
	order []int) error {
	rf := ref(r.w.Table, r.w.Key)
	if err != nil {
		return mapErr("batch write", rf, err)
	}
	results := resp.TableToRowsResult[r.t.Name]
	for j, i := range order {
		if i != r.index {
			continue
		}
		if j >= len(results) || results[j].Index != int32(j) {
			break
		}
		if results[j].IsSucceed {
			return nil
		}
		return mapErr("batch write", rf, rowErr(results[j].Error))
	}
	return withCause("batch write", rf, ErrUnavailable, "no result for row")
}

// settleRows reads back the rows whose condition failed, in batches, and
// decides for each whether its own earlier attempt had landed.
func (s *Store) settleRows(ctx context.Context, rows []*batchRow, idx []int, errs []error) {
	byTable := map[string][]int{}
	for _, i := range idx {
		byTable[rows[i].t.Name] = append(byTable[rows[i].t.Name], i)
	}
	for table, is := range byTable {
		keys := make([]Key, len(is))
		for j, i := range is {
			keys[j] = rows[i].w.Key
		}
		res, _ := s.BatchGet(ctx, table, keys)
		for j, i := range is {
			if res[j].Err != nil {
				errs[i] = res[j].Err
				continue
			}
			errs[i] = settleRow(rows[i], res[j].Row)
		}
	}
}

// settleRow decides the outcome of a batched write whose condition failed,
// from the row as read back (nil when missing).
func settleRow(r *batchRow, row *Row) error {
	rf := ref(r.w.Table, r.w.Key)
	switch r.w.Op {
	case OpCreate:
		if row != nil && row.wroteAs(1, r.tok) {
			return nil
		}
		return withCause("batch write", rf, ErrExists, "")
	case OpUpdate:
		if row == nil {
			return withCause("batch write", rf, ErrNotFound, "")
		}
		if row.wroteAs(r.w.Ver+1, r.tok) {
			return nil
		}
	case OpDelete:
		if row == nil && r.resent {
			return nil
		}
		if row == nil {
			return withCause("batch write", rf, ErrNotFound, "")
		}
	}
	cur := int64(0)
	if row != nil {
		cur = row.Ver()
	}
	return &conflictError{row: row, err: withCause("batch write", rf, ErrConflict,
		fmt.Sprintf("version %d, current %d", r.w.Ver, cur))}
}

// pause sleeps before batch retry attempt+1 with doubling, jittered backoff,
// or returns the context's error.
func (s *Store) pause(ctx context.Context, attempt int) error {
	d := s.backoff << attempt
	d += time.Duration(rand.Int64N(int64(d)/2 + 1))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func summarize(op string, total int, errAt func(int) error) error {
	var first error
	failed := 0
	for i := 0; i < total; i++ {
		if err := errAt(i); err != nil {
			if first == nil {
				first = err
			}
			failed++
		}
	}
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("tables: %s: %d of %d rows failed, first: %w", op, failed, total, first)
}
