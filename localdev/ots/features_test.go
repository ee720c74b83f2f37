package ots_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
)

func TestTTL(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	env := otstest.StartWith(t, ots.Config{Now: clock.Now})
	createTable(t, env, "t", &tablestore.TableOption{TimeToAlive: 86400, MaxVersion: 1})
	put(t, env, "t", key("old", 1), map[string]any{"a": "1"})
	clock.Advance(12 * time.Hour)
	if _, err := update(env, "t", key("old", 1), func(c *tablestore.UpdateRowChange) {
		c.PutColumn("b", "2")
	}); err != nil {
		t.Fatalf("UpdateRow: %v", err)
	}
	clock.Advance(13 * time.Hour)
	if diff := cmp.Diff(map[string]any{"b": "2"}, get(t, env, "t", key("old", 1))); diff != "" {
		t.Errorf("after 25h, a expired (-want +got):\n%s", diff)
	}
	clock.Advance(12 * time.Hour)
	if got := get(t, env, "t", key("old", 1)); got != nil {
		t.Errorf("after 37h row = %v, want expired", got)
	}
	err := tryPut(env.Client, "t", key("old", 1), map[string]any{"a": "3"},
		notExist, nil)
	if err != nil {
		t.Errorf("EXPECT_NOT_EXIST on an expired row: %v", err)
	}
}

func TestMaxVersionsOnRead(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 2})
	now := nowMS()
	for i := int64(0); i < 4; i++ {
		if _, err := update(env, "t", key("m", 1), func(c *tablestore.UpdateRowChange) {
			c.PutColumnWithTimestamp("x", i, now-50+i)
		}); err != nil {
			t.Fatalf("UpdateRow: %v", err)
		}
	}
	resp, err := getRow(env, tablestore.SingleRowQueryCriteria{
		TableName: "t", PrimaryKey: key("m", 1), MaxVersion: 100})
	if err != nil {
		t.Fatalf("GetRow: %v", err)
	}
	if len(resp.Columns) != 2 || resp.Columns[0].Value != int64(3) ||
		resp.Columns[1].Value != int64(2) {
		t.Errorf("versions = %+v, want x=3, x=2", resp.Columns)
	}
}

func TestAutoIncrement(t *testing.T) {
	env := otstest.Start(t)
	meta := &tablestore.TableMeta{TableName: "feed"}
	meta.AddPrimaryKeyColumn("tid", tablestore.PrimaryKeyType_STRING)
	meta.AddPrimaryKeyColumnOption("seq", tablestore.PrimaryKeyType_INTEGER,
		tablestore.AUTO_INCREMENT)
	if _, err := env.Client.CreateTable(&tablestore.CreateTableRequest{TableMeta: meta,
		TableOption:        &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1},
		ReservedThroughput: &tablestore.ReservedThroughput{}}); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	var last int64
	for i := 0; i < 3; i++ {
		k := &tablestore.PrimaryKey{}
		k.AddPrimaryKeyColumn("tid", "t1")
		k.AddPrimaryKeyColumnWithAutoIncrement("seq")
		ch := &tablestore.PutRowChange{TableName: "feed", PrimaryKey: k}
		ch.AddColumn("i", int64(i))
		ch.SetCondition(ignore)
		ch.SetReturnPk()
		resp, err := env.Client.PutRow(&tablestore.PutRowRequest{PutRowChange: ch})
		if err != nil {
			t.Fatalf("PutRow: %v", err)
		}
		seq, ok := resp.PrimaryKey.PrimaryKeys[1].Value.(int64)
		if !ok || seq <= last {
			t.Fatalf("seq = %v after %d, want increasing", resp.PrimaryKey.PrimaryKeys[1].Value,
				last)
		}
		last = seq
		rk := &tablestore.PrimaryKey{}
		rk.AddPrimaryKeyColumn("tid", "t1")
		rk.AddPrimaryKeyColumn("seq", seq)
		if got := get(t, env, "feed", rk)["i"]; got != int64(i) {
			t.Errorf("row %d read back i=%v", seq, got)
		}
	}
}

func TestGlobalIndex(t *testing.T) {
	env := otstest.Start(t)
	meta := &tablestore.TableMeta{TableName: "task"}
	meta.AddPrimaryKeyColumn("tid", tablestore.PrimaryKeyType_STRING)
	meta.AddPrimaryKeyColumn("id", tablestore.PrimaryKeyType_INTEGER)
	meta.AddDefinedColumn("assignee", tablestore.DefinedColumn_STRING)
	meta.AddDefinedColumn("title", tablestore.DefinedColumn_STRING)
	ix := &tablestore.IndexMeta{IndexName: "task_by_assignee"}
	ix.AddPrimaryKeyColumn("assignee")
	ix.AddDefinedColumn("title")
	ix.SetAsGlobalIndex()
	req := &tablestore.CreateTableRequest{TableMeta: meta,
		TableOption:        &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1},
		ReservedThroughput: &tablestore.ReservedThroughput{}}
	req.AddIndexMeta(ix)
	if _, err := env.Client.CreateTable(req); err != nil {
		t.Fatalf("CreateTable with index: %v", err)
	}
	tk := func(id int64) *tablestore.PrimaryKey {
		k := &tablestore.PrimaryKey{}
		k.AddPrimaryKeyColumn("tid", "org")
		k.AddPrimaryKeyColumn("id", id)
		return k
	}
	for id, who := range map[int64]string{1: "bob", 2: "amy", 3: "bob", 4: ""} {
		cols := map[string]any{"title": "t"}
		if who != "" {
			cols["assignee"] = who
		}
		put(t, env, "task", tk(id), cols)
	}
	if _, err := update(env, "task", tk(1), func(c *tablestore.UpdateRowChange) {
		c.PutColumn("assignee", "amy")
	}); err != nil {
		t.Fatalf("reassign: %v", err)
	}
	scan := func(who string) []int64 {
		start, end := &tablestore.PrimaryKey{}, &tablestore.PrimaryKey{}
		start.AddPrimaryKeyColumn("assignee", who)
		start.AddPrimaryKeyColumnWithMinValue("tid")
		start.AddPrimaryKeyColumnWithMinValue("id")
		end.AddPrimaryKeyColumn("assignee", who)
		end.AddPrimaryKeyColumnWithMaxValue("tid")
		end.AddPrimaryKeyColumnWithMaxValue("id")
		resp, err := getRange(env, tablestore.RangeRowQueryCriteria{
			TableName: "task_by_assignee", StartPrimaryKey: start, EndPrimaryKey: end,
			MaxVersion: 1, Direction: tablestore.FORWARD})
		if err != nil {
			t.Fatalf("GetRange on index: %v", err)
		}
		var ids []int64
		for _, r := range resp.Rows {
			ids = append(ids, r.PrimaryKey.PrimaryKeys[2].Value.(int64))
		}
		return ids
	}
	all, err := getRange(env, tablestore.RangeRowQueryCriteria{TableName: "task_by_assignee",
		StartPrimaryKey: indexBound(true), EndPrimaryKey: indexBound(false),
		MaxVersion: 1, Direction: tablestore.FORWARD})
	if err != nil || len(all.Rows) != 3 {
		t.Errorf("whole index: %d rows, err %v; want 3 (task 4 has no assignee)", len(all.Rows),
			err)
	}
	if diff := cmp.Diff([]int64{1, 2}, scan("amy")); diff != "" {
		t.Errorf("amy's tasks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{3}, scan("bob")); diff != "" {
		t.Errorf("bob's tasks (-want +got):\n%s", diff)
	}
	err = tryPut(env.Client, "task_by_assignee", tk(9), nil, ignore, nil)
	if code := otsCode(err); code != "OTSParameterInvalid" {
		t.Errorf("write to index: code %q, want OTSParameterInvalid", code)
	}
	del := &tablestore.DeleteRowChange{TableName: "task", PrimaryKey: tk(3)}
	del.SetCondition(ignore)
	if _, err := env.Client.DeleteRow(
		&tablestore.DeleteRowRequest{DeleteRowChange: del}); err != nil {
		t.Fatalf("DeleteRow: %v", err)
	}
	if got := scan("bob"); len(got) != 0 {
		t.Errorf("bob's tasks after delete = %v", got)
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	cfg := ots.Config{Path: filepath.Join(t.TempDir(), "ots.db"), Instance: "i",
		AccessKeyID: "ak", AccessKeySecret: "sk"}
	srv, err := ots.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	hs := httptest.NewServer(srv)
	first := &otstest.Env{Server: srv,
		Client: tablestore.NewClient(hs.URL, cfg.Instance, cfg.AccessKeyID, cfg.AccessKeySecret)}
	createTable(t, first, "t", nil)
	put(t, first, "t", key("keep", 1), map[string]any{"a": "durable"})
	hs.Close()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	env := otstest.StartWith(t, cfg)
	if got := get(t, env, "t", key("keep", 1))["a"]; got != "durable" {
		t.Errorf("after reopen a=%v, want durable", got)
	}
	resp, err := env.Client.DescribeTable(&tablestore.DescribeTableRequest{TableName: "t"})
	if err != nil || resp.TableMeta.TableName != "t" {
		t.Errorf("DescribeTable after reopen: %v %+v", err, resp)
	}
}

func indexBound(min bool) *tablestore.PrimaryKey {
	k := &tablestore.PrimaryKey{}
	for _, n := range []string{"assignee", "tid", "id"} {
		if min {
			k.AddPrimaryKeyColumnWithMinValue(n)
		} else {
			k.AddPrimaryKeyColumnWithMaxValue(n)
		}
	}
	return k
}
