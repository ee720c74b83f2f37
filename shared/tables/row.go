package tables

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// Key is a primary key as ordered values, one per key column of the table:
// string, int64 (int is accepted) or []byte. In range bounds a trailing part
// may be InfMin or InfMax; in Create an auto-increment column takes AutoInc.
type Key []any

type keyMark int8

const (
	// InfMin sorts before every value of a key column (range bounds only).
	InfMin keyMark = iota + 1
	// InfMax sorts after every value of a key column (range bounds only).
	InfMax
	// AutoInc asks Tablestore to assign an auto-increment key column.
	AutoInc
)

// String renders the key for error messages: parts joined by "/".
func (k Key) String() string {
	parts := make([]string, len(k))
	for i, v := range k {
		parts[i] = keyPart(v)
	}
	return strings.Join(parts, "/")
}

func keyPart(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 128 {
			return fmt.Sprintf("%s…(%d bytes)", x[:64], len(x))
		}
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case []byte:
		return hex.EncodeToString(x)
	case keyMark:
		return map[keyMark]string{InfMin: "-inf", InfMax: "+inf", AutoInc: "auto"}[x]
	}
	return fmt.Sprint(v)
}

// Cols are attribute values by column name: string, int64 (int is accepted),
// []byte, bool or float64.
type Cols map[string]any

// Cell is one version of a column value; TS is its version in milliseconds.
type Cell struct {
	Value any
	TS    int64
}

// Row is a row read from a table. Cols holds the latest value of each
// column; Versions holds every returned version (newest first) when the read
// asked for more than one. Bookkeeping columns of the Store are hidden.
type Row struct {
	Key      Key
	Cols     Cols
	Versions map[string][]Cell

	slots map[string]string
}

// Has reports whether the row has column name.
func (r *Row) Has(name string) bool {
	_, ok := r.Cols[name]
	return ok
}

// String returns column name as a string, or "" when it is missing or not a
// string.
func (r *Row) String(name string) string {
	s, _ := r.Cols[name].(string)
	return s
}

// Int returns column name as an int64, or 0.
func (r *Row) Int(name string) int64 {
	n, _ := r.Cols[name].(int64)
	return n
}

// Bytes returns column name as bytes, or nil.
func (r *Row) Bytes(name string) []byte {
	b, _ := r.Cols[name].([]byte)
	return b
}

// Bool returns column name as a bool, or false.
func (r *Row) Bool(name string) bool {
	b, _ := r.Cols[name].(bool)
	return b
}

// Float returns column name as a float64, or 0.
func (r *Row) Float(name string) float64 {
	f, _ := r.Cols[name].(float64)
	return f
}

// Ver returns the row's version (the ver column), 0 for rows written
// without one.
func (r *Row) Ver() int64 { return r.Int(VerColumn) }

// VerColumn is the optimistic-concurrency column every mutable row carries.
const VerColumn = "ver"

// slotCount is how many recent write tokens a row remembers: a write that
// was retried can tell its own earlier success from a rival's while fewer
// than slotCount writes have landed since. A hot row under the SDK's retry
// back-off (up to 320 ms a pause) can see a few dozen rival writes in that
// time; each slot costs about 20 bytes, and only rows written that often
// fill them all.
const slotCount = 64

const slotPrefix = "_wt"

func slotName(ver int64) string {
	return slotPrefix + strconv.FormatInt(ver%slotCount, 16)
}

func pkOf(t *Table, key Key) (*tablestore.PrimaryKey, error) {
	if len(key) != len(t.PrimaryKey) {
		return nil, fmt.Errorf("%d key parts, table has %d", len(key), len(t.PrimaryKey))
	}
	pk := new(tablestore.PrimaryKey)
	for i, v := range key {
		name := t.PrimaryKey[i].Name
		switch x := v.(type) {
		case keyMark:
			switch x {
			case InfMin:
				pk.AddPrimaryKeyColumnWithMinValue(name)
			case InfMax:
				pk.AddPrimaryKeyColumnWithMaxValue(name)
			default:
				pk.AddPrimaryKeyColumnWithAutoIncrement(name)
			}
		case int:
			pk.AddPrimaryKeyColumn(name, int64(x))
		case string, int64, []byte:
			pk.AddPrimaryKeyColumn(name, x)
		default:
			return nil, fmt.Errorf("key part %q: unsupported type %T", name, v)
		}
	}
	return pk, nil
}

func keyOf(pk *tablestore.PrimaryKey) Key {
	if pk == nil {
		return nil
	}
	k := make(Key, len(pk.PrimaryKeys))
	for i, c := range pk.PrimaryKeys {
		switch c.PrimaryKeyOption {
		case tablestore.MIN:
			k[i] = InfMin
		case tablestore.MAX:
			k[i] = InfMax
		default:
			k[i] = c.Value
		}
	}
	return k
}

// colValue normalizes an attribute value to a type the SDK encodes.
func colValue(name string, v any) (any, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case string, int64, []byte, bool, float64:
		return x, nil
	}
	return nil, fmt.Errorf("column %q: unsupported type %T", name, v)
}

// decodeRow builds a Row from SDK columns. Tablestore returns each column's
// versions newest first; the newest timestamp wins either way.
func decodeRow(key Key, cols []*tablestore.AttributeColumn, multi bool) *Row {
	r := &Row{Key: key, Cols: Cols{}}
	newest := map[string]int64{}
	for _, c := range cols {
		if ts, seen := newest[c.ColumnName]; seen && ts >= c.Timestamp {
			if multi && !strings.HasPrefix(c.ColumnName, slotPrefix) {
				r.addVersion(c)
			}
			continue
		}
		newest[c.ColumnName] = c.Timestamp
		if strings.HasPrefix(c.ColumnName, slotPrefix) {
			if r.slots == nil {
				r.slots = map[string]string{}
			}
			r.slots[c.ColumnName], _ = c.Value.(string)
			continue
		}
		r.Cols[c.ColumnName] = c.Value
		if multi {
			r.addVersion(c)
		}
	}
	return r
}

func (r *Row) addVersion(c *tablestore.AttributeColumn) {
	if r.Versions == nil {
		r.Versions = map[string][]Cell{}
	}
	vs := append(r.Versions[c.ColumnName], Cell{Value: c.Value, TS: c.Timestamp})
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].TS > vs[j].TS })
	r.Versions[c.ColumnName] = vs
}

// wroteAs reports whether the write that moved the row to version ver
// carried token tok, judging from the row as read now.
func (r *Row) wroteAs(ver int64, tok string) bool {
	cur := r.Ver()
	if cur < ver || cur >= ver+slotCount {
		return false
	}
	return r.slots[slotName(ver)] == tok
}
