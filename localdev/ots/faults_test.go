package ots_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
)

func TestDropAfterCommit(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	env.Server.Faults().SetDropAfterCommitRate(1)
	err := tryPut(env.Client, "t", key("once", 1), map[string]any{"a": "1"},
		notExist, nil)
	env.Server.Faults().Reset()
	// The first attempt was applied and its answer lost; the SDK's retry
	// then finds the row and fails its condition.
	if code := otsCode(err); code != "OTSConditionCheckFail" {
		t.Errorf("PutRow after a dropped commit: %q, want OTSConditionCheckFail", code)
	}
	if got := get(t, env, "t", key("once", 1))["a"]; got != "1" {
		t.Errorf("row a=%v, want 1 (applied once)", got)
	}
}

func TestThrottleIsRetried(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	env.Server.Faults().SetThrottleRate(0.3)
	for i := int64(0); i < 20; i++ {
		if _, err := update(env, "t", key("c", 1), func(c *tablestore.UpdateRowChange) {
			c.IncrementColumn("cnt", 1)
		}); err != nil {
			t.Fatalf("increment %d under throttling: %v", i, err)
		}
	}
	env.Server.Faults().Reset()
	if got := get(t, env, "t", key("c", 1))["cnt"]; got != int64(20) {
		t.Errorf("cnt = %v, want 20 (throttled attempts never apply)", got)
	}
}

func TestServerErrorAndLatency(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("s", 1), map[string]any{"a": "1"})
	f := env.Server.Faults()
	f.SetServerErrorRate(1)
	err := tryPut(env.Client, "t", key("s", 2), map[string]any{"a": "1"},
		ignore, nil)
	if code := otsCode(err); code != "OTSInternalServerError" {
		t.Errorf("PutRow under server errors: %q, want OTSInternalServerError", code)
	}
	f.SetServerErrorRate(0.5)
	if got := get(t, env, "t", key("s", 1))["a"]; got != "1" {
		t.Errorf("GetRow retried past server errors: a=%v", got)
	}
	f.Reset()
	if got := get(t, env, "t", key("s", 2)); got != nil {
		t.Errorf("failed PutRow applied: %v", got)
	}
	f.SetLatency(20 * time.Millisecond)
	start := time.Now()
	get(t, env, "t", key("s", 1))
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("GetRow with 20ms latency took %v", d)
	}
}

func TestCapacityUnits(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	big := make([]byte, 9000)
	ch := &tablestore.PutRowChange{TableName: "t", PrimaryKey: key("cu", 1)}
	ch.AddColumn("blob", big)
	ch.SetCondition(notExist)
	resp, err := env.Client.PutRow(&tablestore.PutRowRequest{PutRowChange: ch})
	if err != nil {
		t.Fatalf("PutRow: %v", err)
	}
	if got := *resp.ConsumedCapacityUnit; got != (tablestore.ConsumedCapacityUnit{Read: 1,
		Write: 3}) {
		t.Errorf("9 KB conditional put consumed %+v, want read 1 write 3", got)
	}
	if _, err := env.Client.PutRow(
		&tablestore.PutRowRequest{PutRowChange: ch}); otsCode(err) != "OTSConditionCheckFail" {
		t.Fatalf("second put: %v", err)
	}
	g, err := getRow(env, tablestore.SingleRowQueryCriteria{
		TableName: "t", PrimaryKey: key("cu", 1), MaxVersion: 1})
	if err != nil {
		t.Fatalf("GetRow: %v", err)
	}
	if g.ConsumedCapacityUnit.Read != 3 {
		t.Errorf("GetRow of 9 KB consumed read %d, want 3", g.ConsumedCapacityUnit.Read)
	}
	want := ots.Capacity{Read: 1 + 1 + 3, Write: 3 + 1}
	if got := env.Server.Usage("t"); got != want {
		t.Errorf("Usage = %+v, want %+v", got, want)
	}
}

func TestRacingUpdatesUnderFaults(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("hot", 1), map[string]any{"ver": int64(0)})
	f := env.Server.Faults()
	f.SetThrottleRate(0.1)
	f.SetDropAfterCommitRate(0.1)
	defer f.Reset()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, lost := 0, 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				done, err := bumpVersion(env)
				mu.Lock()
				if done {
					ok++
				} else if otsCode(err) == "OTSConditionCheckFail" {
					lost++
				} else {
					t.Errorf("update: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	f.Reset()
	ver := get(t, env, "t", key("hot", 1))["ver"].(int64)
	// A dropped answer can hide an applied update behind a condition
	// failure, so the version is at least the acknowledged count and at
	// most every attempt.
	if ver < int64(ok) || ver > int64(ok+lost) {
		t.Errorf("ver=%d, acknowledged=%d, condition failures=%d", ver, ok, lost)
	}
	t.Logf("acknowledged %d, condition failures %d, final ver %d", ok, lost, ver)
}

// bumpVersion reads ver and writes ver+1 conditional on it.
func bumpVersion(env *otstest.Env) (bool, error) {
	resp, err := getRow(env, tablestore.SingleRowQueryCriteria{TableName: "t",
		PrimaryKey: key("hot", 1), MaxVersion: 1})
	if err != nil {
		return false, err
	}
	v := resp.Columns[0].Value.(int64)
	_, err = update(env, "t", key("hot", 1), func(c *tablestore.UpdateRowChange) {
		c.SetCondition(mustExist)
		c.SetColumnCondition(single("ver", tablestore.CT_EQUAL, v, true, true))
		c.PutColumn("ver", v+1)
	})
	return err == nil, err
}
