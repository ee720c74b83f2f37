package ots

import (
	"encoding/binary"
	"math"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
	bolt "go.etcd.io/bbolt"
)

// Limits on single-row writes.
const (
	maxColumnsPerWrite = 1024
	maxCellValue       = 2 << 20
	maxPKValue         = 1024
	maxRowChange       = 4 << 20
	cuBytes            = 4096
)

// rowWrite is one validated PutRow, UpdateRow or DeleteRow.
type rowWrite struct {
	meta    *tableMeta
	indexes []*tableMeta
	op      otsprotocol.OperationType
	pk      []value
	cells   []pbCell
	expect  otsprotocol.RowExistenceExpectation
	cond    *filterNode
	ret     otsprotocol.ReturnType
	retCols []string
	// scratch holds pooled buffers bbolt refers to until the commit:
	// release them after it (releaseScratch).
	scratch []*[]byte
}

// releaseScratch gives back the pooled buffers of writes whose transaction
// has ended.
func releaseScratch(ws ...*rowWrite) {
	for _, w := range ws {
		for _, buf := range w.scratch {
			rowBuffers.Put(buf)
		}
		w.scratch = nil
	}
}

// writeResult is the outcome of applying one rowWrite.
type writeResult struct {
	row []byte
	cu  Capacity
	err *apiError
}

// prepareWrite validates a row change against its table without reading
// any data; errors here reject the request (or the whole batch).
func (s *Server) prepareWrite(table string, op otsprotocol.OperationType, rowChange []byte,
	cond *otsprotocol.Condition, ret *otsprotocol.ReturnContent) (*rowWrite, *apiError) {
	m := s.tables[table]
	if m == nil {
		return nil, errTableNotExist
	}
	if m.IndexOf != "" {
		return nil, invalidf("Index table '%s' is read-only.", table)
	}
	if len(rowChange) > maxRowChange {
		return nil, invalidf("The size of the row change exceeds %d bytes.", maxRowChange)
	}
	row, err := decodeRow(rowChange)
	if err != nil {
		return nil, plainBufferError(err)
	}
	w := &rowWrite{meta: m, op: op, cells: row.cells}
	for _, ix := range m.Indexes {
		w.indexes = append(w.indexes, s.tables[ix.Name])
	}
	mode := pkWrite
	if op == otsprotocol.OperationType_DELETE {
		mode = pkExact
	}
	pk, e := m.parsePK(row.pk, mode)
	if e != nil {
		return nil, e
	}
	w.pk = pk
	if e := w.checkShape(row); e != nil {
		return nil, e
	}
	if e := w.setCondition(cond); e != nil {
		return nil, e
	}
	w.ret = ret.GetReturnType()
	w.retCols = ret.GetReturnColumnNames()
	if op == otsprotocol.OperationType_UPDATE && !m.AllowUpdate {
		return nil, invalidf("Table '%s' does not allow UpdateRow.", table)
	}
	return w, nil
}

func (w *rowWrite) setCondition(cond *otsprotocol.Condition) *apiError {
	if cond == nil {
		return invalidf("The condition is required.")
	}
	w.expect = cond.GetRowExistence()
	if _, ok := otsprotocol.RowExistenceExpectation_name[int32(w.expect)]; !ok {
		return invalidf("Invalid row existence expectation %d.", w.expect)
	}
	if len(cond.GetColumnCondition()) == 0 {
		return nil
	}
	n, count, e := parseFilter(cond.GetColumnCondition())
	if e != nil {
		return e
	}
	if n.page != nil {
		return invalidf("A pagination filter cannot be a column condition.")
	}
	if count > maxConditions {
		return invalidf("The number of column conditions exceeds %d.", maxConditions)
	}
	w.cond = n
	return nil
}

// checkShape validates the attribute cells for the operation type.
func (w *rowWrite) checkShape(row pbRow) *apiError {
	switch w.op {
	case otsprotocol.OperationType_DELETE:
		if len(row.cells) > 0 || !row.deleted {
			return invalidf("DeleteRow takes a primary key with the delete marker only.")
		}
		return nil
	case otsprotocol.OperationType_UPDATE:
		if len(row.cells) == 0 {
			return invalidf("UpdateRow needs at least one column to update.")
		}
	}
	if row.deleted {
		return invalidf("Unexpected delete marker in a put or update.")
	}
	if len(row.cells) > maxColumnsPerWrite {
		return invalidf("The number of columns to write exceeds %d.", maxColumnsPerWrite)
	}
	incr := map[string]bool{}
	names := map[string]int{}
	for i := range row.cells {
		c := &row.cells[i]
		if e := w.checkCell(c); e != nil {
			return e
		}
		names[c.name]++
		if c.op == opIncrement {
			incr[c.name] = true
		}
	}
	for n := range incr {
		if names[n] > 1 {
			return invalidf("Column '%s' is incremented and changed in one request.", n)
		}
	}
	return nil
}

func (w *rowWrite) checkCell(c *pbCell) *apiError {
	m := w.meta
	if !validName(c.name) || m.pkIndex(c.name) >= 0 {
		return invalidf("Invalid attribute column name: '%s'.", c.name)
	}
	if w.op == otsprotocol.OperationType_PUT && c.op != opPut {
		return invalidf("PutRow cannot carry cell operations.")
	}
	switch c.op {
	case opPut, opIncrement:
		if !c.hasValue || !c.val.isConcrete() {
			return invalidf("Column '%s' needs a value.", c.name)
		}
	case opDeleteOne:
		if !c.hasTS || c.hasValue {
			return invalidf("Deleting one version of '%s' needs a timestamp and no value.", c.name)
		}
	case opDeleteAll:
		if c.hasValue || c.hasTS {
			return invalidf("Deleting all versions of '%s' takes no value or timestamp.", c.name)
		}
	}
	if c.op == opIncrement && (c.val.kind != kindInt || c.hasTS) {
		return invalidf("Increment of '%s' needs an INTEGER value and no timestamp.", c.name)
	}
	if c.hasValue && c.val.size() > maxCellValue {
		return invalidf("The length of attribute column: '%s' exceeds the "+
			"MaxLength:%d with CurrentLength:%d.", c.name, maxCellValue, c.val.size())
	}
	if d := m.defined(c.name); d != nil && c.hasValue && c.val.kind != definedKind(d.Type) {
		return invalidf("The type of defined column '%s' does not match.", c.name)
	}
	if c.hasTS && c.ts < 0 {
		return invalidf("The timestamp of column '%s' must not be negative.", c.name)
	}
	return nil
}

// pkMode says which special values a primary key may hold.
type pkMode int

const (
	pkExact pkMode = iota
	pkWrite
	pkRange
)

// parsePK checks cells against the table's primary-key schema.
func (m *tableMeta) parsePK(cells []pbCell, mode pkMode) ([]value, *apiError) {
	if len(cells) != len(m.PK) {
		return nil, invalidf("Validate PK size fail. Input: %d, Meta: %d.", len(cells), len(m.PK))
	}
	out := make([]value, len(cells))
	for i, c := range cells {
		sc := m.PK[i]
		if c.name != sc.Name {
			return nil, invalidf("Validate PK name fail. Input: %s, Meta: %s.", c.name, sc.Name)
		}
		if !c.hasValue || c.op != opPut || c.hasTS {
			return nil, invalidf("Invalid primary key column '%s'.", c.name)
		}
		v := c.val
		switch {
		case v.kind == pkKind(sc.Type):
			if v.size() > maxPKValue {
				return nil, invalidf("The length of primary key column: '%s' exceeds %d.", c.name,
					maxPKValue)
			}
		case (v.kind == kindInfMin || v.kind == kindInfMax) && mode == pkRange:
		case v.kind == kindAutoInc && mode == pkWrite && sc.AutoInc:
		default:
			return nil, invalidf("Validate PK type fail. Column: %s.", c.name)
		}
		out[i] = v
	}
	return out, nil
}

func pkSize(m *tableMeta, pk []value) int {
	n := 0
	for i, v := range pk {
		n += len(m.PK[i].Name) + v.size()
	}
	return n
}

func cus(n int) int64 {
	if n <= 0 {
		return 1
	}
	return int64((n + cuBytes - 1) / cuBytes)
}

// apply runs the write inside a bolt transaction.
func (s *Server) apply(tx *bolt.Tx, w *rowWrite, now int64) writeResult {
	b := tx.Bucket(rowBucket(w.meta.Name))
	if b == nil {
		return writeResult{err: errTableNotExist}
	}
	if e := s.assignAutoInc(tx, w); e != nil {
		return writeResult{err: e}
	}
	key := encodeKey(w.pk)
	old, err := rowStore{tx, b, w.meta.Name}.get(key)
	if err != nil {
		return writeResult{err: internalf(err)}
	}
	oldView, exists := w.meta.view(old, now)
	checked := w.expect != otsprotocol.RowExistenceExpectation_IGNORE || w.cond != nil
	res := writeResult{cu: Capacity{Write: cus(pkSize(w.meta, w.pk) + w.cellSize())}}
	if checked {
		res.cu.Read = 1
	}
	if e := w.check(oldView, exists); e != nil {
		return writeResult{cu: Capacity{Read: 1, Write: 1}, err: e}
	}
	next, e := w.mutate(old, oldView, exists, now)
	if e != nil {
		return writeResult{cu: res.cu, err: e}
	}
	if err := s.store(tx, b, w, key, oldView, exists, next, now); err != nil {
		return writeResult{err: internalf(err)}
	}
	res.row = w.returnRow(next, now)
	return res
}

func (w *rowWrite) cellSize() int {
	n := 0
	for _, c := range w.cells {
		n += len(c.name)
		if c.hasValue {
			n += c.val.size()
		}
	}
	return n
}

// check applies the row-existence expectation, then the column condition.
func (w *rowWrite) check(view *storedRow, exists bool) *apiError {
	switch w.expect {
	case otsprotocol.RowExistenceExpectation_EXPECT_EXIST:
		if !exists {
			return errConditionFail
		}
	case otsprotocol.RowExistenceExpectation_EXPECT_NOT_EXIST:
		if exists {
			return errConditionFail
		}
	}
	if w.cond != nil && !w.cond.match(view) {
		return errConditionFail
	}
	return nil
}

// mutate computes the row after the write; nil means the row is absent.
func (w *rowWrite) mutate(old, view *storedRow, exists bool, now int64) (*storedRow, *apiError) {
	switch w.op {
	case otsprotocol.OperationType_DELETE:
		return nil, nil
	case otsprotocol.OperationType_PUT:
		next := &storedRow{written: now}
		for _, c := range w.cells {
			ts, e := w.version(c, now)
			if e != nil {
				return nil, e
			}
			next.putVersion(c.name, version{ts: ts, val: c.val})
		}
		next.trim(int(w.meta.MaxVersions))
		return next, nil
	}
	return w.update(old, view, exists, now)
}

func (w *rowWrite) update(old, view *storedRow, exists bool, now int64) (*storedRow, *apiError) {
	next := &storedRow{}
	if exists {
		next = view.clone()
	}
	changed := exists
	for _, c := range w.cells {
		switch c.op {
		case opDeleteAll:
			next.deleteColumn(c.name)
		case opDeleteOne:
			next.deleteVersion(c.name, c.ts)
		case opIncrement:
			v, e := increment(view, exists, c)
			if e != nil {
				return nil, e
			}
			next.putVersion(c.name, version{ts: now, val: v})
			changed = true
		default:
			ts, e := w.version(c, now)
			if e != nil {
				return nil, e
			}
			next.putVersion(c.name, version{ts: ts, val: c.val})
			changed = true
		}
	}
	if !changed {
		return nil, nil
	}
	next.written = now
	next.trim(int(w.meta.MaxVersions))
	return next, nil
}

func increment(view *storedRow, exists bool, c pbCell) (value, *apiError) {
	var cur int64
	if exists {
		if col := view.column(c.name); col != nil && len(col.vers) > 0 {
			if col.vers[0].val.kind != kindInt {
				return value{}, invalidf("Column '%s' to increment is not an INTEGER.", c.name)
			}
			cur = col.vers[0].val.num
		}
	}
	d := c.val.num
	if (d > 0 && cur > math.MaxInt64-d) || (d < 0 && cur < math.MinInt64-d) {
		return value{}, invalidf("Increment of column '%s' overflows.", c.name)
	}
	return value{kind: kindInt, num: cur + d}, nil
}

// version picks a cell's timestamp and checks it against the deviation.
func (w *rowWrite) version(c pbCell, now int64) (int64, *apiError) {
	if !c.hasTS {
		return now, nil
	}
	dev := w.meta.Deviation * 1000
	if c.ts < now-dev || c.ts > now+dev {
		return 0, invalidf("The timestamp of column '%s' is out of the allowed deviation.", c.name)
	}
	return c.ts, nil
}

// store writes (or deletes) the row and keeps its indexes in step.
func (s *Server) store(tx *bolt.Tx, b *bolt.Bucket, w *rowWrite, key []byte,
	oldView *storedRow, existed bool, next *storedRow, now int64) error {
	var err error
	if next == nil {
		if w.op == otsprotocol.OperationType_UPDATE && !existed {
			return nil
		}
		err = rowStore{tx, b, w.meta.Name}.delete(key)
	} else {
		err = rowStore{tx, b, w.meta.Name}.put(key, next, &w.scratch)
	}
	if err != nil {
		return err
	}
	if !existed {
		oldView = nil
	}
	for _, im := range w.indexes {
		if err := s.syncIndex(tx, w.meta, im, w.pk, oldView, next, now); err != nil {
			return err
		}
	}
	return nil
}

// returnRow encodes the row the request asked to get back, if any.
func (w *rowWrite) returnRow(next *storedRow, now int64) []byte {
	switch w.ret {
	case otsprotocol.ReturnType_RT_PK:
		pw := newPBWriter()
		pw.startRow()
		writePK(pw, w.meta, w.pk)
		pw.endRow()
		return pw.buf
	case otsprotocol.ReturnType_RT_AFTER_MODIFY:
		pw := newPBWriter()
		pw.startRow()
		writePK(pw, w.meta, w.pk)
		if next != nil {
			var cols []column
			for _, n := range w.retCols {
				if c := next.column(n); c != nil && len(c.vers) > 0 {
					cols = append(cols, column{name: n, vers: c.vers[:1]})
				}
			}
			writeCols(pw, cols)
		}
		pw.endRow()
		return pw.buf
	}
	return nil
}

func writePK(pw *pbWriter, m *tableMeta, pk []value) {
	for i, v := range pk {
		pw.cell(m.PK[i].Name, v, -1)
	}
}

func writeCols(pw *pbWriter, cols []column) {
	if len(cols) == 0 {
		return
	}
	pw.startData()
	for _, c := range cols {
		for _, v := range c.vers {
			pw.cell(c.name, v.val, v.ts)
		}
	}
}

// assignAutoInc replaces an auto-increment placeholder with the table's
// next value, which only grows.
// TODO(#3): values come from one counter per table (1, 2, 3, ...); the
// cloud's are large, per-partition and not consecutive.
func (s *Server) assignAutoInc(tx *bolt.Tx, w *rowWrite) *apiError {
	for i, v := range w.pk {
		if v.kind != kindAutoInc {
			continue
		}
		b := tx.Bucket(bucketAutoInc)
		var n uint64
		if cur := b.Get([]byte(w.meta.Name)); len(cur) == 8 {
			n = binary.BigEndian.Uint64(cur)
		}
		n++
		if err := b.Put([]byte(w.meta.Name), binary.BigEndian.AppendUint64(nil, n)); err != nil {
			return internalf(err)
		}
		w.pk[i] = value{kind: kindInt, num: int64(n)}
	}
	return nil
}

// view returns the readable part of a stored row: versions within TTL,
// at most max_versions per column. exists reports whether the row is
// there at all.
func (m *tableMeta) view(r *storedRow, now int64) (*storedRow, bool) {
	if r == nil {
		return nil, false
	}
	out := &storedRow{written: r.written, cols: make([]column, 0, len(r.cols))}
	for _, c := range r.cols {
		vers := make([]version, 0, len(c.vers))
		for _, v := range c.vers {
			if m.expired(v.ts, now) {
				continue
			}
			vers = append(vers, v)
			if len(vers) == int(m.MaxVersions) {
				break
			}
		}
		if len(vers) > 0 {
			out.cols = append(out.cols, column{name: c.name, vers: vers})
		}
	}
	if len(out.cols) > 0 {
		return out, true
	}
	return out, len(r.cols) == 0 && !m.expired(r.written, now)
}

func (m *tableMeta) expired(ts, now int64) bool {
	return m.TTL > 0 && ts+int64(m.TTL)*1000 <= now
}
