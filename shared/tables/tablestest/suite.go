// Package tablestest is the conformance suite of the tables layer: one set of
// tests that drives tables.Store through the real Tablestore SDK, run
// against the local emulator and, when credentials are set, against a real
// instance.
package tablestest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/tables"
)

// Faults switches the injected failures of an emulator; the suite resets
// them after each test that uses them.
type Faults interface {
	SetThrottleRate(p float64)
	SetServerErrorRate(p float64)
	SetLatency(d time.Duration)
	SetDropAfterCommitRate(p float64)
	SetShortPages(maxRows int)
	SetEmptyPageRate(p float64)
	Reset()
}

// Env is what the suite needs from one implementation. Only Client is
// required; tests that need a missing piece skip, saying why.
type Env struct {
	// Client reaches the instance under test.
	Client *tablestore.TableStoreClient
	// Prefix starts every table name the suite creates (it drops them when
	// done only if Drop is set).
	Prefix string
	// Drop deletes the suite's tables at cleanup (for real instances).
	Drop bool
	// Faults injects failures (emulator only).
	Faults Faults
	// Usage returns the capacity units consumed on a table so far.
	Usage func(table string) (read, write int64)
	// Advance moves the server's clock forward (emulator only).
	Advance func(d time.Duration)
	// Now is the server's clock, used by the Store for key expiry; nil means
	// time.Now.
	Now func() time.Time
	// Eventual is how long a global secondary index may lag its table.
	Eventual time.Duration
}

// suite is the state shared by the subtests of one Run.
type suite struct {
	env    *Env
	store  *tables.Store
	schema schema
	ctx    context.Context
}

// schema names the suite's tables.
type schema struct {
	kv, multi, ttl, auto, gsi, gsiIndex, rng, idem string
	all                                            []tables.Table
}

func newSchema(p string) schema {
	s := schema{kv: p + "kv", multi: p + "multi", ttl: p + "ttl", auto: p + "auto",
		gsi: p + "gsi", gsiIndex: p + "gsi_by_owner", rng: p + "rng", idem: p + "idem"}
	str := func(n string) tables.PKColumn { return tables.PKColumn{Name: n, Type: tables.String} }
	num := func(n string) tables.PKColumn { return tables.PKColumn{Name: n, Type: tables.Integer} }
	plain := func(name string, ttl, versions int, pk ...tables.PKColumn) tables.Table {
		return tables.Table{Name: name, Doc: "conformance", PrimaryKey: pk, TTL: ttl,
			MaxVersions: versions}
	}
	gsi := plain(s.gsi, tables.Forever, 1, str("part"), str("id"))
	gsi.Defined = []tables.Column{{Name: "owner", Type: tables.String},
		{Name: "rank", Type: tables.Integer}, {Name: "title", Type: tables.String}}
	gsi.Indexes = []tables.Index{{Name: s.gsiIndex, PrimaryKey: []string{"owner", "rank"},
		Defined: []string{"title"}}}
	s.all = []tables.Table{
		plain(s.kv, tables.Forever, 1, str("part"), str("id")),
		plain(s.multi, tables.Forever, 3, str("part"), str("id")),
		plain(s.ttl, 86400, 1, str("part"), str("id")),
		plain(s.auto, tables.Forever, 1, str("part"),
			tables.PKColumn{Name: "seq", Type: tables.Integer, AutoIncrement: true}),
		gsi,
		plain(s.rng, tables.Forever, 1, str("part"), num("n")),
		plain(s.idem, 86400, 1, str("part"), str("key")),
	}
	return s
}

// Run runs the conformance suite against the implementation newEnv sets up.
func Run(t *testing.T, newEnv func(t *testing.T) *Env) {
	env := newEnv(t)
	if env.Now == nil {
		env.Now = time.Now
	}
	s := &suite{env: env, schema: newSchema(env.Prefix), ctx: context.Background()}
	if err := tables.Create(s.ctx, env.Client, s.schema.all); err != nil {
		t.Fatalf("Create(suite tables) = %v", err)
	}
	if env.Drop {
		t.Cleanup(func() { s.drop(t) })
	}
	store, err := tables.New(env.Client, s.schema.all, tables.WithClock(env.Now),
		tables.WithBatchRetries(8, 10*time.Millisecond))
	if err != nil {
		t.Fatalf("tables.New = %v", err)
	}
	s.store = store
	if env.Drop {
		s.waitReady(t)
	}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"Verify", s.testVerify},
		{"CreateGetUpdateDelete", s.testCRUD},
		{"RowTypes", s.testRowTypes},
		{"Conditions", s.testConditions},
		{"Increment", s.testIncrement},
		{"Range", s.testRange},
		{"RangeFaults", s.testRangeFaults},
		{"BatchWrite", s.testBatchWrite},
		{"BatchGet", s.testBatchGet},
		{"BatchFaults", s.testBatchFaults},
		{"MaxVersions", s.testMaxVersions},
		{"TTL", s.testTTL},
		{"GlobalIndex", s.testGlobalIndex},
		{"AutoIncrement", s.testAutoIncrement},
		{"Idempotency", s.testIdempotency},
		{"RetriedWrites", s.testRetriedWrites},
		{"Limits", s.testLimits},
		{"CapacityUnits", s.testCapacityUnits},
	} {
		t.Run(tc.name, tc.fn)
	}
}

func (s *suite) drop(t *testing.T) {
	for _, tb := range s.schema.all {
		_, err := s.env.Client.DeleteTable(&tablestore.DeleteTableRequest{TableName: tb.Name})
		if err != nil {
			t.Logf("drop %s: %v", tb.Name, err)
		}
	}
}

// waitReady waits until every new table takes writes: a real instance
// answers OTSTableNotReady for a while after CreateTable.
func (s *suite) waitReady(t *testing.T) {
	deadline := time.Now().Add(2 * time.Minute)
	for _, tb := range s.schema.all {
		key := tables.Key{"ready", "probe"}
		if tb.Name == s.schema.rng {
			key = tables.Key{"ready", int64(0)}
		}
		if tb.Name == s.schema.auto {
			key = tables.Key{"ready", tables.AutoInc}
		}
		for {
			_, err := s.store.Create(s.ctx, tb.Name, key, nil)
			if err == nil || errors.Is(err, tables.ErrExists) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("table %s not ready: %v", tb.Name, err)
			}
			time.Sleep(time.Second)
		}
	}
}

// faults returns the emulator's faults, reset when the test ends, or skips.
func (s *suite) faults(t *testing.T) Faults {
	t.Helper()
	if s.env.Faults == nil {
		t.Skip("needs fault injection, which only the emulator offers")
	}
	t.Cleanup(s.env.Faults.Reset)
	return s.env.Faults
}

// part returns a partition value unique to this test run, so reruns against
// a shared instance do not see each other's rows.
func part(t *testing.T) string {
	return fmt.Sprintf("%s-%d", t.Name(), rand.Int64())
}
