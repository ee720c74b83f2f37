package ots_test

import (
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

func putChange(table string, k *tablestore.PrimaryKey, exp tablestore.RowExistenceExpectation,
	cols map[string]any) *tablestore.PutRowChange {
	ch := &tablestore.PutRowChange{TableName: table, PrimaryKey: k}
	for _, n := range sortedKeys(cols) {
		ch.AddColumn(n, cols[n])
	}
	ch.SetCondition(exp)
	return ch
}

func TestBatchWritePartialFailure(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("dup", 1), map[string]any{"a": "old"})
	req := &tablestore.BatchWriteRowRequest{}
	req.AddRowChange(putChange("t", key("new", 1), notExist,
		map[string]any{"a": "1"}))
	req.AddRowChange(putChange("t", key("dup", 1), notExist,
		map[string]any{"a": "2"}))
	upd := &tablestore.UpdateRowChange{TableName: "t", PrimaryKey: key("new", 2)}
	upd.SetCondition(ignore)
	upd.IncrementColumn("c", 5)
	req.AddRowChange(upd)
	del := &tablestore.DeleteRowChange{TableName: "t", PrimaryKey: key("gone", 1)}
	del.SetCondition(mustExist)
	req.AddRowChange(del)
	resp, err := env.Client.BatchWriteRow(req)
	if err != nil {
		t.Fatalf("BatchWriteRow: %v", err)
	}
	rows := resp.TableToRowsResult["t"]
	want := []string{"", "OTSConditionCheckFail", "", "OTSConditionCheckFail"}
	if len(rows) != len(want) {
		t.Fatalf("got %d row results, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		got := ""
		if !r.IsSucceed {
			got = r.Error.Code
		}
		if got != want[i] {
			t.Errorf("row %d: error %q, want %q", i, got, want[i])
		}
	}
	if got := get(t, env, "t", key("dup", 1))["a"]; got != "old" {
		t.Errorf("failed row changed: a=%v", got)
	}
	if got := get(t, env, "t", key("new", 2))["c"]; got != int64(5) {
		t.Errorf("batch increment: c=%v, want 5", got)
	}
}

func TestBatchWriteRejectedWhole(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	tests := []struct {
		name string
		req  func() *tablestore.BatchWriteRowRequest
		code string
	}{
		{"duplicate pk", func() *tablestore.BatchWriteRowRequest {
			r := &tablestore.BatchWriteRowRequest{}
			r.AddRowChange(putChange("t", key("x", 1), ignore, nil))
			r.AddRowChange(putChange("t", key("x", 1), ignore, nil))
			return r
		}, "OTSParameterInvalid"},
		{"201 rows", func() *tablestore.BatchWriteRowRequest {
			r := &tablestore.BatchWriteRowRequest{}
			for i := int64(0); i < 201; i++ {
				r.AddRowChange(putChange("t", key("x", i), ignore, nil))
			}
			return r
		}, "OTSParameterInvalid"},
		{"missing table", func() *tablestore.BatchWriteRowRequest {
			r := &tablestore.BatchWriteRowRequest{}
			r.AddRowChange(putChange("t", key("x", 1), ignore, nil))
			r.AddRowChange(putChange("nope", key("x", 1), ignore, nil))
			return r
		}, "OTSObjectNotExist"},
	}
	for _, tt := range tests {
		_, err := env.Client.BatchWriteRow(tt.req())
		if code := otsCode(err); code != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, code, tt.code)
		}
		if got := get(t, env, "t", key("x", 1)); got != nil {
			t.Errorf("%s: rejected batch wrote a row", tt.name)
		}
	}
}

func TestBatchWrite200AndBatchGet(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	req := &tablestore.BatchWriteRowRequest{}
	for i := int64(0); i < 200; i++ {
		req.AddRowChange(putChange("t", key("b", i), ignore,
			map[string]any{"i": i}))
	}
	if _, err := env.Client.BatchWriteRow(req); err != nil {
		t.Fatalf("BatchWriteRow(200): %v", err)
	}
	crit := &tablestore.MultiRowQueryCriteria{TableName: "t", MaxVersion: 1}
	for i := int64(0); i < 100; i++ {
		crit.AddRow(key("b", i*3))
	}
	resp, err := env.Client.BatchGetRow(&tablestore.BatchGetRowRequest{
		MultiRowQueryCriteria: []*tablestore.MultiRowQueryCriteria{crit}})
	if err != nil {
		t.Fatalf("BatchGetRow: %v", err)
	}
	found := 0
	for i, r := range resp.TableToRowsResult["t"] {
		if !r.IsSucceed {
			t.Fatalf("row %d: %v", i, r.Error)
		}
		if len(r.Columns) == 1 {
			if r.Columns[0].Value != int64(i*3) {
				t.Errorf("row %d: i=%v", i, r.Columns[0].Value)
			}
			found++
		}
	}
	if found != 67 {
		t.Errorf("found %d rows, want 67 (i*3 < 200)", found)
	}
	crit.AddRow(key("b", 999))
	_, err = env.Client.BatchGetRow(&tablestore.BatchGetRowRequest{
		MultiRowQueryCriteria: []*tablestore.MultiRowQueryCriteria{crit}})
	if code := otsCode(err); code != "OTSParameterInvalid" {
		t.Errorf("BatchGetRow(101): code %q, want OTSParameterInvalid", code)
	}
}
