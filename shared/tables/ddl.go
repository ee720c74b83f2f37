package tables

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// Create creates every table of ts (with its indexes) that the instance
// lacks. Existing tables are left alone; check them with Verify.
func Create(ctx context.Context, client *tablestore.TableStoreClient, ts []Table) error {
	live, err := listTables(client)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return mapErr("create table", t.Name, err)
		}
		if err := t.Validate(); err != nil {
			return err
		}
		if live[t.Name] {
			continue
		}
		if _, err := client.CreateTable(createRequest(t)); err != nil &&
			!isCode(err, codeAlreadyExist) {
			return mapErr("create table", t.Name, err)
		}
	}
	return nil
}

// Apply creates the missing tables of ts and then verifies all of them.
func Apply(ctx context.Context, client *tablestore.TableStoreClient, ts []Table) error {
	if err := Create(ctx, client, ts); err != nil {
		return err
	}
	return Verify(ctx, client, ts)
}

func listTables(client *tablestore.TableStoreClient) (map[string]bool, error) {
	resp, err := client.ListTable()
	if err != nil {
		return nil, mapErr("list tables", "", err)
	}
	live := map[string]bool{}
	for _, n := range resp.TableNames {
		live[n] = true
	}
	return live, nil
}

func createRequest(t Table) *tablestore.CreateTableRequest {
	meta := &tablestore.TableMeta{TableName: t.Name}
	for _, pk := range t.PrimaryKey {
		if pk.AutoIncrement {
			meta.AddPrimaryKeyColumnOption(pk.Name, pkType(pk.Type), tablestore.AUTO_INCREMENT)
			continue
		}
		meta.AddPrimaryKeyColumn(pk.Name, pkType(pk.Type))
	}
	for _, c := range t.Defined {
		meta.AddDefinedColumn(c.Name, definedType(c.Type))
	}
	req := &tablestore.CreateTableRequest{
		TableMeta:          meta,
		TableOption:        tablestore.NewTableOption(t.TTL, t.MaxVersions),
		ReservedThroughput: &tablestore.ReservedThroughput{},
	}
	for _, ix := range t.Indexes {
		im := &tablestore.IndexMeta{IndexName: ix.Name, Primarykey: ix.PrimaryKey,
			DefinedColumns: ix.Defined, IndexType: tablestore.IT_GLOBAL_INDEX}
		req.AddIndexMeta(im)
	}
	return req
}

func pkType(t Type) tablestore.PrimaryKeyType {
	switch t {
	case Integer:
		return tablestore.PrimaryKeyType_INTEGER
	case Binary:
		return tablestore.PrimaryKeyType_BINARY
	}
	return tablestore.PrimaryKeyType_STRING
}

func definedType(t Type) tablestore.DefinedColumnType {
	return map[Type]tablestore.DefinedColumnType{
		String: tablestore.DefinedColumn_STRING, Integer: tablestore.DefinedColumn_INTEGER,
		Binary: tablestore.DefinedColumn_BINARY, Double: tablestore.DefinedColumn_DOUBLE,
		Boolean: tablestore.DefinedColumn_BOOLEAN,
	}[t]
}

// DriftError lists how a live instance differs from the declarations, one
// line per difference, in the form "table: what: declared X, live Y".
type DriftError struct {
	Diffs []string
}

// Error renders the differences as an indented list.
func (e *DriftError) Error() string {
	return fmt.Sprintf("tables: verify: %d difference(s) from the declarations:\n  %s",
		len(e.Diffs), strings.Join(e.Diffs, "\n  "))
}

// Verify describes every table of ts on the instance and returns a
// *DriftError listing each difference (missing table, primary key, TTL, max
// versions, defined columns, indexes), or nil when the instance matches.
func Verify(ctx context.Context, client *tablestore.TableStoreClient, ts []Table) error {
	var diffs []string
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return mapErr("verify", t.Name, err)
		}
		resp, err := client.DescribeTable(&tablestore.DescribeTableRequest{TableName: t.Name})
		if isCode(err, codeNotExist) {
			diffs = append(diffs, t.Name+": missing")
			continue
		}
		if err != nil {
			return mapErr("describe table", t.Name, err)
		}
		diffs = append(diffs, drift(t, resp)...)
	}
	if len(diffs) > 0 {
		return &DriftError{Diffs: diffs}
	}
	return nil
}

// drift compares one declaration with its DescribeTable response.
func drift(t Table, d *tablestore.DescribeTableResponse) []string {
	var out []string
	add := func(format string, args ...any) {
		out = append(out, t.Name+": "+fmt.Sprintf(format, args...))
	}
	if want, got := declaredPK(t), livePK(d); want != got {
		add("primary key: declared %s, live %s", want, got)
	}
	if d.TableOption != nil && d.TableOption.TimeToAlive != t.TTL {
		add("ttl: declared %d, live %d", t.TTL, d.TableOption.TimeToAlive)
	}
	if d.TableOption != nil && d.TableOption.MaxVersion != t.MaxVersions {
		add("max versions: declared %d, live %d", t.MaxVersions, d.TableOption.MaxVersion)
	}
	live := map[string]tablestore.DefinedColumnType{}
	for _, c := range d.TableMeta.DefinedColumns {
		live[c.Name] = c.ColumnType
	}
	for _, c := range t.Defined {
		got, ok := live[c.Name]
		switch {
		case !ok:
			add("defined column %q: missing", c.Name)
		case got != definedType(c.Type):
			add("defined column %q: declared %v, live type %d", c.Name, c.Type, got)
		}
	}
	return append(out, indexDrift(t, d.IndexMetas)...)
}

func indexDrift(t Table, metas []*tablestore.IndexMeta) []string {
	live := map[string]*tablestore.IndexMeta{}
	for _, m := range metas {
		live[m.IndexName] = m
	}
	var out []string
	for _, ix := range t.Indexes {
		m, ok := live[ix.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: index %q: missing", t.Name, ix.Name))
		case !slices.Equal(m.Primarykey, ix.PrimaryKey):
			out = append(out, fmt.Sprintf("%s: index %q: key: declared %v, live %v",
				t.Name, ix.Name, ix.PrimaryKey, m.Primarykey))
		case !sameSet(m.DefinedColumns, ix.Defined):
			out = append(out, fmt.Sprintf("%s: index %q: columns: declared %v, live %v",
				t.Name, ix.Name, ix.Defined, m.DefinedColumns))
		}
	}
	return out
}

func declaredPK(t Table) string {
	parts := make([]string, len(t.PrimaryKey))
	for i, pk := range t.PrimaryKey {
		parts[i] = pk.Name + " " + pk.Type.String()
		if pk.AutoIncrement {
			parts[i] += " auto-increment"
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func livePK(d *tablestore.DescribeTableResponse) string {
	names := map[tablestore.PrimaryKeyType]string{
		tablestore.PrimaryKeyType_STRING: "String", tablestore.PrimaryKeyType_INTEGER: "Integer",
		tablestore.PrimaryKeyType_BINARY: "Binary",
	}
	parts := make([]string, len(d.TableMeta.SchemaEntry))
	for i, e := range d.TableMeta.SchemaEntry {
		parts[i] = *e.Name + " " + names[*e.Type]
		if e.Option != nil && *e.Option == tablestore.AUTO_INCREMENT {
			parts[i] += " auto-increment"
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// IsDrift reports whether err is a *DriftError.
func IsDrift(err error) bool {
	var d *DriftError
	return errors.As(err, &d)
}
