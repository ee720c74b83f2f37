package ots

import (
	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
	"github.com/golang/protobuf/proto"
	bolt "go.etcd.io/bbolt"
)

// Batch limits.
const (
	maxBatchGet   = 100
	maxBatchWrite = 200
	maxBatchBytes = 4 << 20
)

func rowError(e *apiError) *otsprotocol.Error {
	return &otsprotocol.Error{Code: str(e.code), Message: str(e.msg)}
}

func (s *Server) batchGetRow(q *request) (proto.Message, *apiError) {
	var req otsprotocol.BatchGetRowRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	specs, e := s.batchGetSpecs(&req)
	if e != nil {
		return nil, e
	}
	resp := &otsprotocol.BatchGetRowResponse{}
	for i, t := range req.Tables {
		out := &otsprotocol.TableInBatchGetRowResponse{TableName: str(t.GetTableName())}
		for _, pk := range t.PrimaryKey {
			row, cu, e := s.readPoint(specs[i], pk)
			r := &otsprotocol.RowInBatchGetRowResponse{IsOk: boolp(e == nil)}
			if e != nil {
				r.Error = rowError(e)
			} else {
				r.Consumed, r.Row = consumed(cu), row
			}
			out.Rows = append(out.Rows, r)
		}
		resp.Tables = append(resp.Tables, out)
	}
	return resp, nil
}

func (s *Server) batchGetSpecs(req *otsprotocol.BatchGetRowRequest) ([]*readSpec, *apiError) {
	if len(req.Tables) == 0 {
		return nil, invalidf("BatchGetRow needs at least one table.")
	}
	total := 0
	seen := map[string]bool{}
	specs := make([]*readSpec, 0, len(req.Tables))
	for _, t := range req.Tables {
		name := t.GetTableName()
		if seen[name] {
			return nil, invalidf("Duplicated table name: '%s'.", name)
		}
		seen[name] = true
		m := s.tables[name]
		if m == nil {
			return nil, errTableNotExist
		}
		if len(t.PrimaryKey) == 0 {
			return nil, invalidf("No row specified in table: '%s'.", name)
		}
		// TODO(#3): wide-row paging tokens are refused.
		if len(t.Token) > 0 {
			return nil, unsupported("BatchGetRow with tokens")
		}
		total += len(t.PrimaryKey)
		rs, e := newReadSpec(m, readParams{columns: t.ColumnsToGet, timeRange: t.TimeRange,
			maxVers: t.MaxVersions, filter: t.Filter, startCol: t.GetStartColumn(),
			endCol: t.GetEndColumn()})
		if e != nil {
			return nil, e
		}
		specs = append(specs, rs)
	}
	if total > maxBatchGet {
		return nil, invalidf("Rows count exceeds the upper limit: %d.", maxBatchGet)
	}
	return specs, nil
}

func (s *Server) batchWriteRow(q *request) (proto.Message, *apiError) {
	var req otsprotocol.BatchWriteRowRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	// TODO(#3): atomic and transactional batches are refused.
	if req.TransactionId != nil || req.GetIsAtomic() {
		return nil, unsupported("atomic or transactional BatchWriteRow")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	writes, e := s.prepareBatch(&req)
	if e != nil {
		return nil, e
	}
	results := make([][]writeResult, len(writes))
	defer func() { // After the commit, which copies what the buffers hold.
		for _, ws := range writes {
			releaseScratch(ws...)
		}
	}()
	err := s.db.Update(func(tx *bolt.Tx) error {
		now := s.nowMS()
		for i, ws := range writes {
			results[i] = make([]writeResult, len(ws))
			for j, w := range ws {
				results[i][j] = s.apply(tx, w, now)
				if r := results[i][j].err; r != nil && r.code == codeInternal {
					return r
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, internalf(err)
	}
	return s.batchWriteResponse(&req, results), nil
}

func (s *Server) batchWriteResponse(req *otsprotocol.BatchWriteRowRequest,
	results [][]writeResult) *otsprotocol.BatchWriteRowResponse {
	resp := &otsprotocol.BatchWriteRowResponse{}
	for i, t := range req.Tables {
		out := &otsprotocol.TableInBatchWriteRowResponse{TableName: str(t.GetTableName())}
		for _, res := range results[i] {
			s.charge(t.GetTableName(), res.cu)
			r := &otsprotocol.RowInBatchWriteRowResponse{IsOk: boolp(res.err == nil)}
			if res.err != nil {
				r.Error = rowError(res.err)
			} else {
				r.Consumed, r.Row = consumed(res.cu), res.row
			}
			out.Rows = append(out.Rows, r)
		}
		resp.Tables = append(resp.Tables, out)
	}
	return resp
}

// prepareBatch validates a whole BatchWriteRow; any error here rejects
// every row, as Tablestore does for malformed batches.
func (s *Server) prepareBatch(req *otsprotocol.BatchWriteRowRequest) ([][]*rowWrite, *apiError) {
	if len(req.Tables) == 0 {
		return nil, invalidf("BatchWriteRow needs at least one table.")
	}
	total, size := 0, 0
	seen := map[string]bool{}
	out := make([][]*rowWrite, 0, len(req.Tables))
	for _, t := range req.Tables {
		name := t.GetTableName()
		if seen[name] {
			return nil, invalidf("Duplicated table name: '%s'.", name)
		}
		seen[name] = true
		if len(t.Rows) == 0 {
			return nil, invalidf("No row specified in table: '%s'.", name)
		}
		total += len(t.Rows)
		if total > maxBatchWrite {
			return nil, invalidf("Rows count exceeds the upper limit: %d.", maxBatchWrite)
		}
		keys := map[string]bool{}
		ws := make([]*rowWrite, 0, len(t.Rows))
		for _, r := range t.Rows {
			size += len(r.RowChange)
			w, e := s.prepareWrite(name, r.GetType(), r.RowChange, r.Condition, r.ReturnContent)
			if e != nil {
				return nil, e
			}
			if k := string(encodeKey(w.pk)); !hasAutoInc(w.pk) {
				if keys[k] {
					return nil, invalidf("Duplicated primary key in table: '%s'.", name)
				}
				keys[k] = true
			}
			ws = append(ws, w)
		}
		out = append(out, ws)
	}
	if size > maxBatchBytes {
		return nil, invalidf("The total data size of BatchWriteRow exceeds %d bytes.",
			maxBatchBytes)
	}
	return out, nil
}

func hasAutoInc(pk []value) bool {
	for _, v := range pk {
		if v.kind == kindAutoInc {
			return true
		}
	}
	return false
}
