package ots_test

import (
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

func TestPutGetRange(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "items", nil)
	for i := int64(0); i < 5; i++ {
		put(t, env, "items", key("a", i), map[string]any{"v": i * 10, "s": "x"})
	}
	got := get(t, env, "items", key("a", 3))
	if diff := cmp.Diff(map[string]any{"v": int64(30), "s": "x"}, got); diff != "" {
		t.Errorf("GetRow (-want +got):\n%s", diff)
	}
	if got := get(t, env, "items", key("b", 3)); got != nil {
		t.Errorf("GetRow(missing) = %v, want nil", got)
	}
	start, end := &tablestore.PrimaryKey{}, &tablestore.PrimaryKey{}
	start.AddPrimaryKeyColumnWithMinValue("pk")
	start.AddPrimaryKeyColumnWithMinValue("n")
	end.AddPrimaryKeyColumnWithMaxValue("pk")
	end.AddPrimaryKeyColumnWithMaxValue("n")
	resp, err := getRange(env, tablestore.RangeRowQueryCriteria{
		TableName: "items", StartPrimaryKey: start, EndPrimaryKey: end, MaxVersion: 1,
		Direction: tablestore.FORWARD, Limit: 3})
	if err != nil {
		t.Fatalf("GetRange: %v", err)
	}
	if len(resp.Rows) != 3 || resp.NextStartPrimaryKey == nil {
		t.Fatalf("GetRange rows=%d next=%v, want 3 rows and a next key", len(resp.Rows),
			resp.NextStartPrimaryKey)
	}
	if n := resp.NextStartPrimaryKey.PrimaryKeys[1].Value; n != int64(3) {
		t.Errorf("next key n = %v, want 3", n)
	}
}
