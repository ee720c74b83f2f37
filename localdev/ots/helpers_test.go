package ots_test

import (
	"errors"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

// createTable creates table with a (pk STRING, n INTEGER) key.
func createTable(t *testing.T, env *otstest.Env, name string, opt *tablestore.TableOption) {
	t.Helper()
	meta := &tablestore.TableMeta{TableName: name}
	meta.AddPrimaryKeyColumn("pk", tablestore.PrimaryKeyType_STRING)
	meta.AddPrimaryKeyColumn("n", tablestore.PrimaryKeyType_INTEGER)
	if opt == nil {
		opt = &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1}
	}
	_, err := env.Client.CreateTable(&tablestore.CreateTableRequest{TableMeta: meta,
		TableOption: opt, ReservedThroughput: &tablestore.ReservedThroughput{}})
	if err != nil {
		t.Fatalf("CreateTable(%s): %v", name, err)
	}
}

func key(pk string, n int64) *tablestore.PrimaryKey {
	k := &tablestore.PrimaryKey{}
	k.AddPrimaryKeyColumn("pk", pk)
	k.AddPrimaryKeyColumn("n", n)
	return k
}

func put(t *testing.T, env *otstest.Env, table string, k *tablestore.PrimaryKey,
	cols map[string]any) {
	t.Helper()
	if err := tryPut(env.Client, table, k, cols, ignore, nil); err != nil {
		t.Fatalf("PutRow: %v", err)
	}
}

func tryPut(c *tablestore.TableStoreClient, table string, k *tablestore.PrimaryKey,
	cols map[string]any, exp tablestore.RowExistenceExpectation,
	cond tablestore.ColumnFilter) error {
	ch := &tablestore.PutRowChange{TableName: table, PrimaryKey: k}
	for _, n := range sortedKeys(cols) {
		ch.AddColumn(n, cols[n])
	}
	ch.SetCondition(exp)
	if cond != nil {
		ch.SetColumnCondition(cond)
	}
	_, err := c.PutRow(&tablestore.PutRowRequest{PutRowChange: ch})
	return err
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// get returns the row's latest column values, or nil when absent.
func get(t *testing.T, env *otstest.Env, table string, k *tablestore.PrimaryKey) map[string]any {
	t.Helper()
	resp, err := getRow(env, tablestore.SingleRowQueryCriteria{
		TableName: table, PrimaryKey: k, MaxVersion: 1})
	if err != nil {
		t.Fatalf("GetRow: %v", err)
	}
	if len(resp.PrimaryKey.PrimaryKeys) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, c := range resp.Columns {
		out[c.ColumnName] = c.Value
	}
	return out
}

func otsCode(err error) string {
	var oe *tablestore.OtsError
	if errors.As(err, &oe) {
		return oe.Code
	}
	if err == nil {
		return ""
	}
	return "non-ots: " + err.Error()
}

// Short names for the row-existence expectations.
const (
	ignore    = tablestore.RowExistenceExpectation_IGNORE
	notExist  = tablestore.RowExistenceExpectation_EXPECT_NOT_EXIST
	mustExist = tablestore.RowExistenceExpectation_EXPECT_EXIST
)

func getRow(env *otstest.Env,
	c tablestore.SingleRowQueryCriteria) (*tablestore.GetRowResponse, error) {
	return env.Client.GetRow(&tablestore.GetRowRequest{SingleRowQueryCriteria: &c})
}

func getRange(env *otstest.Env,
	c tablestore.RangeRowQueryCriteria) (*tablestore.GetRangeResponse, error) {
	return env.Client.GetRange(&tablestore.GetRangeRequest{RangeRowQueryCriteria: &c})
}
