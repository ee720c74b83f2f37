package ots

import (
	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
)

// pkSchema is one primary-key column of a table.
type pkSchema struct {
	Name    string                     `json:"name"`
	Type    otsprotocol.PrimaryKeyType `json:"type"`
	AutoInc bool                       `json:"auto_inc,omitempty"`
}

// definedSchema is one predefined attribute column.
type definedSchema struct {
	Name string                        `json:"name"`
	Type otsprotocol.DefinedColumnType `json:"type"`
}

// indexSchema is a global secondary index of a table.
type indexSchema struct {
	Name    string   `json:"name"`
	PK      []string `json:"pk"`
	Defined []string `json:"defined,omitempty"`
}

// tableMeta is what the engine keeps about a table or an index table.
type tableMeta struct {
	Name        string          `json:"name"`
	PK          []pkSchema      `json:"pk"`
	Defined     []definedSchema `json:"defined,omitempty"`
	TTL         int32           `json:"ttl"`
	MaxVersions int32           `json:"max_versions"`
	Deviation   int64           `json:"deviation"`
	AllowUpdate bool            `json:"allow_update"`
	ReadCU      int32           `json:"read_cu"`
	WriteCU     int32           `json:"write_cu"`
	Increased   int64           `json:"increased"`
	Decreased   int64           `json:"decreased,omitempty"`
	Indexes     []indexSchema   `json:"indexes,omitempty"`
	IndexOf     string          `json:"index_of,omitempty"`
}

func (m *tableMeta) kinds() []kind {
	ks := make([]kind, len(m.PK))
	for i, c := range m.PK {
		ks[i] = pkKind(c.Type)
	}
	return ks
}

func (m *tableMeta) pkIndex(name string) int {
	for i, c := range m.PK {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func (m *tableMeta) defined(name string) *definedSchema {
	for i := range m.Defined {
		if m.Defined[i].Name == name {
			return &m.Defined[i]
		}
	}
	return nil
}

func (m *tableMeta) protoMeta() *otsprotocol.TableMeta {
	tm := &otsprotocol.TableMeta{TableName: str(m.Name)}
	for _, c := range m.PK {
		s := &otsprotocol.PrimaryKeySchema{Name: str(c.Name), Type: c.Type.Enum()}
		if c.AutoInc {
			s.Option = otsprotocol.PrimaryKeyOption_AUTO_INCREMENT.Enum()
		}
		tm.PrimaryKey = append(tm.PrimaryKey, s)
	}
	for _, d := range m.Defined {
		tm.DefinedColumn = append(tm.DefinedColumn,
			&otsprotocol.DefinedColumnSchema{Name: str(d.Name), Type: d.Type.Enum()})
	}
	return tm
}

func (m *tableMeta) protoOptions() *otsprotocol.TableOptions {
	return &otsprotocol.TableOptions{
		TimeToLive:                i32(m.TTL),
		MaxVersions:               i32(m.MaxVersions),
		DeviationCellVersionInSec: i64(m.Deviation),
		AllowUpdate:               boolp(m.AllowUpdate),
	}
}

func (m *tableMeta) protoThroughput() *otsprotocol.ReservedThroughputDetails {
	d := &otsprotocol.ReservedThroughputDetails{
		CapacityUnit:     &otsprotocol.CapacityUnit{Read: i32(m.ReadCU), Write: i32(m.WriteCU)},
		LastIncreaseTime: i64(m.Increased),
	}
	if m.Decreased != 0 {
		d.LastDecreaseTime = i64(m.Decreased)
	}
	return d
}

func (ix *indexSchema) proto() *otsprotocol.IndexMeta {
	return &otsprotocol.IndexMeta{
		Name:            str(ix.Name),
		PrimaryKey:      ix.PK,
		DefinedColumn:   ix.Defined,
		IndexUpdateMode: otsprotocol.IndexUpdateMode_IUM_ASYNC_INDEX.Enum(),
		IndexType:       otsprotocol.IndexType_IT_GLOBAL_INDEX.Enum(),
		IndexSyncPhase:  otsprotocol.IndexSyncPhase_ISP_INCR.Enum(),
	}
}

func str(s string) *string { return &s }
func i32(v int32) *int32   { return &v }
func i64(v int64) *int64   { return &v }
func boolp(v bool) *bool   { return &v }
