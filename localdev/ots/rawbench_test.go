package ots

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	bolt "go.etcd.io/bbolt"
)

// benchOps is how many operations one benchmark iteration runs, so that
// `-benchtime 1x` still measures a steady rate.
const benchOps = 300

// rawRow builds the engine's bytes for a small row, as PutRow stores it.
func rawRow(i int64) ([]byte, []byte) {
	key := encodeKey([]value{{kind: kindString, raw: []byte("bench")}, {kind: kindInt, num: i}})
	r := &storedRow{written: 1}
	r.putVersion("payload", version{ts: 1, val: value{kind: kindString, raw: make([]byte, 100)}})
	r.putVersion("ver", version{ts: 1, val: value{kind: kindInt, num: i}})
	return key, r.encode()
}

func openRaw(b *testing.B) *bolt.DB {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(rowBucket("bench"))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func reportOps(b *testing.B, ops int, start time.Time) {
	b.ReportMetric(float64(ops)/time.Since(start).Seconds(), "ops/s")
}

// BenchmarkRawBoltPut is the engine floor for PutRow: one durable bbolt
// transaction per row on the emulator's key and row layout.
func BenchmarkRawBoltPut(b *testing.B) {
	db := openRaw(b)
	b.ResetTimer()
	start := time.Now()
	n := 0
	for it := 0; it < b.N; it++ {
		for i := 0; i < benchOps; i++ {
			k, v := rawRow(int64(n))
			n++
			err := db.Update(func(tx *bolt.Tx) error {
				bk := tx.Bucket(rowBucket("bench"))
				if _, err := decodeStoredRow(v); err != nil {
					return err
				}
				bk.Get(k)
				return bk.Put(k, v)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	reportOps(b, n, start)
}

// BenchmarkRawBoltGet is the engine floor for GetRow: a read transaction
// and a row decode.
func BenchmarkRawBoltGet(b *testing.B) {
	db := openRaw(b)
	db.Update(func(tx *bolt.Tx) error {
		for i := int64(0); i < benchOps; i++ {
			k, v := rawRow(i)
			tx.Bucket(rowBucket("bench")).Put(k, v)
		}
		return nil
	})
	b.ResetTimer()
	start := time.Now()
	n := 0
	for it := 0; it < b.N; it++ {
		for i := 0; i < benchOps; i++ {
			k, _ := rawRow(int64(i))
			err := db.View(func(tx *bolt.Tx) error {
				_, err := decodeStoredRow(tx.Bucket(rowBucket("bench")).Get(k))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	reportOps(b, n, start)
}

// BenchmarkSingleRowRatio runs raw bbolt and SDK-through-emulator puts and
// gets in one run and reports each SDK rate as a fraction of the raw one.
func BenchmarkSingleRowRatio(b *testing.B) {
	db := openRaw(b)
	client := benchClient(b)
	var rawPut, rawGet, sdkPut, sdkGet time.Duration
	for it := 0; it < b.N; it++ {
		rawPut += timeOps(func(i int) error {
			k, v := rawRow(int64(i))
			return db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(rowBucket("bench")).Put(k, v)
			})
		})
		rawGet += timeOps(func(i int) error {
			k, _ := rawRow(int64(i))
			return db.View(func(tx *bolt.Tx) error {
				_, err := decodeStoredRow(tx.Bucket(rowBucket("bench")).Get(k))
				return err
			})
		})
		sdkPut += timeOps(func(i int) error { return sdkBenchPut(client, int64(i)) })
		sdkGet += timeOps(func(i int) error { return sdkBenchGet(client, int64(i)) })
	}
	b.ReportMetric(rawPut.Seconds()/sdkPut.Seconds(), "put_ratio")
	b.ReportMetric(rawGet.Seconds()/sdkGet.Seconds(), "get_ratio")
	ops := float64(b.N * benchOps)
	b.ReportMetric(ops/rawPut.Seconds(), "raw_put/s")
	b.ReportMetric(ops/sdkPut.Seconds(), "sdk_put/s")
	b.ReportMetric(ops/rawGet.Seconds(), "raw_get/s")
	b.ReportMetric(ops/sdkGet.Seconds(), "sdk_get/s")
}

func timeOps(op func(i int) error) time.Duration {
	start := time.Now()
	for i := 0; i < benchOps; i++ {
		if err := op(i); err != nil {
			panic(err)
		}
	}
	return time.Since(start)
}

func benchClient(b *testing.B) *tablestore.TableStoreClient {
	srv, err := Open(Config{Path: filepath.Join(b.TempDir(), "ots.db"), Instance: "bench",
		AccessKeyID: "ak", AccessKeySecret: "sk"})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(func() { hs.Close(); srv.Close() })
	c := tablestore.NewClient(hs.URL, "bench", "ak", "sk")
	meta := &tablestore.TableMeta{TableName: "bench"}
	meta.AddPrimaryKeyColumn("pk", tablestore.PrimaryKeyType_STRING)
	meta.AddPrimaryKeyColumn("n", tablestore.PrimaryKeyType_INTEGER)
	_, err = c.CreateTable(&tablestore.CreateTableRequest{TableMeta: meta,
		TableOption:        &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1},
		ReservedThroughput: &tablestore.ReservedThroughput{}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchKey(i int64) *tablestore.PrimaryKey {
	k := &tablestore.PrimaryKey{}
	k.AddPrimaryKeyColumn("pk", "bench")
	k.AddPrimaryKeyColumn("n", i)
	return k
}

func sdkBenchPut(c *tablestore.TableStoreClient, i int64) error {
	ch := &tablestore.PutRowChange{TableName: "bench", PrimaryKey: benchKey(i)}
	ch.AddColumn("payload", string(make([]byte, 100)))
	ch.AddColumn("ver", i)
	ch.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
	_, err := c.PutRow(&tablestore.PutRowRequest{PutRowChange: ch})
	return err
}

func sdkBenchGet(c *tablestore.TableStoreClient, i int64) error {
	crit := &tablestore.SingleRowQueryCriteria{TableName: "bench", PrimaryKey: benchKey(i),
		MaxVersion: 1}
	_, err := c.GetRow(&tablestore.GetRowRequest{SingleRowQueryCriteria: crit})
	return err
}
