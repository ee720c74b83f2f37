package tables

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// ReadOption adjusts a read.
type ReadOption func(*readOpts)

type readOpts struct {
	cols     []string
	versions int
}

// Columns limits a read to the named columns (at most 128).
func Columns(names ...string) ReadOption {
	return func(o *readOpts) { o.cols = append(o.cols, names...) }
}

// MaxVersions asks for up to n versions of each column; they are returned in
// Row.Versions. The default is 1.
func MaxVersions(n int) ReadOption { return func(o *readOpts) { o.versions = n } }

func readOptions(opts []ReadOption) readOpts {
	o := readOpts{versions: 1}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Get reads one row. A missing row is ErrNotFound, and so is a row that has
// none of the columns asked for with Columns.
func (s *Store) Get(ctx context.Context, table string, key Key, opts ...ReadOption) (*Row, error) {
	t, pk, err := s.table(ctx, "get", table, key)
	if err != nil {
		return nil, err
	}
	row, err := s.getRow(t, pk, key, readOptions(opts))
	if err != nil {
		return nil, mapErr("get", ref(table, key), err)
	}
	if row == nil {
		return nil, withCause("get", ref(table, key), ErrNotFound, "")
	}
	return row, nil
}

// getRow reads a row through the SDK; it returns nil, nil for a missing row.
func (s *Store) getRow(t *Table, pk *tablestore.PrimaryKey, key Key, o readOpts) (*Row, error) {
	q := &tablestore.SingleRowQueryCriteria{TableName: t.Name, PrimaryKey: pk,
		MaxVersion: int32(o.versions), ColumnsToGet: o.cols}
	resp, err := s.client.GetRow(&tablestore.GetRowRequest{SingleRowQueryCriteria: q})
	if err != nil {
		return nil, err
	}
	// With columns to get, Tablestore may leave the key out of the answer.
	if len(resp.PrimaryKey.PrimaryKeys) == 0 && len(resp.Columns) == 0 {
		return nil, nil
	}
	return decodeRow(key, resp.Columns, o.versions > 1), nil
}

// readBack reads a row with every column after a failed condition, to learn
// whether an earlier attempt of the same write had landed.
func (s *Store) readBack(t *Table, pk *tablestore.PrimaryKey) (*Row, error) {
	return s.getRow(t, pk, keyOf(pk), readOpts{versions: 1})
}

// Create writes a new row with ver 1. It fails with ErrExists when the row
// is already there, unless the row is this very write landed by an earlier
// attempt of the SDK, which counts as success. A key part AutoInc is filled
// in by Tablestore and the full key is returned.
//
// An SDK retry of an auto-increment create that had landed writes a second
// row under the next key; Create then looks for rows carrying its write token
// among the newest 64 of the partition and deletes all but the one it
// reports. Use auto-increment for append-only trails.
func (s *Store) Create(ctx context.Context, table string, key Key, cols Cols) (Key, error) {
	t, pk, err := s.table(ctx, "create", table, key)
	if err != nil {
		return nil, err
	}
	tok := newToken()
	ch, err := putChange(t, pk, cols, tok, 1)
	if err != nil {
		return nil, withCause("create", ref(table, key), ErrInvalid, err.Error())
	}
	auto := hasAutoInc(key)
	if auto {
		ch.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
		ch.SetReturnPk()
	} else {
		ch.SetCondition(tablestore.RowExistenceExpectation_EXPECT_NOT_EXIST)
	}
	resp, err := s.client.PutRow(&tablestore.PutRowRequest{PutRowChange: ch,
		ExtraRequestInfo: traced(tok)})
	retried := s.wasRetried(tok)
	if err == nil {
		if auto {
			got := keyOf(&resp.PrimaryKey)
			if retried {
				err = s.dropAutoDuplicates(ctx, table, key, got, tok)
			}
			return got, err
		}
		return key, nil
	}
	if !isCode(err, codeConditionFail) {
		return nil, mapErr("create", ref(table, key), err)
	}
	row, rerr := s.readBack(t, pk)
	switch {
	case rerr != nil:
		return nil, mapErr("create", ref(table, key), rerr)
	case row != nil && row.wroteAs(1, tok):
		return key, nil
	case row == nil && retried:
		return nil, withCause("create", ref(table, key), ErrUnavailable, "outcome unknown")
	}
	return nil, withCause("create", ref(table, key), ErrExists, "")
}

// dropAutoDuplicates deletes rows other than kept that an earlier attempt of
// the auto-increment create traced by tok wrote into the same partition.
func (s *Store) dropAutoDuplicates(ctx context.Context, table string, key, kept Key,
	tok string) error {
	// TODO(#3): duplicates older than the newest 64 rows are not found.
	prefix := key
	for i, v := range key {
		if m, ok := v.(keyMark); ok && m == AutoInc {
			prefix = key[:i]
			break
		}
	}
	rows, _, err := s.Page(ctx, table, Range{Prefix: prefix, Backward: true, Limit: 64})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.slots[slotName(1)] == tok && !reflect.DeepEqual(r.Key, kept) {
			if err := s.Delete(ctx, table, r.Key, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// Put replaces a row unconditionally (every old column is dropped). It is
// safe to repeat, so SDK retries are harmless; it does not maintain ver.
func (s *Store) Put(ctx context.Context, table string, key Key, cols Cols) error {
	t, pk, err := s.table(ctx, "put", table, key)
	if err != nil {
		return err
	}
	ch, err := putChange(t, pk, cols, "", 0)
	if err != nil {
		return withCause("put", ref(table, key), ErrInvalid, err.Error())
	}
	ch.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
	_, err = s.client.PutRow(&tablestore.PutRowRequest{PutRowChange: ch})
	return mapErr("put", ref(table, key), err)
}

// Change is the column edit of an Update: values to set and columns to
// remove.
type Change struct {
	Set    Cols
	Delete []string
}

// Update applies ch to the row if its ver is still ver, and moves ver to
// ver+1, which it returns. A lost race is ErrConflict (Current gives the row
// that won) and a missing row is ErrNotFound; an SDK retry of an update that
// had landed is a success.
func (s *Store) Update(ctx context.Context, table string, key Key, ver int64,
	ch Change) (int64, error) {
	t, pk, err := s.table(ctx, "update", table, key)
	if err != nil {
		return 0, err
	}
	if ver < 1 {
		return 0, withCause("update", ref(table, key), ErrInvalid, "version must be >= 1")
	}
	tok := newToken()
	uc, err := updateChange(t, pk, ch, tok, ver)
	if err != nil {
		return 0, withCause("update", ref(table, key), ErrInvalid, err.Error())
	}
	_, err = s.client.UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: uc,
		ExtraRequestInfo: traced(tok)})
	retried := s.wasRetried(tok)
	if err == nil {
		return ver + 1, nil
	}
	if !isCode(err, codeConditionFail) {
		return 0, mapErr("update", ref(table, key), err)
	}
	return s.settleUpdate(t, pk, ref(table, key), ver, tok, retried)
}

func (s *Store) settleUpdate(t *Table, pk *tablestore.PrimaryKey, r string, ver int64,
	tok string, retried bool) (int64, error) {
	row, err := s.readBack(t, pk)
	switch {
	case err != nil:
		return 0, mapErr("update", r, err)
	case row == nil:
		return 0, withCause("update", r, ErrNotFound, "")
	case row.wroteAs(ver+1, tok):
		return ver + 1, nil
	case retried && row.Ver() >= ver+slotCount:
		// TODO(#3): the row remembers only slotCount recent writers.
		return 0, withCause("update", r, ErrUnavailable, "outcome unknown")
	}
	return 0, &conflictError{row: row, err: withCause("update", r, ErrConflict,
		fmt.Sprintf("version %d, current %d", ver, row.Ver()))}
}

// Delete removes a row if its ver is still ver; ver 0 deletes whatever is
// there (a missing row is then no error). A versioned delete of a missing row
// is ErrNotFound, of a changed row ErrConflict.
func (s *Store) Delete(ctx context.Context, table string, key Key, ver int64) error {
	t, pk, err := s.table(ctx, "delete", table, key)
	if err != nil {
		return err
	}
	tok := newToken()
	dc := &tablestore.DeleteRowChange{TableName: t.Name, PrimaryKey: pk}
	if ver == 0 {
		dc.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
	} else {
		dc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
		dc.SetColumnCondition(verIs(ver))
	}
	_, err = s.client.DeleteRow(&tablestore.DeleteRowRequest{DeleteRowChange: dc,
		ExtraRequestInfo: traced(tok)})
	retried := s.wasRetried(tok)
	if err == nil || !isCode(err, codeConditionFail) {
		return mapErr("delete", ref(table, key), err)
	}
	row, rerr := s.readBack(t, pk)
	switch {
	case rerr != nil:
		return mapErr("delete", ref(table, key), rerr)
	case row == nil && retried:
		return nil // our earlier attempt removed it
	case row == nil:
		return withCause("delete", ref(table, key), ErrNotFound, "")
	}
	return &conflictError{row: row, err: withCause("delete", ref(table, key), ErrConflict,
		fmt.Sprintf("version %d, current %d", ver, row.Ver()))}
}

// verIs is the optimistic-concurrency condition: the latest ver equals v,
// and a row without ver fails.
func verIs(v int64) *tablestore.SingleColumnCondition {
	c := tablestore.NewSingleColumnCondition(VerColumn, tablestore.CT_EQUAL, v)
	c.FilterIfMissing = true
	c.LatestVersionOnly = true
	return c
}

func putChange(t *Table, pk *tablestore.PrimaryKey, cols Cols, tok string,
	ver int64) (*tablestore.PutRowChange, error) {
	ch := &tablestore.PutRowChange{TableName: t.Name, PrimaryKey: pk}
	for name, v := range cols {
		if err := checkColumn(name, ver > 0); err != nil {
			return nil, err
		}
		val, err := colValue(name, v)
		if err != nil {
			return nil, err
		}
		ch.AddColumn(name, val)
	}
	if ver > 0 {
		ch.AddColumn(VerColumn, ver)
		ch.AddColumn(slotName(ver), tok)
	}
	return ch, nil
}

func updateChange(t *Table, pk *tablestore.PrimaryKey, ch Change, tok string,
	ver int64) (*tablestore.UpdateRowChange, error) {
	uc := &tablestore.UpdateRowChange{TableName: t.Name, PrimaryKey: pk}
	for name, v := range ch.Set {
		if err := checkColumn(name, true); err != nil {
			return nil, err
		}
		val, err := colValue(name, v)
		if err != nil {
			return nil, err
		}
		uc.PutColumn(name, val)
	}
	for _, name := range ch.Delete {
		if err := checkColumn(name, true); err != nil {
			return nil, err
		}
		uc.DeleteColumn(name)
	}
	uc.PutColumn(VerColumn, ver+1)
	uc.PutColumn(slotName(ver+1), tok)
	uc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
	uc.SetColumnCondition(verIs(ver))
	return uc, nil
}

// checkColumn refuses the Store's bookkeeping columns in caller data, and
// ver where the Store sets it.
func checkColumn(name string, versioned bool) error {
	if strings.HasPrefix(name, slotPrefix) {
		return fmt.Errorf("column %q: reserved", name)
	}
	if versioned && name == VerColumn {
		return fmt.Errorf("column %q: set by the store", name)
	}
	return nil
}

func hasAutoInc(key Key) bool {
	for _, v := range key {
		if m, ok := v.(keyMark); ok && m == AutoInc {
			return true
		}
	}
	return false
}
