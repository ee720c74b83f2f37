package ots_test

import (
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

func update(env *otstest.Env, table string, k *tablestore.PrimaryKey,
	fill func(*tablestore.UpdateRowChange)) (*tablestore.UpdateRowResponse, error) {
	ch := &tablestore.UpdateRowChange{TableName: table, PrimaryKey: k}
	ch.SetCondition(ignore)
	fill(ch)
	return env.Client.UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: ch})
}

func TestUpdateRowOps(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 3})
	k := key("a", 1)
	put(t, env, "t", k, map[string]any{"keep": "k", "gone": "g", "cnt": int64(5)})
	tests := []struct {
		name string
		fill func(*tablestore.UpdateRowChange)
		want map[string]any
	}{
		{"put", func(c *tablestore.UpdateRowChange) { c.PutColumn("new", 1.5) },
			map[string]any{"keep": "k", "gone": "g", "cnt": int64(5), "new": 1.5}},
		{"delete all", func(c *tablestore.UpdateRowChange) { c.DeleteColumn("gone") },
			map[string]any{"keep": "k", "cnt": int64(5), "new": 1.5}},
		{"increment", func(c *tablestore.UpdateRowChange) { c.IncrementColumn("cnt", 3) },
			map[string]any{"keep": "k", "cnt": int64(8), "new": 1.5}},
		{"increment missing", func(c *tablestore.UpdateRowChange) { c.IncrementColumn("m", -2) },
			map[string]any{"keep": "k", "cnt": int64(8), "new": 1.5, "m": int64(-2)}},
		{"put bool and bytes", func(c *tablestore.UpdateRowChange) {
			c.PutColumn("b", true)
			c.PutColumn("raw", []byte{0, 1})
		}, map[string]any{"keep": "k", "cnt": int64(8), "new": 1.5, "m": int64(-2), "b": true,
			"raw": []byte{0, 1}}},
	}
	for _, tt := range tests {
		if _, err := update(env, "t", k, tt.fill); err != nil {
			t.Fatalf("%s: UpdateRow: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, get(t, env, "t", k)); diff != "" {
			t.Errorf("%s: row (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestIncrementReturnsValue(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	k := key("c", 1)
	for want := int64(1); want <= 3; want++ {
		resp, err := update(env, "t", k, func(c *tablestore.UpdateRowChange) {
			c.IncrementColumn("seq", 1)
			c.SetReturnIncrementValue()
			c.AppendIncrementColumnToReturn("seq")
		})
		if err != nil {
			t.Fatalf("UpdateRow increment: %v", err)
		}
		if len(resp.Columns) != 1 || resp.Columns[0].Value != want {
			t.Fatalf("increment returned %+v, want seq=%d", resp.Columns, want)
		}
	}
	put(t, env, "t", key("c", 2), map[string]any{"s": "text"})
	_, err := update(env, "t", key("c", 2),
		func(c *tablestore.UpdateRowChange) { c.IncrementColumn("s", 1) })
	if code := otsCode(err); code != "OTSParameterInvalid" {
		t.Errorf("increment of a string: code %q, want OTSParameterInvalid", code)
	}
}

func TestDeleteOneVersion(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 5})
	k := key("v", 1)
	now := nowMS()
	for i := int64(0); i < 3; i++ {
		_, err := update(env, "t", k, func(c *tablestore.UpdateRowChange) {
			c.PutColumnWithTimestamp("x", i, now-1000+i)
		})
		if err != nil {
			t.Fatalf("UpdateRow: %v", err)
		}
	}
	if _, err := update(env, "t", k, func(c *tablestore.UpdateRowChange) {
		c.DeleteColumnWithTimestamp("x", now-1000+2)
	}); err != nil {
		t.Fatalf("delete one version: %v", err)
	}
	resp, err := getRow(env, tablestore.SingleRowQueryCriteria{
		TableName: "t", PrimaryKey: k, MaxVersion: 5})
	if err != nil {
		t.Fatalf("GetRow: %v", err)
	}
	var got []int64
	for _, c := range resp.Columns {
		got = append(got, c.Value.(int64))
	}
	if diff := cmp.Diff([]int64{1, 0}, got); diff != "" {
		t.Errorf("versions after delete (-want +got):\n%s", diff)
	}
}

func TestUpdateDeleteOnlyDoesNotCreate(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	if _, err := update(env, "t", key("z", 1), func(c *tablestore.UpdateRowChange) {
		c.DeleteColumn("a")
	}); err != nil {
		t.Fatalf("UpdateRow delete on missing row: %v", err)
	}
	if got := get(t, env, "t", key("z", 1)); got != nil {
		t.Errorf("row = %v, want absent", got)
	}
	put(t, env, "t", key("z", 2), map[string]any{"a": "x"})
	if _, err := update(env, "t", key("z", 2), func(c *tablestore.UpdateRowChange) {
		c.DeleteColumn("a")
	}); err != nil {
		t.Fatalf("UpdateRow delete: %v", err)
	}
	if got := get(t, env, "t", key("z", 2)); got == nil || len(got) != 0 {
		t.Errorf("row = %v, want present with no columns", got)
	}
}

func TestPutReplacesRow(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("p", 1), map[string]any{"a": "1", "b": "2"})
	put(t, env, "t", key("p", 1), map[string]any{"c": "3"})
	if diff := cmp.Diff(map[string]any{"c": "3"}, get(t, env, "t", key("p", 1))); diff != "" {
		t.Errorf("after second put (-want +got):\n%s", diff)
	}
}

func TestDeleteRow(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("d", 1), map[string]any{"a": "1"})
	del := func(exp tablestore.RowExistenceExpectation) error {
		ch := &tablestore.DeleteRowChange{TableName: "t", PrimaryKey: key("d", 1)}
		ch.SetCondition(exp)
		_, err := env.Client.DeleteRow(&tablestore.DeleteRowRequest{DeleteRowChange: ch})
		return err
	}
	if err := del(mustExist); err != nil {
		t.Fatalf("DeleteRow: %v", err)
	}
	if got := get(t, env, "t", key("d", 1)); got != nil {
		t.Errorf("row after delete = %v", got)
	}
	if code := otsCode(del(mustExist)); code != "OTSConditionCheckFail" {
		t.Errorf("delete missing with EXPECT_EXIST: %q, want OTSConditionCheckFail", code)
	}
	if err := del(ignore); err != nil {
		t.Errorf("delete missing with IGNORE: %v", err)
	}
}
