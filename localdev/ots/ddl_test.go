package ots_test

import (
	"sync"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

func TestTableLifecycle(t *testing.T) {
	env := otstest.Start(t)
	meta := &tablestore.TableMeta{TableName: "life"}
	meta.AddPrimaryKeyColumn("id", tablestore.PrimaryKeyType_STRING)
	meta.AddDefinedColumn("owner", tablestore.DefinedColumn_STRING)
	_, err := env.Client.CreateTable(&tablestore.CreateTableRequest{TableMeta: meta,
		TableOption:        &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1},
		ReservedThroughput: &tablestore.ReservedThroughput{Readcap: 1, Writecap: 2}})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	d, err := env.Client.DescribeTable(&tablestore.DescribeTableRequest{TableName: "life"})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	if d.TableOption.TimeToAlive != -1 || d.TableOption.MaxVersion != 1 ||
		d.TableOption.DeviationCellVersionInSec != 86400 || d.ReservedThroughput.Writecap != 2 ||
		len(d.TableMeta.DefinedColumns) != 1 {
		t.Errorf("DescribeTable = %+v %+v %+v", d.TableOption, d.ReservedThroughput, d.TableMeta)
	}
	u, err := env.Client.UpdateTable(&tablestore.UpdateTableRequest{TableName: "life",
		TableOption: &tablestore.TableOption{TimeToAlive: 86400 * 7, MaxVersion: 1}})
	if err != nil || u.TableOption.TimeToAlive != 86400*7 {
		t.Fatalf("UpdateTable: %v %+v", err, u)
	}
	ix := &tablestore.IndexMeta{IndexName: "life_by_owner"}
	ix.AddPrimaryKeyColumn("owner")
	ix.SetAsGlobalIndex()
	_, err = env.Client.CreateIndex(&tablestore.CreateIndexRequest{MainTableName: "life",
		IndexMeta: ix})
	if code := otsCode(err); code != "OTSParameterInvalid" {
		t.Errorf("CreateIndex on a TTL table: %q, want OTSParameterInvalid", code)
	}
	if _, err := env.Client.UpdateTable(&tablestore.UpdateTableRequest{TableName: "life",
		TableOption: &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1}}); err != nil {
		t.Fatalf("UpdateTable: %v", err)
	}
	k := &tablestore.PrimaryKey{}
	k.AddPrimaryKeyColumn("id", "x")
	if err := tryPut(env.Client, "life", k, map[string]any{"owner": "amy"},
		ignore, nil); err != nil {
		t.Fatalf("PutRow: %v", err)
	}
	if _, err := env.Client.CreateIndex(&tablestore.CreateIndexRequest{MainTableName: "life",
		IndexMeta: ix, IncludeBaseData: true}); err != nil {
		t.Fatalf("CreateIndex: %v", err)
	}
	ik := &tablestore.PrimaryKey{}
	ik.AddPrimaryKeyColumn("owner", "amy")
	ik.AddPrimaryKeyColumn("id", "x")
	if got := get(t, env, "life_by_owner", ik); got == nil {
		t.Errorf("index built from base data lacks the row")
	}
	list, _ := env.Client.ListTable()
	if diff := cmp.Diff([]string{"life"}, list.TableNames); diff != "" {
		t.Errorf("ListTable (-want +got):\n%s", diff)
	}
	if _, err := env.Client.DeleteIndex(&tablestore.DeleteIndexRequest{MainTableName: "life",
		IndexName: "life_by_owner"}); err != nil {
		t.Fatalf("DeleteIndex: %v", err)
	}
	if _, err := env.Client.DeleteTable(
		&tablestore.DeleteTableRequest{TableName: "life"}); err != nil {
		t.Fatalf("DeleteTable: %v", err)
	}
	_, err = env.Client.DescribeTable(&tablestore.DescribeTableRequest{TableName: "life"})
	if code := otsCode(err); code != "OTSObjectNotExist" {
		t.Errorf("DescribeTable after delete: %q, want OTSObjectNotExist", code)
	}
}

func TestConcurrentCreateOneWins(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := tryPut(env.Client, "t", key("race", 1), map[string]any{"a": "x"},
				notExist, nil)
			mu.Lock()
			defer mu.Unlock()
			switch otsCode(err) {
			case "":
				wins++
			case "OTSConditionCheckFail":
				conflicts++
			default:
				t.Errorf("PutRow: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 39 {
		t.Errorf("wins=%d conflicts=%d, want 1 and 39", wins, conflicts)
	}
}
