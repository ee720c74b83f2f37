package ots

import (
	"encoding/json"
	"net/http"
	"sort"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
	"github.com/golang/protobuf/proto"
	bolt "go.etcd.io/bbolt"
)

// Limits Tablestore enforces on schemas.
const (
	maxTables      = 64
	maxPKColumns   = 4
	maxDefined     = 32
	maxNameLen     = 255
	minTTL         = 86400
	defDeviation   = 86400
	maxReservedCU  = 100000
	defMaxVersions = 1
)

func rowBucket(table string) []byte { return []byte("t:" + table) }

// validName checks Tablestore's naming rule: [A-Za-z_][A-Za-z0-9_]*.
func validName(n string) bool {
	if n == "" || len(n) > maxNameLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func (s *Server) table(name string) *tableMeta {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tables[name]
}

// TODO(#3): the cloud's limit of 10 table operations per second per
// instance (OTSQuotaExhausted "Too frequent table operations.") is not
// enforced.
func (s *Server) createTable(q *request) (proto.Message, *apiError) {
	var req otsprotocol.CreateTableRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	m, e := s.buildMeta(&req)
	if e != nil {
		return nil, e
	}
	idx := make([]*tableMeta, 0, len(req.IndexMetas))
	for _, im := range req.IndexMetas {
		ix, e := buildIndex(m, im)
		if e != nil {
			return nil, e
		}
		m.Indexes = append(m.Indexes, ix.schema)
		idx = append(idx, ix.meta)
	}
	if e := checkUniqueIndexNames(m); e != nil {
		return nil, e
	}
	return &otsprotocol.CreateTableResponse{}, s.addTables(append([]*tableMeta{m}, idx...), nil)
}

func (s *Server) buildMeta(req *otsprotocol.CreateTableRequest) (*tableMeta, *apiError) {
	tm := req.GetTableMeta()
	m := &tableMeta{Name: tm.GetTableName(), TTL: -1, MaxVersions: defMaxVersions,
		Deviation: defDeviation, AllowUpdate: true, Increased: s.nowMS()}
	if !validName(m.Name) {
		return nil, invalidf("Invalid table name: '%s'.", m.Name)
	}
	if e := buildPK(m, tm.GetPrimaryKey()); e != nil {
		return nil, e
	}
	if e := buildDefined(m, tm.GetDefinedColumn()); e != nil {
		return nil, e
	}
	if e := applyOptions(m, req.GetTableOptions()); e != nil {
		return nil, e
	}
	if e := applyThroughput(m, req.GetReservedThroughput(), s.nowMS()); e != nil {
		return nil, e
	}
	if req.GetStreamSpec().GetEnableStream() {
		return nil, unsupported("CreateTable with stream")
	}
	if req.GetEnableLocalTxn() {
		return nil, unsupported("CreateTable with local transactions")
	}
	return m, nil
}

func buildPK(m *tableMeta, pks []*otsprotocol.PrimaryKeySchema) *apiError {
	if len(pks) < 1 || len(pks) > maxPKColumns {
		return invalidf("The number of primary key columns must be in range: [1, %d].",
			maxPKColumns)
	}
	seen := map[string]bool{}
	for i, p := range pks {
		name := p.GetName()
		if !validName(name) || seen[name] {
			return invalidf("Invalid or duplicated primary key name: '%s'.", name)
		}
		seen[name] = true
		t := p.GetType()
		if t != otsprotocol.PrimaryKeyType_INTEGER && t != otsprotocol.PrimaryKeyType_STRING &&
			t != otsprotocol.PrimaryKeyType_BINARY {
			return invalidf("Invalid type of primary key '%s'.", name)
		}
		c := pkSchema{Name: name, Type: t}
		if p.Option != nil {
			if p.GetOption() != otsprotocol.PrimaryKeyOption_AUTO_INCREMENT ||
				t != otsprotocol.PrimaryKeyType_INTEGER || i == 0 {
				return invalidf("Auto-increment primary key '%s' must be INTEGER "+
					"and not the partition key.", name)
			}
			c.AutoInc = true
		}
		m.PK = append(m.PK, c)
	}
	n := 0
	for _, c := range m.PK {
		if c.AutoInc {
			n++
		}
	}
	if n > 1 {
		return invalidf("A table can have at most one auto-increment primary key.")
	}
	return nil
}

func buildDefined(m *tableMeta, cols []*otsprotocol.DefinedColumnSchema) *apiError {
	if len(cols) > maxDefined {
		return invalidf("The number of defined columns must be in range: [0, %d].", maxDefined)
	}
	for _, d := range cols {
		name := d.GetName()
		if !validName(name) || m.pkIndex(name) >= 0 || m.defined(name) != nil {
			return invalidf("Invalid or duplicated defined column name: '%s'.", name)
		}
		if _, ok := otsprotocol.DefinedColumnType_name[int32(d.GetType())]; !ok {
			return invalidf("Invalid type of defined column '%s'.", name)
		}
		m.Defined = append(m.Defined, definedSchema{Name: name, Type: d.GetType()})
	}
	return nil
}

func applyOptions(m *tableMeta, o *otsprotocol.TableOptions) *apiError {
	if o == nil {
		return nil
	}
	if o.TimeToLive != nil {
		ttl := o.GetTimeToLive()
		if ttl != -1 && ttl < minTTL {
			return invalidf("The value of time_to_live must be -1 or at least %d.", minTTL)
		}
		m.TTL = ttl
	}
	if o.MaxVersions != nil {
		if o.GetMaxVersions() < 1 {
			return invalidf("The value of max_versions must be at least 1.")
		}
		m.MaxVersions = o.GetMaxVersions()
	}
	if o.DeviationCellVersionInSec != nil {
		if o.GetDeviationCellVersionInSec() <= 0 {
			return invalidf("The value of deviation_cell_version_in_sec must be positive.")
		}
		m.Deviation = o.GetDeviationCellVersionInSec()
	}
	if o.AllowUpdate != nil {
		m.AllowUpdate = o.GetAllowUpdate()
	}
	if len(m.Indexes) > 0 && (m.MaxVersions != 1 || (m.TTL != -1 && m.AllowUpdate)) {
		return invalidf("A table with indexes needs max_versions 1 and " +
			"time_to_live -1 (or updates disallowed).")
	}
	return nil
}

func applyThroughput(m *tableMeta, rt *otsprotocol.ReservedThroughput, now int64) *apiError {
	if rt == nil {
		return nil
	}
	cu := rt.GetCapacityUnit()
	r, w := cu.GetRead(), cu.GetWrite()
	if r < 0 || w < 0 || r > maxReservedCU || w > maxReservedCU {
		return invalidf("Reserved capacity units must be in range: [0, %d].", maxReservedCU)
	}
	if cu.Read != nil {
		if r > m.ReadCU {
			m.Increased = now
		} else if r < m.ReadCU {
			m.Decreased = now
		}
		m.ReadCU = r
	}
	if cu.Write != nil {
		if w > m.WriteCU {
			m.Increased = now
		} else if w < m.WriteCU {
			m.Decreased = now
		}
		m.WriteCU = w
	}
	return nil
}

// builtIndex is an index's entry in its base table and its own table meta.
type builtIndex struct {
	schema indexSchema
	meta   *tableMeta
}

func buildIndex(base *tableMeta, im *otsprotocol.IndexMeta) (*builtIndex, *apiError) {
	name := im.GetName()
	if !validName(name) {
		return nil, invalidf("Invalid index name: '%s'.", name)
	}
	if base.MaxVersions != 1 || (base.TTL != -1 && base.AllowUpdate) {
		return nil, invalidf("Index needs the table's max_versions 1 and time_to_live -1.")
	}
	if len(im.GetPrimaryKey()) == 0 {
		return nil, invalidf("Index '%s' needs at least one primary key column.", name)
	}
	if im.GetIndexType() == otsprotocol.IndexType_IT_LOCAL_INDEX &&
		im.GetPrimaryKey()[0] != base.PK[0].Name {
		return nil, invalidf("A local index must start with the partition key.")
	}
	meta := &tableMeta{Name: name, TTL: -1, MaxVersions: 1, Deviation: base.Deviation,
		AllowUpdate: true, IndexOf: base.Name, Increased: base.Increased}
	seen := map[string]bool{}
	for _, col := range im.GetPrimaryKey() {
		if e := addIndexKey(base, meta, seen, col); e != nil {
			return nil, e
		}
	}
	// The index key ends with the base key columns it does not name.
	for _, c := range base.PK {
		if !seen[c.Name] {
			seen[c.Name] = true
			meta.PK = append(meta.PK, c)
			meta.PK[len(meta.PK)-1].AutoInc = false
		}
	}
	ix := &builtIndex{schema: indexSchema{Name: name,
		PK: append([]string(nil), im.GetPrimaryKey()...)}, meta: meta}
	for _, col := range im.GetDefinedColumn() {
		d := base.defined(col)
		if d == nil || seen[col] {
			return nil, invalidf("Index attribute '%s' must be a defined column not in the key.",
				col)
		}
		seen[col] = true
		meta.Defined = append(meta.Defined, *d)
		ix.schema.Defined = append(ix.schema.Defined, col)
	}
	return ix, nil
}

// addIndexKey appends one named index key column, taking its type from
// the base table's key or defined columns.
func addIndexKey(base, meta *tableMeta, seen map[string]bool, col string) *apiError {
	if seen[col] {
		return invalidf("Duplicated column '%s' in index '%s'.", col, meta.Name)
	}
	seen[col] = true
	if i := base.pkIndex(col); i >= 0 {
		meta.PK = append(meta.PK, pkSchema{Name: col, Type: base.PK[i].Type})
		return nil
	}
	d := base.defined(col)
	if d == nil {
		return invalidf("Index column '%s' is not a primary key or defined column.", col)
	}
	t, ok := definedPKType(d.Type)
	if !ok {
		return invalidf("Index primary key column '%s' must be INTEGER, STRING or BINARY.", col)
	}
	meta.PK = append(meta.PK, pkSchema{Name: col, Type: t})
	return nil
}

func definedPKType(t otsprotocol.DefinedColumnType) (otsprotocol.PrimaryKeyType, bool) {
	switch t {
	case otsprotocol.DefinedColumnType_DCT_INTEGER:
		return otsprotocol.PrimaryKeyType_INTEGER, true
	case otsprotocol.DefinedColumnType_DCT_STRING:
		return otsprotocol.PrimaryKeyType_STRING, true
	case otsprotocol.DefinedColumnType_DCT_BLOB:
		return otsprotocol.PrimaryKeyType_BINARY, true
	}
	return 0, false
}

func checkUniqueIndexNames(m *tableMeta) *apiError {
	seen := map[string]bool{m.Name: true}
	for _, ix := range m.Indexes {
		if seen[ix.Name] {
			return invalidf("Duplicated index name: '%s'.", ix.Name)
		}
		seen[ix.Name] = true
	}
	return nil
}

// addTables stores new tables (and rewrites base, when non-nil) after
// checking name clashes and the table quota. build, when set, fills new
// index tables from their base inside the same transaction.
func (s *Server) addTables(metas []*tableMeta, base *tableMeta) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range metas {
		if s.tables[m.Name] != nil {
			return errTableExist
		}
	}
	if len(s.tables)+len(metas) > maxTables {
		return &apiError{http.StatusForbidden, codeQuotaExhausted,
			"Number of tables exceeded the quota."}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, m := range metas {
			if _, err := tx.CreateBucket(rowBucket(m.Name)); err != nil {
				return err
			}
		}
		if base != nil {
			metas = append(metas, base)
		}
		for _, m := range metas {
			if err := putMeta(tx, m); err != nil {
				return err
			}
		}
		if base != nil {
			return s.buildIndexRows(tx, base, metas[0])
		}
		return nil
	})
	if err != nil {
		return internalf(err)
	}
	for _, m := range metas {
		s.tables[m.Name] = m
	}
	return nil
}

func internalf(err error) *apiError {
	return &apiError{http.StatusInternalServerError, codeInternal, "emulator: " + err.Error()}
}

func putMeta(tx *bolt.Tx, m *tableMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put([]byte(m.Name), b)
}

func (s *Server) listTable(q *request) (proto.Message, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	resp := &otsprotocol.ListTableResponse{}
	for name, m := range s.tables {
		if m.IndexOf == "" {
			resp.TableNames = append(resp.TableNames, name)
		}
	}
	sort.Strings(resp.TableNames)
	return resp, nil
}

func (s *Server) describeTable(q *request) (proto.Message, *apiError) {
	var req otsprotocol.DescribeTableRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	m := s.table(req.GetTableName())
	if m == nil {
		return nil, errTableNotExist
	}
	resp := &otsprotocol.DescribeTableResponse{
		TableMeta:                 m.protoMeta(),
		ReservedThroughputDetails: m.protoThroughput(),
		TableOptions:              m.protoOptions(),
		TableStatus:               otsprotocol.TableStatus_ACTIVE.Enum(),
		StreamDetails:             &otsprotocol.StreamDetails{EnableStream: boolp(false)},
	}
	for i := range m.Indexes {
		resp.IndexMetas = append(resp.IndexMetas, m.Indexes[i].proto())
	}
	return resp, nil
}

func (s *Server) updateTable(q *request) (proto.Message, *apiError) {
	var req otsprotocol.UpdateTableRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	if req.GetStreamSpec().GetEnableStream() {
		return nil, unsupported("UpdateTable with stream")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.tables[req.GetTableName()]
	if old == nil {
		return nil, errTableNotExist
	}
	if old.IndexOf != "" {
		return nil, invalidf("Cannot update an index table.")
	}
	m := *old
	if e := applyOptions(&m, req.GetTableOptions()); e != nil {
		return nil, e
	}
	if e := applyThroughput(&m, req.GetReservedThroughput(), s.nowMS()); e != nil {
		return nil, e
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return putMeta(tx, &m) }); err != nil {
		return nil, internalf(err)
	}
	s.tables[m.Name] = &m
	return &otsprotocol.UpdateTableResponse{
		ReservedThroughputDetails: m.protoThroughput(),
		TableOptions:              m.protoOptions(),
		StreamDetails:             &otsprotocol.StreamDetails{EnableStream: boolp(false)},
	}, nil
}

func (s *Server) deleteTable(q *request) (proto.Message, *apiError) {
	var req otsprotocol.DeleteTableRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.tables[req.GetTableName()]
	if m == nil {
		return nil, errTableNotExist
	}
	if m.IndexOf != "" {
		return nil, invalidf("Cannot delete an index table with DeleteTable; use DropIndex.")
	}
	names := []string{m.Name}
	for _, ix := range m.Indexes {
		names = append(names, ix.Name)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, n := range names {
			if err := dropTableTx(tx, n); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketAutoInc).Delete([]byte(m.Name))
	})
	if err != nil {
		return nil, internalf(err)
	}
	for _, n := range names {
		delete(s.tables, n)
	}
	return nil, nil
}

func dropTableTx(tx *bolt.Tx, name string) error {
	err := tx.DeleteBucket(chunksBucket(name))
	if err != nil && err != bolt.ErrBucketNotFound {
		return err
	}
	if err := tx.DeleteBucket(rowBucket(name)); err != nil && err != bolt.ErrBucketNotFound {
		return err
	}
	return tx.Bucket(bucketMeta).Delete([]byte(name))
}

func (s *Server) createIndex(q *request) (proto.Message, *apiError) {
	var req otsprotocol.CreateIndexRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	base := s.table(req.GetMainTableName())
	if base == nil || base.IndexOf != "" {
		return nil, errTableNotExist
	}
	ix, e := buildIndex(base, req.GetIndexMeta())
	if e != nil {
		return nil, e
	}
	nb := *base
	nb.Indexes = append(append([]indexSchema(nil), base.Indexes...), ix.schema)
	if e := checkUniqueIndexNames(&nb); e != nil {
		return nil, e
	}
	// Base data is always indexed: the emulator builds the index at once.
	return &otsprotocol.CreateIndexResponse{}, s.addTables([]*tableMeta{ix.meta}, &nb)
}

func (s *Server) dropIndex(q *request) (proto.Message, *apiError) {
	var req otsprotocol.DropIndexRequest
	if e := q.decode(&req); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	base := s.tables[req.GetMainTableName()]
	ixm := s.tables[req.GetIndexName()]
	if base == nil || ixm == nil || ixm.IndexOf != base.Name {
		return nil, errTableNotExist
	}
	nb := *base
	nb.Indexes = nil
	for _, ix := range base.Indexes {
		if ix.Name != ixm.Name {
			nb.Indexes = append(nb.Indexes, ix)
		}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := dropTableTx(tx, ixm.Name); err != nil {
			return err
		}
		return putMeta(tx, &nb)
	})
	if err != nil {
		return nil, internalf(err)
	}
	delete(s.tables, ixm.Name)
	s.tables[nb.Name] = &nb
	return &otsprotocol.DropIndexResponse{}, nil
}
