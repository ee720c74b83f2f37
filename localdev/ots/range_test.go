package ots_test

import (
	"fmt"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

func bound(min bool) *tablestore.PrimaryKey {
	k := &tablestore.PrimaryKey{}
	if min {
		k.AddPrimaryKeyColumnWithMinValue("pk")
		k.AddPrimaryKeyColumnWithMinValue("n")
	} else {
		k.AddPrimaryKeyColumnWithMaxValue("pk")
		k.AddPrimaryKeyColumnWithMaxValue("n")
	}
	return k
}

// scanAll loops GetRange pages until NextStartPrimaryKey is nil and
// returns the "pk/n" of every row plus the page count.
func scanAll(t *testing.T, env *otstest.Env,
	crit tablestore.RangeRowQueryCriteria) ([]string, int) {
	t.Helper()
	var got []string
	pages := 0
	for {
		c := crit
		resp, err := env.Client.GetRange(&tablestore.GetRangeRequest{RangeRowQueryCriteria: &c})
		if err != nil {
			t.Fatalf("GetRange: %v", err)
		}
		pages++
		for _, r := range resp.Rows {
			pk := r.PrimaryKey.PrimaryKeys
			got = append(got, fmt.Sprintf("%v/%v", pk[0].Value, pk[1].Value))
		}
		if resp.NextStartPrimaryKey == nil {
			return got, pages
		}
		if pages > 1000 {
			t.Fatalf("GetRange did not finish after %d pages", pages)
		}
		crit.StartPrimaryKey = resp.NextStartPrimaryKey
	}
}

func seedRange(t *testing.T, env *otstest.Env) []string {
	t.Helper()
	createTable(t, env, "r", nil)
	var want []string
	for _, pk := range []string{"a", "b", "c"} {
		for n := int64(0); n < 7; n++ {
			put(t, env, "r", key(pk, n), map[string]any{"v": n, "pk2": pk})
			want = append(want, fmt.Sprintf("%s/%d", pk, n))
		}
	}
	return want
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestGetRangePaging(t *testing.T) {
	env := otstest.Start(t)
	all := seedRange(t, env)
	tests := []struct {
		name     string
		dir      tablestore.Direction
		limit    int32
		short    int
		empty    float64
		want     []string
		minPages int
	}{
		{"forward one page", tablestore.FORWARD, 0, 0, 0, all, 1},
		{"forward limit", tablestore.FORWARD, 4, 0, 0, all, 6},
		{"forward short pages", tablestore.FORWARD, 0, 2, 0, all, 11},
		{"forward empty pages", tablestore.FORWARD, 5, 0, 0.5, all, 5},
		{"backward one page", tablestore.BACKWARD, 0, 0, 0, reversed(all), 1},
		{"backward short pages", tablestore.BACKWARD, 0, 3, 0, reversed(all), 7},
		{"backward empty pages", tablestore.BACKWARD, 0, 4, 0.5, reversed(all), 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Server.Faults().Reset()
			env.Server.Faults().SetShortPages(tt.short)
			env.Server.Faults().SetEmptyPageRate(tt.empty)
			defer env.Server.Faults().Reset()
			crit := tablestore.RangeRowQueryCriteria{TableName: "r", MaxVersion: 1,
				Direction: tt.dir, Limit: tt.limit,
				StartPrimaryKey: bound(tt.dir == tablestore.FORWARD),
				EndPrimaryKey:   bound(tt.dir != tablestore.FORWARD)}
			got, pages := scanAll(t, env, crit)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if pages < tt.minPages {
				t.Errorf("pages = %d, want at least %d", pages, tt.minPages)
			}
		})
	}
}

func TestGetRangeBounds(t *testing.T) {
	env := otstest.Start(t)
	seedRange(t, env)
	start, end := &tablestore.PrimaryKey{}, &tablestore.PrimaryKey{}
	start.AddPrimaryKeyColumn("pk", "b")
	start.AddPrimaryKeyColumn("n", int64(5))
	end.AddPrimaryKeyColumn("pk", "c")
	end.AddPrimaryKeyColumnWithMinValue("n")
	got, _ := scanAll(t, env, tablestore.RangeRowQueryCriteria{TableName: "r", MaxVersion: 1,
		Direction: tablestore.FORWARD, StartPrimaryKey: start, EndPrimaryKey: end})
	if diff := cmp.Diff([]string{"b/5", "b/6"}, got); diff != "" {
		t.Errorf("forward [b/5, c/-inf) (-want +got):\n%s", diff)
	}
	bstart, bend := &tablestore.PrimaryKey{}, &tablestore.PrimaryKey{}
	bstart.AddPrimaryKeyColumn("pk", "b")
	bstart.AddPrimaryKeyColumnWithMaxValue("n")
	bend.AddPrimaryKeyColumn("pk", "b")
	bend.AddPrimaryKeyColumn("n", int64(4))
	got, _ = scanAll(t, env, tablestore.RangeRowQueryCriteria{TableName: "r", MaxVersion: 1,
		Direction: tablestore.BACKWARD, StartPrimaryKey: bstart, EndPrimaryKey: bend})
	if diff := cmp.Diff([]string{"b/6", "b/5"}, got); diff != "" {
		t.Errorf("backward [b/+inf, b/4) (-want +got):\n%s", diff)
	}
	_, err := getRange(env, tablestore.RangeRowQueryCriteria{
		TableName: "r", MaxVersion: 1, Direction: tablestore.FORWARD,
		StartPrimaryKey: bound(false), EndPrimaryKey: bound(true)})
	if code := otsCode(err); code != "OTSParameterInvalid" {
		t.Errorf("forward with start > end: %q, want OTSParameterInvalid", code)
	}
}

func TestGetRangeFilterAndColumns(t *testing.T) {
	env := otstest.Start(t)
	seedRange(t, env)
	env.Server.Faults().SetShortPages(3)
	crit := tablestore.RangeRowQueryCriteria{TableName: "r", MaxVersion: 1,
		Direction: tablestore.FORWARD, StartPrimaryKey: bound(true), EndPrimaryKey: bound(false),
		Filter: composite(tablestore.LO_AND,
			single("v", tablestore.CT_GREATER_EQUAL, int64(5), true, true),
			single("pk2", tablestore.CT_NOT_EQUAL, "b", true, true))}
	got, _ := scanAll(t, env, crit)
	if diff := cmp.Diff([]string{"a/5", "a/6", "c/5", "c/6"}, got); diff != "" {
		t.Errorf("filtered rows (-want +got):\n%s", diff)
	}
	resp, err := getRange(env, tablestore.RangeRowQueryCriteria{
		TableName: "r", MaxVersion: 1, Direction: tablestore.FORWARD, Limit: 1,
		StartPrimaryKey: bound(true), EndPrimaryKey: bound(false), ColumnsToGet: []string{"v"}})
	if err != nil {
		t.Fatalf("GetRange columns: %v", err)
	}
	if len(resp.Rows) != 1 || len(resp.Rows[0].Columns) != 1 ||
		resp.Rows[0].Columns[0].ColumnName != "v" {
		t.Errorf("columns_to_get [v]: rows %+v", resp.Rows)
	}
}

func TestTimeRangeAndVersions(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 3})
	now := nowMS()
	for i := int64(0); i < 5; i++ {
		_, err := update(env, "t", key("v", 1), func(c *tablestore.UpdateRowChange) {
			c.PutColumnWithTimestamp("x", i, now-100+i)
		})
		if err != nil {
			t.Fatalf("UpdateRow: %v", err)
		}
	}
	read := func(c tablestore.SingleRowQueryCriteria) []int64 {
		c.TableName, c.PrimaryKey = "t", key("v", 1)
		resp, err := env.Client.GetRow(&tablestore.GetRowRequest{SingleRowQueryCriteria: &c})
		if err != nil {
			t.Fatalf("GetRow: %v", err)
		}
		var out []int64
		for _, col := range resp.Columns {
			out = append(out, col.Value.(int64))
		}
		return out
	}
	tests := []struct {
		name string
		crit tablestore.SingleRowQueryCriteria
		want []int64
	}{
		{"max versions caps at table's 3", tablestore.SingleRowQueryCriteria{MaxVersion: 10},
			[]int64{4, 3, 2}},
		{"max versions 2", tablestore.SingleRowQueryCriteria{MaxVersion: 2}, []int64{4, 3}},
		{"time range", tablestore.SingleRowQueryCriteria{TimeRange: &tablestore.TimeRange{
			Start: now - 100 + 3, End: now - 100 + 5}}, []int64{4, 3}},
		{"specific time", tablestore.SingleRowQueryCriteria{TimeRange: &tablestore.TimeRange{
			Specific: now - 100 + 2}}, []int64{2}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, read(tt.crit)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
