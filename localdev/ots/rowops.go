package ots

import (
	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
	"github.com/golang/protobuf/proto"
	bolt "go.etcd.io/bbolt"
)

func consumed(c Capacity) *otsprotocol.ConsumedCapacity {
	return &otsprotocol.ConsumedCapacity{CapacityUnit: &otsprotocol.CapacityUnit{
		Read: i32(int32(c.Read)), Write: i32(int32(c.Write))}}
}

// writeOne validates and applies one single-row write.
func (s *Server) writeOne(table string, op otsprotocol.OperationType, change []byte,
	cond *otsprotocol.Condition, ret *otsprotocol.ReturnContent,
	txn *string) (writeResult, *apiError) {
	if txn != nil {
		return writeResult{}, unsupported("writes in a local transaction")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, e := s.prepareWrite(table, op, change, cond, ret)
	if e != nil {
		return writeResult{}, e
	}
	var res writeResult
	defer releaseScratch(w) // After the commit, which copies what the buffers hold.
	err := s.db.Update(func(tx *bolt.Tx) error {
		res = s.apply(tx, w, s.nowMS())
		if res.err != nil && res.err.code == codeInternal {
			return res.err
		}
		return nil
	})
	if err != nil && res.err == nil {
		res.err = internalf(err)
	}
	s.charge(table, res.cu)
	return res, res.err
}

func (s *Server) putRow(q *request) (proto.Message, *apiError) {
	var req otsprotocol.PutRowRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	res, e := s.writeOne(req.GetTableName(), otsprotocol.OperationType_PUT, req.Row,
		req.Condition, req.ReturnContent, req.TransactionId)
	if e != nil {
		return nil, e
	}
	return &otsprotocol.PutRowResponse{Consumed: consumed(res.cu), Row: res.row}, nil
}

func (s *Server) updateRow(q *request) (proto.Message, *apiError) {
	var req otsprotocol.UpdateRowRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	res, e := s.writeOne(req.GetTableName(), otsprotocol.OperationType_UPDATE, req.RowChange,
		req.Condition, req.ReturnContent, req.TransactionId)
	if e != nil {
		return nil, e
	}
	return &otsprotocol.UpdateRowResponse{Consumed: consumed(res.cu), Row: res.row}, nil
}

func (s *Server) deleteRow(q *request) (proto.Message, *apiError) {
	var req otsprotocol.DeleteRowRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	res, e := s.writeOne(req.GetTableName(), otsprotocol.OperationType_DELETE, req.PrimaryKey,
		req.Condition, req.ReturnContent, req.TransactionId)
	if e != nil {
		return nil, e
	}
	return &otsprotocol.DeleteRowResponse{Consumed: consumed(res.cu), Row: res.row}, nil
}

func (s *Server) getRow(q *request) (proto.Message, *apiError) {
	var req otsprotocol.GetRowRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.tables[req.GetTableName()]
	if m == nil {
		return nil, errTableNotExist
	}
	rs, e := newReadSpec(m, readParams{columns: req.ColumnsToGet, timeRange: req.TimeRange,
		maxVers: req.MaxVersions, filter: req.Filter, startCol: req.GetStartColumn(),
		endCol: req.GetEndColumn(), transactID: req.TransactionId})
	if e != nil {
		return nil, e
	}
	row, cu, e := s.readPoint(rs, req.PrimaryKey)
	if e != nil {
		return nil, e
	}
	return &otsprotocol.GetRowResponse{Consumed: consumed(cu), Row: row}, nil
}

// readPoint reads one row by its PlainBuffer primary key.
func (s *Server) readPoint(rs *readSpec, pkBuf []byte) ([]byte, Capacity, *apiError) {
	row, err := decodeRow(pkBuf)
	if err != nil {
		return nil, Capacity{}, plainBufferError(err)
	}
	if len(row.cells) > 0 {
		return nil, Capacity{}, invalidf("A row key must hold primary key columns only.")
	}
	pk, e := rs.meta.parsePK(row.pk, pkExact)
	if e != nil {
		return nil, Capacity{}, e
	}
	var rr readRow
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(rowBucket(rs.meta.Name))
		if b == nil {
			return nil
		}
		stored, err := rowStore{tx, b, rs.meta.Name}.get(encodeKey(pk))
		if err != nil {
			return err
		}
		rr = rs.read(pk, stored, s.nowMS())
		return nil
	})
	if err != nil {
		return nil, Capacity{}, internalf(err)
	}
	cu := Capacity{Read: cus(rr.size)}
	s.charge(rs.meta.Name, cu)
	if !rr.found {
		return []byte{}, cu, nil
	}
	pw := newPBWriter()
	rs.encode(pw, rr, rs.cols == nil)
	return pw.buf, cu, nil
}
