package ots_test

import (
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

func names(cols []*tablestore.AttributeColumn) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.ColumnName)
	}
	return out
}

func TestGetRowColumnsToGet(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("r", 1), map[string]any{"a": "1", "b": "2", "c": "3", "d": "4"})
	tests := []struct {
		name    string
		crit    tablestore.SingleRowQueryCriteria
		wantPK  int
		wantCol []string
	}{
		{"all", tablestore.SingleRowQueryCriteria{}, 2, []string{"a", "b", "c", "d"}},
		{"some", tablestore.SingleRowQueryCriteria{ColumnsToGet: []string{"b", "d"}}, 0,
			[]string{"b", "d"}},
		{"with a key column", tablestore.SingleRowQueryCriteria{ColumnsToGet: []string{"n", "a"}},
			1, []string{"a"}},
		{"none present", tablestore.SingleRowQueryCriteria{ColumnsToGet: []string{"zz"}}, 0, nil},
		{"start and end column", tablestore.SingleRowQueryCriteria{StartColumn: strp("b"),
			EndColumn: strp("d")}, 2, []string{"b", "c"}},
		{"pagination", tablestore.SingleRowQueryCriteria{
			Filter: &tablestore.PaginationFilter{Offset: 1, Limit: 2}}, 2, []string{"b", "c"}},
		{"filter fails", tablestore.SingleRowQueryCriteria{
			Filter: single("a", tablestore.CT_EQUAL, "9", true, true)}, 0, nil},
	}
	for _, tt := range tests {
		c := tt.crit
		c.TableName, c.PrimaryKey, c.MaxVersion = "t", key("r", 1), 1
		resp, err := getRow(env, c)
		if err != nil {
			t.Fatalf("%s: GetRow: %v", tt.name, err)
		}
		if got := len(resp.PrimaryKey.PrimaryKeys); got != tt.wantPK {
			t.Errorf("%s: %d key columns, want %d", tt.name, got, tt.wantPK)
		}
		if diff := cmp.Diff(tt.wantCol, names(resp.Columns)); diff != "" {
			t.Errorf("%s: columns (-want +got):\n%s", tt.name, diff)
		}
	}
}

func strp(s string) *string { return &s }

func TestBatchGetRowErrorPerRow(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("r", 1), map[string]any{"a": "1"})
	bad := &tablestore.PrimaryKey{}
	bad.AddPrimaryKeyColumn("pk", "r")
	crit := &tablestore.MultiRowQueryCriteria{TableName: "t", MaxVersion: 1}
	crit.AddRow(key("r", 1))
	crit.AddRow(bad)
	resp, err := env.Client.BatchGetRow(&tablestore.BatchGetRowRequest{
		MultiRowQueryCriteria: []*tablestore.MultiRowQueryCriteria{crit}})
	if err != nil {
		t.Fatalf("BatchGetRow: %v", err)
	}
	rows := resp.TableToRowsResult["t"]
	if len(rows) != 2 || !rows[0].IsSucceed || rows[1].IsSucceed ||
		rows[1].Error.Code != "OTSParameterInvalid" {
		t.Errorf("results = %+v, want ok then OTSParameterInvalid", rows)
	}
}

func TestPutReturnPK(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	ch := &tablestore.PutRowChange{TableName: "t", PrimaryKey: key("r", 7)}
	ch.AddColumn("a", "1")
	ch.SetCondition(ignore)
	ch.SetReturnPk()
	resp, err := env.Client.PutRow(&tablestore.PutRowRequest{PutRowChange: ch})
	if err != nil {
		t.Fatalf("PutRow: %v", err)
	}
	if pk := resp.PrimaryKey.PrimaryKeys; len(pk) != 2 || pk[0].Value != "r" ||
		pk[1].Value != int64(7) {
		t.Errorf("returned key = %+v", resp.PrimaryKey)
	}
}
