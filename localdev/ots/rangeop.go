package ots

import (
	"bytes"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
	"github.com/golang/protobuf/proto"
	bolt "go.etcd.io/bbolt"
)

// GetRange page limits.
const (
	maxRangeRows  = 5000
	maxRangeBytes = 4 << 20
)

// rangeScan is one GetRange page being assembled.
type rangeScan struct {
	spec     *readSpec
	forward  bool
	start    []byte
	end      []byte
	limit    int
	maxBytes int
	now      int64
	empty    bool

	rows  []readRow
	bytes int
	next  []value
}

func (s *Server) getRange(q *request) (proto.Message, *apiError) {
	var req otsprotocol.GetRangeRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.tables[req.GetTableName()]
	if m == nil {
		return nil, errTableNotExist
	}
	sc, e := s.newRangeScan(m, &req, q.plan)
	if e != nil {
		return nil, e
	}
	if err := s.db.View(sc.run); err != nil {
		return nil, internalf(err)
	}
	cu := Capacity{Read: cus(sc.bytes)}
	s.charge(m.Name, cu)
	return sc.response(cu), nil
}

func (s *Server) newRangeScan(m *tableMeta, req *otsprotocol.GetRangeRequest,
	plan faultPlan) (*rangeScan, *apiError) {
	rs, e := newReadSpec(m, readParams{columns: req.ColumnsToGet, timeRange: req.TimeRange,
		maxVers: req.MaxVersions, filter: req.Filter, startCol: req.GetStartColumn(),
		endCol: req.GetEndColumn(), transactID: req.TransactionId})
	if e != nil {
		return nil, e
	}
	rs.entirePKs = req.GetReturnEntirePrimaryKeys()
	// TODO(#3): the simple-row-matrix block type is refused.
	if req.GetDataBlockTypeHint() != otsprotocol.DataBlockType_DBT_PLAIN_BUFFER {
		return nil, unsupported("GetRange with the simple row matrix block type")
	}
	sc := &rangeScan{spec: rs, forward: req.GetDirection() == otsprotocol.Direction_FORWARD,
		limit: maxRangeRows, maxBytes: maxRangeBytes, now: s.nowMS(), empty: plan.emptyPage}
	if req.Limit != nil {
		if req.GetLimit() <= 0 {
			return nil, invalidf("The limit must be positive.")
		}
		sc.limit = min(int(req.GetLimit()), maxRangeRows)
	}
	if plan.shortPage > 0 {
		sc.limit = min(sc.limit, plan.shortPage)
	}
	var err *apiError
	if sc.start, err = rangeBound(m, req.InclusiveStartPrimaryKey); err != nil {
		return nil, err
	}
	if sc.end, err = rangeBound(m, req.ExclusiveEndPrimaryKey); err != nil {
		return nil, err
	}
	c := bytes.Compare(sc.start, sc.end)
	if sc.forward && c >= 0 {
		return nil, invalidf("Begin key must less than end key in FORWARD")
	}
	if !sc.forward && c <= 0 {
		return nil, invalidf("Begin key must more than end key in BACKWARD")
	}
	return sc, nil
}

func rangeBound(m *tableMeta, b []byte) ([]byte, *apiError) {
	row, err := decodeRow(b)
	if err != nil {
		return nil, plainBufferError(err)
	}
	if len(row.cells) > 0 || row.deleted {
		return nil, invalidf("A range bound must hold primary key columns only.")
	}
	pk, e := m.parsePK(row.pk, pkRange)
	if e != nil {
		return nil, e
	}
	return encodeKey(pk), nil
}

// run scans one page inside a read transaction.
func (sc *rangeScan) run(tx *bolt.Tx) error {
	b := tx.Bucket(rowBucket(sc.spec.meta.Name))
	if b == nil {
		return nil
	}
	kinds := sc.spec.meta.kinds()
	c := b.Cursor()
	k, v := sc.first(c)
	scanned := 0
	for ; k != nil && sc.inRange(k); k, v = sc.step(c) {
		stored, err := rowStore{tx, b, sc.spec.meta.Name}.decode(v)
		if err != nil {
			return err
		}
		if _, exists := sc.spec.meta.view(stored, sc.now); !exists {
			continue
		}
		pk, err := decodeKey(k, kinds)
		if err != nil {
			return err
		}
		if sc.empty || len(sc.rows) >= sc.limit || scanned >= maxRangeRows {
			sc.next = pk
			return nil
		}
		rr := sc.spec.read(pk, stored, sc.now)
		if scanned > 0 && sc.bytes+rr.size > sc.maxBytes {
			sc.next = pk
			return nil
		}
		scanned++
		sc.bytes += rr.size
		// Rows with none of the asked columns still carry their key.
		if rr.found || (rr.pk != nil && sc.spec.entirePKs) {
			sc.rows = append(sc.rows, rr)
		}
	}
	return nil
}

func (sc *rangeScan) first(c *bolt.Cursor) ([]byte, []byte) {
	k, v := c.Seek(sc.start)
	if sc.forward {
		return k, v
	}
	if k == nil {
		return c.Last()
	}
	if bytes.Compare(k, sc.start) > 0 {
		return c.Prev()
	}
	return k, v
}

func (sc *rangeScan) step(c *bolt.Cursor) ([]byte, []byte) {
	if sc.forward {
		return c.Next()
	}
	return c.Prev()
}

func (sc *rangeScan) inRange(k []byte) bool {
	if sc.forward {
		return bytes.Compare(k, sc.end) < 0
	}
	return bytes.Compare(k, sc.end) > 0
}

func (sc *rangeScan) response(cu Capacity) *otsprotocol.GetRangeResponse {
	resp := &otsprotocol.GetRangeResponse{Consumed: consumed(cu), Rows: []byte{},
		DataBlockType: otsprotocol.DataBlockType_DBT_PLAIN_BUFFER.Enum(),
		CompressType:  otsprotocol.CompressType_CPT_NONE.Enum()}
	if len(sc.rows) > 0 {
		pw := newPBWriter()
		for _, rr := range sc.rows {
			sc.spec.encode(pw, rr, sc.spec.entirePKs)
		}
		resp.Rows = pw.buf
	}
	if sc.next != nil {
		pw := newPBWriter()
		pw.startRow()
		writePK(pw, sc.spec.meta, sc.next)
		pw.endRow()
		resp.NextStartPrimaryKey = pw.buf
	}
	return resp
}
