package tables_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/tables"
)

// The benchmarks compare single-row operations through the Store, the real
// SDK, HTTP on loopback and the emulator with the same operations on a raw
// bbolt file (fsync per commit in both), in the same run. Each benchmark runs
// at least minOps operations, so `-benchtime 1x` still measures a rate.
const minOps = 300

var benchValue = strings.Repeat("v", 256)

var benchTable = tables.Table{Name: "bench", MaxVersions: 1, TTL: tables.Forever,
	PrimaryKey: []tables.PKColumn{{Name: "part", Type: tables.String},
		{Name: "id", Type: tables.String}}}

func benchStore(b *testing.B) *tables.Store {
	b.Helper()
	env := otstest.Start(b)
	if err := tables.Create(context.Background(), env.Client,
		[]tables.Table{benchTable}); err != nil {
		b.Fatalf("Create = %v", err)
	}
	s, err := tables.New(env.Client, []tables.Table{benchTable})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func rawBolt(b *testing.B) *bolt.DB {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("rows"))
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return db
}

// rate runs op n times (n >= minOps) and returns operations per second.
func rate(b *testing.B, op func(i int) error) float64 {
	b.Helper()
	n := max(b.N, minOps)
	b.ResetTimer()
	start := time.Now()
	for i := range n {
		if err := op(i); err != nil {
			b.Fatalf("op %d: %v", i, err)
		}
	}
	b.StopTimer()
	return float64(n) / time.Since(start).Seconds()
}

func storePut(s *tables.Store) func(int) error {
	return func(i int) error {
		return s.Put(context.Background(), "bench", tables.Key{"p", fmt.Sprintf("k%07d", i)},
			tables.Cols{"v": benchValue})
	}
}

func storeGet(s *tables.Store) func(int) error {
	return func(i int) error {
		_, err := s.Get(context.Background(), "bench",
			tables.Key{"p", fmt.Sprintf("k%07d", i%minOps)})
		return err
	}
}

func boltPut(db *bolt.DB) func(int) error {
	return func(i int) error {
		return db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("rows")).Put([]byte(fmt.Sprintf("p/k%07d", i)),
				[]byte(benchValue))
		})
	}
}

func boltGet(db *bolt.DB) func(int) error {
	return func(i int) error {
		return db.View(func(tx *bolt.Tx) error {
			if tx.Bucket([]byte("rows")).Get([]byte(fmt.Sprintf("p/k%07d", i%minOps))) == nil {
				return fmt.Errorf("row %d missing", i%minOps)
			}
			return nil
		})
	}
}

func fill(b *testing.B, op func(int) error, n int) {
	b.Helper()
	for i := range n {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStorePut(b *testing.B) {
	b.ReportMetric(rate(b, storePut(benchStore(b))), "ops/s")
}

func BenchmarkStoreGet(b *testing.B) {
	s := benchStore(b)
	fill(b, storePut(s), minOps)
	b.ReportMetric(rate(b, storeGet(s)), "ops/s")
}

func BenchmarkStoreGetRange100(b *testing.B) {
	s := benchStore(b)
	var ws []tables.Write
	for i := range 100 {
		ws = append(ws, tables.Write{Op: tables.OpPut, Table: "bench",
			Key: tables.Key{"p", fmt.Sprintf("k%07d", i)}, Cols: tables.Cols{"v": benchValue}})
	}
	if _, err := s.BatchWrite(context.Background(), ws); err != nil {
		b.Fatal(err)
	}
	r := rate(b, func(int) error {
		rows, _, err := s.Page(context.Background(), "bench", tables.Range{Prefix: tables.Key{"p"}})
		if err == nil && len(rows) != 100 {
			err = fmt.Errorf("%d rows, want 100", len(rows))
		}
		return err
	})
	b.ReportMetric(r, "ranges/s")
	b.ReportMetric(100*r, "rows/s")
}

func BenchmarkStoreBatchWrite200(b *testing.B) {
	s := benchStore(b)
	r := rate(b, func(i int) error {
		ws := make([]tables.Write, 200)
		for j := range ws {
			ws[j] = tables.Write{Op: tables.OpPut, Table: "bench",
				Key:  tables.Key{"p", fmt.Sprintf("k%07d-%03d", i, j)},
				Cols: tables.Cols{"v": benchValue}}
		}
		_, err := s.BatchWrite(context.Background(), ws)
		return err
	})
	b.ReportMetric(r, "batches/s")
	b.ReportMetric(200*r, "rows/s")
}

func BenchmarkRawBoltPut(b *testing.B) {
	b.ReportMetric(rate(b, boltPut(rawBolt(b))), "ops/s")
}

func BenchmarkRawBoltGet(b *testing.B) {
	db := rawBolt(b)
	fill(b, boltPut(db), minOps)
	b.ReportMetric(rate(b, boltGet(db)), "ops/s")
}

// BenchmarkSingleRowRatio measures put and get through the SDK and emulator
// and on raw bbolt back to back, and reports SDK-through-emulator / raw
// engine for each (goal: at least 0.3).
func BenchmarkSingleRowRatio(b *testing.B) {
	s, db := benchStore(b), rawBolt(b)
	sdkPut := rate(b, storePut(s))
	rawPut := rate(b, boltPut(db))
	sdkGet := rate(b, storeGet(s))
	rawGet := rate(b, boltGet(db))
	b.ReportMetric(sdkPut, "sdk-put/s")
	b.ReportMetric(rawPut, "raw-put/s")
	b.ReportMetric(sdkGet, "sdk-get/s")
	b.ReportMetric(rawGet, "raw-get/s")
	b.ReportMetric(sdkPut/rawPut, "put-ratio")
	b.ReportMetric(sdkGet/rawGet, "get-ratio")
}
