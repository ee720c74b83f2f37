package ots_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

const benchOps = 300

func benchEnv(b *testing.B) *otstest.Env {
	b.Helper()
	env := otstest.Start(b)
	meta := &tablestore.TableMeta{TableName: "bench"}
	meta.AddPrimaryKeyColumn("pk", tablestore.PrimaryKeyType_STRING)
	meta.AddPrimaryKeyColumn("n", tablestore.PrimaryKeyType_INTEGER)
	_, err := env.Client.CreateTable(&tablestore.CreateTableRequest{TableMeta: meta,
		TableOption:        &tablestore.TableOption{TimeToAlive: -1, MaxVersion: 1},
		ReservedThroughput: &tablestore.ReservedThroughput{}})
	if err != nil {
		b.Fatal(err)
	}
	return env
}

func benchPut(b *testing.B, env *otstest.Env, i int64) {
	ch := &tablestore.PutRowChange{TableName: "bench", PrimaryKey: key("bench", i)}
	ch.AddColumn("payload", string(make([]byte, 100)))
	ch.AddColumn("ver", i)
	ch.SetCondition(ignore)
	if _, err := env.Client.PutRow(&tablestore.PutRowRequest{PutRowChange: ch}); err != nil {
		b.Fatal(err)
	}
}

func report(b *testing.B, ops int, start time.Time, unit string) {
	b.ReportMetric(float64(ops)/time.Since(start).Seconds(), unit)
}

// BenchmarkSDKPutRow measures PutRow through the real SDK and HTTP.
func BenchmarkSDKPutRow(b *testing.B) {
	env := benchEnv(b)
	b.ResetTimer()
	start, n := time.Now(), 0
	for it := 0; it < b.N; it++ {
		for i := 0; i < benchOps; i++ {
			benchPut(b, env, int64(n))
			n++
		}
	}
	report(b, n, start, "ops/s")
}

// BenchmarkSDKGetRow measures GetRow through the real SDK and HTTP.
func BenchmarkSDKGetRow(b *testing.B) {
	env := benchEnv(b)
	for i := int64(0); i < benchOps; i++ {
		benchPut(b, env, i)
	}
	b.ResetTimer()
	start, n := time.Now(), 0
	for it := 0; it < b.N; it++ {
		for i := 0; i < benchOps; i++ {
			_, err := getRow(env, tablestore.SingleRowQueryCriteria{
				TableName: "bench", PrimaryKey: key("bench", int64(i)), MaxVersion: 1})
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	report(b, n, start, "ops/s")
}

// BenchmarkSDKGetRange100 measures 100-row GetRange pages.
func BenchmarkSDKGetRange100(b *testing.B) {
	env := benchEnv(b)
	batch := &tablestore.BatchWriteRowRequest{}
	for i := int64(0); i < 200; i++ {
		batch.AddRowChange(putChange("bench", key("bench", i), ignore,
			map[string]any{"payload": string(make([]byte, 100))}))
	}
	if _, err := env.Client.BatchWriteRow(batch); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start, n := time.Now(), 0
	for it := 0; it < b.N; it++ {
		for i := 0; i < benchOps/3; i++ {
			resp, err := getRange(env, tablestore.RangeRowQueryCriteria{
				TableName: "bench", StartPrimaryKey: key("bench", int64(i)),
				EndPrimaryKey: key("bench", 1000),
				MaxVersion:    1, Limit: 100, Direction: tablestore.FORWARD})
			if err != nil || len(resp.Rows) != 100 {
				b.Fatalf("GetRange: %d rows, %v", len(resp.Rows), err)
			}
			n++
		}
	}
	report(b, n, start, "ops/s")
	report(b, n*100, start, "rows/s")
}

// BenchmarkSDKBatchWriteRow200 measures 200-row BatchWriteRow calls.
func BenchmarkSDKBatchWriteRow200(b *testing.B) {
	env := benchEnv(b)
	b.ResetTimer()
	start, n := time.Now(), 0
	for it := 0; it < b.N; it++ {
		for j := 0; j < 10; j++ {
			batch := &tablestore.BatchWriteRowRequest{}
			for i := 0; i < 200; i++ {
				batch.AddRowChange(putChange("bench", key("bench", int64(n*200+i)),
					ignore,
					map[string]any{"payload": string(make([]byte, 100))}))
			}
			if _, err := env.Client.BatchWriteRow(batch); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	report(b, n, start, "ops/s")
	report(b, n*200, start, "rows/s")
}

// BenchmarkSDKGetRowParallel measures GetRow throughput with 8 clients
// in flight at once, the way concurrent function instances read.
func BenchmarkSDKGetRowParallel(b *testing.B) {
	env := benchEnv(b)
	for i := int64(0); i < benchOps; i++ {
		benchPut(b, env, i)
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < b.N*benchOps/8; i++ {
				_, err := getRow(env, tablestore.SingleRowQueryCriteria{TableName: "bench",
					PrimaryKey: key("bench", int64(i%benchOps)), MaxVersion: 1})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	report(b, b.N*benchOps/8*8, start, "ops/s")
}
