package ots_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

func createWith(env *otstest.Env, name string, pks int, opt tablestore.TableOption) error {
	meta := &tablestore.TableMeta{TableName: name}
	for i := 0; i < pks; i++ {
		meta.AddPrimaryKeyColumn(fmt.Sprintf("k%d", i), tablestore.PrimaryKeyType_STRING)
	}
	_, err := env.Client.CreateTable(&tablestore.CreateTableRequest{TableMeta: meta,
		TableOption: &opt, ReservedThroughput: &tablestore.ReservedThroughput{}})
	return err
}

func manyCols(n, size int) map[string]any {
	cols := map[string]any{}
	for i := 0; i < n; i++ {
		cols[fmt.Sprintf("c%d", i)] = strings.Repeat("x", size)
	}
	return cols
}

func TestLimits(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	def := tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1}
	cols129 := make([]string, 129)
	for i := range cols129 {
		cols129[i] = fmt.Sprintf("c%d", i)
	}
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"5 primary keys", func() error { return createWith(env, "five", 5, def) },
			"OTSParameterInvalid"},
		{"bad table name", func() error { return createWith(env, "1bad", 1, def) },
			"OTSParameterInvalid"},
		{"ttl below a day", func() error {
			return createWith(env, "ttl", 1, tablestore.TableOption{TimeToAlive: 3600,
				MaxVersion: 1})
		}, "OTSParameterInvalid"},
		{"table exists", func() error { return createWith(env, "t", 1, def) },
			"OTSObjectAlreadyExist"},
		{"table not exist", func() error {
			return tryPut(env.Client, "nope", key("a", 1), nil, ignore, nil)
		}, "OTSObjectNotExist"},
		{"pk type", func() error {
			k := &tablestore.PrimaryKey{}
			k.AddPrimaryKeyColumn("pk", int64(1))
			k.AddPrimaryKeyColumn("n", int64(1))
			return tryPut(env.Client, "t", k, nil, ignore, nil)
		}, "OTSParameterInvalid"},
		{"pk over 1 KB", func() error {
			return tryPut(env.Client, "t", key(strings.Repeat("k", 1025), 1), nil,
				ignore, nil)
		}, "OTSParameterInvalid"},
		{"1025 columns", func() error {
			return tryPut(env.Client, "t", key("a", 1), manyCols(1025, 1), ignore, nil)
		}, "OTSParameterInvalid"},
		{"cell over 2 MB", func() error {
			return tryPut(env.Client, "t", key("a", 1), manyCols(1, 2<<20+1), ignore, nil)
		}, "OTSParameterInvalid"},
		{"row change over 4 MB", func() error {
			return tryPut(env.Client, "t", key("a", 1), manyCols(3, 1<<20+512<<10), ignore, nil)
		}, "OTSParameterInvalid"},
		{"body over 5 MB", func() error {
			return tryPut(env.Client, "t", key("a", 1), manyCols(3, 2<<20), ignore, nil)
		}, "OTSRequestBodyTooLarge"},
		{"129 columns to get", func() error {
			_, err := getRow(env, tablestore.SingleRowQueryCriteria{
				TableName: "t", PrimaryKey: key("a", 1), MaxVersion: 1, ColumnsToGet: cols129})
			return err
		}, "OTSParameterInvalid"},
	}
	for _, tt := range tests {
		if code := otsCode(tt.call()); code != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, code, tt.code)
		}
	}
	if got := get(t, env, "t", key("a", 1)); got != nil {
		t.Errorf("a rejected write stored a row: %d columns", len(got))
	}
}

func TestTableQuota(t *testing.T) {
	env := otstest.Start(t)
	def := tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1}
	for i := 0; i < 64; i++ {
		if err := createWith(env, fmt.Sprintf("t%d", i), 1, def); err != nil {
			t.Fatalf("table %d: %v", i, err)
		}
	}
	if code := otsCode(createWith(env, "t64", 1, def)); code != "OTSQuotaExhausted" {
		t.Errorf("65th table: code %q, want OTSQuotaExhausted", code)
	}
	list, err := env.Client.ListTable()
	if err != nil || len(list.TableNames) != 64 {
		t.Errorf("ListTable: %d names, err %v", len(list.TableNames), err)
	}
}

func TestGetRangePageCaps(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	for b := int64(0); b < 26; b++ {
		req := &tablestore.BatchWriteRowRequest{}
		for i := b * 200; i < (b+1)*200 && i < 5001; i++ {
			req.AddRowChange(putChange("t", key("p", i), ignore, nil))
		}
		if _, err := env.Client.BatchWriteRow(req); err != nil {
			t.Fatalf("BatchWriteRow: %v", err)
		}
	}
	resp, err := getRange(env, tablestore.RangeRowQueryCriteria{
		TableName: "t", MaxVersion: 1, Direction: tablestore.FORWARD,
		StartPrimaryKey: bound(true), EndPrimaryKey: bound(false)})
	if err != nil {
		t.Fatalf("GetRange: %v", err)
	}
	if len(resp.Rows) != 5000 || resp.NextStartPrimaryKey == nil {
		t.Errorf("page of 5001 rows: got %d rows, next %v; want 5000 and a next key",
			len(resp.Rows), resp.NextStartPrimaryKey)
	}

	big := strings.Repeat("b", 1<<20)
	for i := int64(0); i < 5; i++ {
		put(t, env, "t", key("q", i), map[string]any{"v": big})
	}
	start, end := key("q", 0), key("q", 99)
	resp, err = getRange(env, tablestore.RangeRowQueryCriteria{
		TableName: "t", MaxVersion: 1, Direction: tablestore.FORWARD,
		StartPrimaryKey: start, EndPrimaryKey: end})
	if err != nil {
		t.Fatalf("GetRange big rows: %v", err)
	}
	if len(resp.Rows) != 3 || resp.NextStartPrimaryKey == nil {
		t.Errorf("5 rows of 1 MB: got %d rows, next %v; want 3 (4 MB cap) and a next key",
			len(resp.Rows), resp.NextStartPrimaryKey)
	}
}
