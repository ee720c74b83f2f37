package ots

import (
	"bytes"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	bolt "go.etcd.io/bbolt"

	"github.com/xietong/xietong/localdev/boltblob"
)

// TestLargeRowsChunked writes rows above largeRow through the SDK and
// checks that they are kept in chunks, read back whole by GetRow, GetRange
// and BatchGetRow, and that overwriting, shrinking and deleting them, or
// dropping the table, leaves no chunk behind.
func TestLargeRowsChunked(t *testing.T) {
	srv, err := Open(Config{Path: filepath.Join(t.TempDir(), "ots.db"), Instance: "i",
		AccessKeyID: "ak", AccessKeySecret: "sk"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := tablestore.NewClient(hs.URL, "i", "ak", "sk")
	meta := &tablestore.TableMeta{TableName: "big"}
	meta.AddPrimaryKeyColumn("pk", tablestore.PrimaryKeyType_INTEGER)
	_, err = c.CreateTable(&tablestore.CreateTableRequest{TableMeta: meta,
		TableOption:        &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1},
		ReservedThroughput: &tablestore.ReservedThroughput{}})
	if err != nil {
		t.Fatal(err)
	}
	pk := func(n int64) *tablestore.PrimaryKey {
		k := &tablestore.PrimaryKey{}
		k.AddPrimaryKeyColumn("pk", n)
		return k
	}
	putRow := func(n int64, data []byte) {
		t.Helper()
		ch := &tablestore.PutRowChange{TableName: "big", PrimaryKey: pk(n)}
		ch.AddColumn("data", data)
		ch.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
		if _, err := c.PutRow(&tablestore.PutRowRequest{PutRowChange: ch}); err != nil {
			t.Fatal(err)
		}
	}
	getRow := func(n int64) []byte {
		t.Helper()
		resp, err := c.GetRow(&tablestore.GetRowRequest{SingleRowQueryCriteria: &tablestore.
			SingleRowQueryCriteria{TableName: "big", PrimaryKey: pk(n), MaxVersion: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Columns) == 0 {
			return nil
		}
		return resp.Columns[0].Value.([]byte)
	}
	values := func() int { // chunked values held for the table
		t.Helper()
		n := 0
		err := srv.db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket(chunksBucket("big")); b != nil {
				return boltblob.IDs(b, func(uint64) error { n++; return nil })
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	pattern := func(n, seed int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + seed)
		}
		return b
	}

	large, larger := pattern(300<<10, 1), pattern(1<<20, 2)
	putRow(1, large)
	putRow(2, pattern(100, 3))
	putRow(3, larger)
	if got := values(); got != 2 {
		t.Fatalf("%d chunked values after two large rows and a small one, want 2", got)
	}
	if !bytes.Equal(getRow(1), large) || !bytes.Equal(getRow(3), larger) {
		t.Fatal("GetRow of a large row does not give its bytes back")
	}
	rangeResp, err := c.GetRange(&tablestore.GetRangeRequest{RangeRowQueryCriteria: &tablestore.
		RangeRowQueryCriteria{TableName: "big", MaxVersion: 1, Direction: tablestore.FORWARD,
		StartPrimaryKey: pk(0), EndPrimaryKey: pk(10)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rangeResp.Rows) != 3 ||
		!bytes.Equal(rangeResp.Rows[2].Columns[0].Value.([]byte), larger) {
		t.Fatalf("GetRange: %d rows, or the large row changed", len(rangeResp.Rows))
	}
	batch := &tablestore.MultiRowQueryCriteria{TableName: "big", MaxVersion: 1}
	batch.AddRow(pk(1))
	batchResp, err := c.BatchGetRow(&tablestore.BatchGetRowRequest{
		MultiRowQueryCriteria: []*tablestore.MultiRowQueryCriteria{batch}})
	if err != nil {
		t.Fatal(err)
	}
	if got := batchResp.TableToRowsResult["big"]; len(got) != 1 ||
		!bytes.Equal(got[0].Columns[0].Value.([]byte), large) {
		t.Fatal("BatchGetRow of a large row does not give its bytes back")
	}

	putRow(1, pattern(50<<10, 4)) // Overwrite: the old chunks go.
	putRow(3, []byte("small now"))
	if got := values(); got != 1 {
		t.Fatalf("%d chunked values after overwriting, want 1", got)
	}
	if !bytes.Equal(getRow(1), pattern(50<<10, 4)) || string(getRow(3)) != "small now" {
		t.Fatal("overwritten rows read back wrong")
	}
	del := &tablestore.DeleteRowChange{TableName: "big", PrimaryKey: pk(1)}
	del.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
	if _, err := c.DeleteRow(&tablestore.DeleteRowRequest{DeleteRowChange: del}); err != nil {
		t.Fatal(err)
	}
	if got := values(); got != 0 || getRow(1) != nil {
		t.Fatalf("%d chunked values after deleting the last large row", got)
	}
	putRow(4, large)
	if _, err := c.DeleteTable(&tablestore.DeleteTableRequest{TableName: "big"}); err != nil {
		t.Fatal(err)
	}
	err = srv.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(chunksBucket("big")) != nil {
			t.Error("the chunk bucket outlives its table")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
