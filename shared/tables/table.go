// Package tables declares every Tablestore table of xietong once and
// provides the typed layer that the functions use to read and write them
// through the Tablestore SDK.
//
// The declarations (schema.go) create tables in the local emulator or a real
// instance (Create), check a live instance against them (Verify) and generate
// infra/tablestore.tf (Terraform). The Store wraps a TableStoreClient with
// row encoding, conditional writes that stay correct under the SDK's own
// retries, idempotency keys, counters, paged range scans and chunked batches,
// and maps every SDK error onto the sentinel errors of this package.
package tables

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
)

// Type is the type of a primary-key or defined column.
type Type int

// Column types. Primary keys may be String, Integer or Binary; defined
// columns may be any of them.
const (
	String Type = iota + 1
	Integer
	Binary
	Double
	Boolean
)

// String returns the Terraform spelling of the type ("String", "Integer", ...).
func (t Type) String() string {
	switch t {
	case String:
		return "String"
	case Integer:
		return "Integer"
	case Binary:
		return "Binary"
	case Double:
		return "Double"
	case Boolean:
		return "Boolean"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// PKColumn is one primary-key column. At most one column per table may be
// AutoIncrement; it must be an Integer and not the first (partition) column.
type PKColumn struct {
	Name          string
	Type          Type
	AutoIncrement bool
}

// Column is a defined (predefined) attribute column. Only defined columns can
// be indexed or projected into a global secondary index.
type Column struct {
	Name string
	Type Type
}

// Index is a global secondary index. PrimaryKey lists its index columns (1 to
// 4, taken from the table's primary key or defined columns); Tablestore
// appends the table's remaining primary-key columns. Defined lists the defined
// columns copied into the index.
type Index struct {
	Name       string
	PrimaryKey []string
	Defined    []string
}

// Forever is the TTL of a table whose data never expires.
const Forever = -1

// Table declares one Tablestore table.
type Table struct {
	// Name is the table name, [A-Za-z_][A-Za-z0-9_]*.
	Name string
	// Doc says what the table holds; Terraform output carries it as a comment.
	Doc string
	// PrimaryKey lists 1 to 4 key columns in order; the first is the
	// partition key.
	PrimaryKey []PKColumn
	// Defined lists the typed attribute columns (at most 32).
	Defined []Column
	// Indexes lists the global secondary indexes (at most 5).
	Indexes []Index
	// TTL is the time to live of each cell version in seconds, or Forever.
	TTL int
	// MaxVersions is how many versions of each column are kept (at least 1).
	MaxVersions int
}

// TenantKey returns the salted tenant key that leads the primary key of every
// tenant-scoped table: the first 4 hex digits of md5(corp), a colon, and corp.
// The salt spreads tenants across partitions while keeping each tenant's rows
// together.
func TenantKey(corp string) string {
	return SaltedKey(corp)
}

// SaltedKey returns the first 4 hex digits of md5(s), a colon and s. It is the
// key shape for any partition key that must not hot-spot (tenants, users,
// ledger bundles).
func SaltedKey(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:2]) + ":" + s
}

// validName reports whether s is a Tablestore table, column or index name:
// 1 to 255 of [A-Za-z0-9_], not starting with a digit. (A regexp with a
// {0,254} repeat costs milliseconds to compile at start-up, in every binary.)
func validName(s string) bool {
	if len(s) == 0 || len(s) > 255 || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Validate reports the first rule of Tablestore's data model that t breaks
// (names, key count and types, auto-increment placement, TTL, max versions,
// index preconditions), or nil.
func (t Table) Validate() error {
	if !validName(t.Name) {
		return fmt.Errorf("tables: table %q: invalid name", t.Name)
	}
	if err := t.validateKeys(); err != nil {
		return err
	}
	if t.TTL != Forever && t.TTL < 86400 {
		return fmt.Errorf("tables: table %q: ttl %d: want -1 or >= 86400", t.Name, t.TTL)
	}
	if t.MaxVersions < 1 {
		return fmt.Errorf("tables: table %q: max versions %d: want >= 1", t.Name, t.MaxVersions)
	}
	if len(t.Defined) > 32 {
		return fmt.Errorf("tables: table %q: %d defined columns: want <= 32", t.Name,
			len(t.Defined))
	}
	return t.validateIndexes()
}

func (t Table) validateKeys() error {
	if n := len(t.PrimaryKey); n < 1 || n > 4 {
		return fmt.Errorf("tables: table %q: %d primary-key columns: want 1 to 4", t.Name, n)
	}
	seen := map[string]bool{}
	auto := 0
	for i, pk := range t.PrimaryKey {
		if !validName(pk.Name) || seen[pk.Name] {
			return fmt.Errorf("tables: table %q: primary key %q: invalid or repeated name",
				t.Name, pk.Name)
		}
		seen[pk.Name] = true
		if pk.Type != String && pk.Type != Integer && pk.Type != Binary {
			return fmt.Errorf("tables: table %q: primary key %q: type %v", t.Name, pk.Name, pk.Type)
		}
		if pk.AutoIncrement {
			auto++
			if i == 0 || pk.Type != Integer || auto > 1 {
				return fmt.Errorf("tables: table %q: auto-increment %q: must be one Integer "+
					"column after the partition key", t.Name, pk.Name)
			}
		}
	}
	for _, c := range t.Defined {
		if !validName(c.Name) || seen[c.Name] || c.Type < String || c.Type > Boolean {
			return fmt.Errorf("tables: table %q: defined column %q: invalid", t.Name, c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

func (t Table) validateIndexes() error {
	if len(t.Indexes) == 0 {
		return nil
	}
	if len(t.Indexes) > 5 {
		return fmt.Errorf("tables: table %q: %d indexes: want <= 5", t.Name, len(t.Indexes))
	}
	if t.MaxVersions != 1 || t.TTL != Forever {
		return fmt.Errorf("tables: table %q: indexes need max versions 1 and ttl -1", t.Name)
	}
	for _, ix := range t.Indexes {
		if !validName(ix.Name) {
			return fmt.Errorf("tables: index %q: invalid name", ix.Name)
		}
		if n := len(ix.PrimaryKey); n < 1 || n > 4 {
			return fmt.Errorf("tables: index %q: %d index columns: want 1 to 4", ix.Name, n)
		}
		for _, c := range ix.PrimaryKey {
			if typ, ok := t.columnType(c); !ok || typ == Double || typ == Boolean {
				return fmt.Errorf("tables: index %q: column %q: not a key or defined "+
					"String/Integer/Binary column", ix.Name, c)
			}
		}
		if ix.PrimaryKey[0] == t.autoIncrementColumn() {
			return fmt.Errorf("tables: index %q: leads with auto-increment column", ix.Name)
		}
		for _, c := range ix.Defined {
			if !t.isDefined(c) {
				return fmt.Errorf("tables: index %q: column %q: not a defined column", ix.Name, c)
			}
		}
	}
	return nil
}

func (t Table) columnType(name string) (Type, bool) {
	for _, pk := range t.PrimaryKey {
		if pk.Name == name {
			return pk.Type, true
		}
	}
	for _, c := range t.Defined {
		if c.Name == name {
			return c.Type, true
		}
	}
	return 0, false
}

func (t Table) isDefined(name string) bool {
	for _, c := range t.Defined {
		if c.Name == name {
			return true
		}
	}
	return false
}

func (t Table) autoIncrementColumn() string {
	for _, pk := range t.PrimaryKey {
		if pk.AutoIncrement {
			return pk.Name
		}
	}
	return ""
}

// IndexTable returns the index named name as a readable table: its primary
// key is the index columns followed by the table's other key columns, as
// Tablestore builds it. ok is false when t has no such index.
func (t Table) IndexTable(name string) (Table, bool) {
	for _, ix := range t.Indexes {
		if ix.Name != name {
			continue
		}
		it := Table{Name: ix.Name, TTL: t.TTL, MaxVersions: t.MaxVersions}
		used := map[string]bool{}
		for _, c := range ix.PrimaryKey {
			typ, _ := t.columnType(c)
			it.PrimaryKey = append(it.PrimaryKey, PKColumn{Name: c, Type: typ})
			used[c] = true
		}
		for _, pk := range t.PrimaryKey {
			if !used[pk.Name] {
				it.PrimaryKey = append(it.PrimaryKey, PKColumn{Name: pk.Name, Type: pk.Type})
			}
		}
		return it, true
	}
	return Table{}, false
}
