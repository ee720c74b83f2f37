package tables_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/tables"
)

// faultyStore starts an emulator with the app's tables, 10% of requests
// throttled and 5% of writes dropping their connection after they commit.
func faultyStore(t *testing.T) *tables.Store {
	t.Helper()
	env := otstest.Start(t)
	ctx := context.Background()
	if err := tables.Create(ctx, env.Client, tables.All); err != nil {
		t.Fatalf("Create(tables.All) = %v", err)
	}
	store, err := tables.New(env.Client, tables.All)
	if err != nil {
		t.Fatalf("tables.New = %v", err)
	}
	env.Server.Faults().SetThrottleRate(0.10)
	env.Server.Faults().SetDropAfterCommitRate(0.05)
	return store
}

// TestIdempotentCreatesUnderFaults sends 1,000 concurrent creates, each
// under its own idempotency key, a fifth of them sent twice by the caller,
// while the emulator throttles and drops connections after commits (so the
// SDK resends requests that had landed). Every key must end with exactly one
// row, and every attempt must succeed, the second ones as replays.
func TestIdempotentCreatesUnderFaults(t *testing.T) {
	store := faultyStore(t)
	ctx, tid := context.Background(), tables.TenantKey("corp-faults")
	const keys = 1000
	create := func(k int) (string, bool, error) {
		key := fmt.Sprintf("idem-%04d", k)
		sum := sha256.Sum256([]byte("create project " + key))
		hash := hex.EncodeToString(sum[:])
		c, err := store.Claim(ctx, tables.Idem.Name, tables.Key{tid, key}, hash, 24*time.Hour)
		if err != nil {
			return "", false, err
		}
		if !c.Fresh {
			if c.State != tables.StateDone {
				return "", false, fmt.Errorf("key %s: replay found state %q", key, c.State)
			}
			return string(c.Result), true, nil
		}
		id := fmt.Sprintf("P-%04d-%d", k, time.Now().UnixNano())
		_, err = store.Create(ctx, tables.Project.Name, tables.Key{tid, id},
			tables.Cols{"idem_key": key, "name": "project " + key})
		if err != nil {
			return "", false, err
		}
		return id, false, store.Complete(ctx, tables.Idem.Name, tables.Key{tid, key}, hash,
			[]byte(id))
	}
	var (
		mu       sync.Mutex
		accepted = map[string]string{} // idempotency key → project id
		replays  int
		failures []error
	)
	work := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				tries := 1 + btoi(k%5 == 0)
				for range tries {
					id, replay, err := create(k)
					mu.Lock()
					key := fmt.Sprintf("idem-%04d", k)
					switch {
					case err != nil:
						failures = append(failures, err)
					case replay && accepted[key] != id:
						failures = append(failures, fmt.Errorf("%s: replay returned %s, first %s",
							key, id, accepted[key]))
					case replay:
						replays++
					default:
						accepted[key] = id
					}
					mu.Unlock()
				}
			}
		}()
	}
	for k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()

	perKey := map[string]int{}
	rows := 0
	for row, err := range store.Scan(ctx, tables.Project.Name,
		tables.Range{Prefix: tables.Key{tid}}) {
		if err != nil {
			t.Fatalf("Scan(projects) = %v", err)
		}
		rows++
		key := row.String("idem_key")
		perKey[key]++
		if accepted[key] != row.Key[1] {
			t.Errorf("row %v belongs to key %s, whose accepted result is %s", row.Key, key,
				accepted[key])
		}
	}
	t.Logf("idempotent creates: %d keys accepted, %d caller replays answered, %d rows stored, "+
		"%d failures", len(accepted), replays, rows, len(failures))
	for _, err := range failures[:min(len(failures), 5)] {
		t.Errorf("false failure: %v", err)
	}
	if len(accepted) != keys || rows != keys || replays != keys/5 {
		t.Errorf("accepted %d keys, stored %d rows, %d replays; want %d, %d, %d", len(accepted),
			rows, replays, keys, keys, keys/5)
	}
	for key, n := range perKey {
		if n != 1 {
			t.Errorf("key %s has %d rows, want exactly 1", key, n)
		}
	}
}

// TestRacingUpdatesUnderFaults runs 1,000 optimistic read-increment-write
// updates of one row from 16 goroutines under the same faults: the counter
// must equal the number of accepted updates (none lost, none applied twice).
func TestRacingUpdatesUnderFaults(t *testing.T) {
	store := faultyStore(t)
	ctx := context.Background()
	key := tables.Key{tables.TenantKey("corp-faults"), "counter"}
	if _, err := store.Create(ctx, tables.Project.Name, key,
		tables.Cols{"n": int64(0)}); err != nil {
		t.Fatalf("Create(counter) = %v", err)
	}
	const updates = 1000
	var remaining, accepted, conflicts atomic.Int64
	remaining.Store(updates)
	var failures sync.Map
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for remaining.Add(-1) >= 0 {
				row, err := store.Get(ctx, tables.Project.Name, key)
				for lost := 0; err == nil; lost++ {
					_, err = store.Update(ctx, tables.Project.Name, key, row.Ver(),
						tables.Change{Set: tables.Cols{"n": row.Int("n") + 1}})
					if cur, ok := tables.Current(err); ok {
						conflicts.Add(1)
						row, err = cur, nil
						backoff := 500 * time.Microsecond << min(lost, 4)
						time.Sleep(time.Duration(rand.Int64N(int64(backoff))))
						continue
					}
					break
				}
				if err != nil {
					failures.Store(err.Error(), true)
				} else {
					accepted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	row, err := store.Get(ctx, tables.Project.Name, key)
	if err != nil {
		t.Fatalf("Get(counter) = %v", err)
	}
	t.Logf("racing updates: %d accepted, counter %d, ver %d, %d conflicts retried",
		accepted.Load(), row.Int("n"), row.Ver(), conflicts.Load())
	failures.Range(func(k, _ any) bool {
		t.Errorf("false failure: %v", k)
		return true
	})
	if row.Int("n") != accepted.Load() || accepted.Load() != updates || row.Ver() != updates+1 {
		t.Errorf("counter %d, ver %d after %d accepted updates; want %d, %d", row.Int("n"),
			row.Ver(), accepted.Load(), updates, updates+1)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
