package ots_test

import (
	"fmt"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

func TestRowExistenceConditions(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("there", 1), map[string]any{"a": "x"})
	tests := []struct {
		row    string
		exp    tablestore.RowExistenceExpectation
		wantOK bool
	}{
		{"there", ignore, true},
		{"there", mustExist, true},
		{"there", notExist, false},
		{"absent", mustExist, false},
		{"absent", notExist, true},
		{"absent2", ignore, true},
	}
	for _, tt := range tests {
		err := tryPut(env.Client, "t", key(tt.row, 1), map[string]any{"a": "y"}, tt.exp, nil)
		if got := err == nil; got != tt.wantOK {
			t.Errorf("put %s with %v: err %v, want ok=%v", tt.row, tt.exp, err, tt.wantOK)
		}
		if err != nil && otsCode(err) != "OTSConditionCheckFail" {
			t.Errorf("put %s with %v: code %q, want OTSConditionCheckFail", tt.row, tt.exp,
				otsCode(err))
		}
	}
	if got := get(t, env, "t", key("there", 1))["a"]; got != "y" {
		t.Errorf("row after puts: a=%v, want y", got)
	}
}

func single(col string, op tablestore.ComparatorType, v any,
	ifMissing, latest bool) *tablestore.SingleColumnCondition {
	c := tablestore.NewSingleColumnCondition(col, op, v)
	c.FilterIfMissing, c.LatestVersionOnly = ifMissing, latest
	return c
}

func composite(op tablestore.LogicalOperator,
	subs ...tablestore.ColumnFilter) tablestore.ColumnFilter {
	c := tablestore.NewCompositeColumnCondition(op)
	for _, s := range subs {
		c.AddFilter(s)
	}
	return c
}

func TestColumnConditions(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 2})
	now := nowMS()
	ch := &tablestore.PutRowChange{TableName: "t", PrimaryKey: key("r", 1)}
	ch.AddColumnWithTimestamp("ver", int64(1), now-10)
	ch.AddColumnWithTimestamp("ver", int64(2), now-5)
	ch.AddColumn("s", "m")
	ch.SetCondition(ignore)
	if _, err := env.Client.PutRow(&tablestore.PutRowRequest{PutRowChange: ch}); err != nil {
		t.Fatalf("PutRow: %v", err)
	}
	eq, ne := tablestore.CT_EQUAL, tablestore.CT_NOT_EQUAL
	gt, ge := tablestore.CT_GREATER_THAN, tablestore.CT_GREATER_EQUAL
	lt, le := tablestore.CT_LESS_THAN, tablestore.CT_LESS_EQUAL
	tests := []struct {
		name string
		cond tablestore.ColumnFilter
		pass bool
	}{
		{"eq latest", single("ver", eq, int64(2), true, true), true},
		{"eq old version latest-only", single("ver", eq, int64(1), true, true), false},
		{"eq old version any", single("ver", eq, int64(1), true, false), true},
		{"ne", single("ver", ne, int64(2), true, true), false},
		{"gt", single("ver", gt, int64(1), true, true), true},
		{"ge", single("ver", ge, int64(3), true, true), false},
		{"lt", single("ver", lt, int64(3), true, true), true},
		{"le", single("ver", le, int64(1), true, true), false},
		{"string lt", single("s", lt, "n", true, true), true},
		{"type mismatch", single("ver", eq, "2", true, true), false},
		{"missing pass", single("nope", eq, int64(1), false, true), true},
		{"missing filtered", single("nope", eq, int64(1), true, true), false},
		{"not", composite(tablestore.LO_NOT, single("ver", eq, int64(1), true, true)), true},
		{"and", composite(tablestore.LO_AND, single("ver", eq, int64(2), true, true),
			single("s", eq, "m", true, true)), true},
		{"and fails", composite(tablestore.LO_AND, single("ver", eq, int64(2), true, true),
			single("s", eq, "x", true, true)), false},
		{"or", composite(tablestore.LO_OR, single("ver", eq, int64(9), true, true),
			single("s", eq, "m", true, true)), true},
		{"nested", composite(tablestore.LO_OR, single("ver", eq, int64(9), true, true),
			composite(tablestore.LO_NOT, single("s", eq, "x", true, true))), true},
	}
	for _, tt := range tests {
		ch := &tablestore.UpdateRowChange{TableName: "t", PrimaryKey: key("r", 1)}
		ch.SetCondition(mustExist)
		ch.SetColumnCondition(tt.cond)
		ch.PutColumn("touched", tt.name)
		_, err := env.Client.UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: ch})
		if got := err == nil; got != tt.pass {
			t.Errorf("%s: err %v, want pass=%v", tt.name, err, tt.pass)
			continue
		}
		want := map[bool]string{true: tt.name}
		if got := get(t, env, "t", key("r", 1))["touched"]; tt.pass && got != want[true] {
			t.Errorf("%s: touched=%v, want %s", tt.name, got, tt.name)
		}
		if !tt.pass && otsCode(err) != "OTSConditionCheckFail" {
			t.Errorf("%s: code %q, want OTSConditionCheckFail", tt.name, otsCode(err))
		}
	}
}

func TestTooManyConditions(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	var subs []tablestore.ColumnFilter
	for i := 0; i < 11; i++ {
		subs = append(subs, single(fmt.Sprintf("c%d", i), tablestore.CT_EQUAL, int64(i), false,
			true))
	}
	err := tryPut(env.Client, "t", key("x", 1), map[string]any{"a": "b"},
		ignore, composite(tablestore.LO_AND, subs...))
	if code := otsCode(err); code != "OTSParameterInvalid" {
		t.Errorf("11 conditions: code %q, want OTSParameterInvalid", code)
	}
	if got := get(t, env, "t", key("x", 1)); got != nil {
		t.Errorf("rejected put wrote %v", got)
	}
}
