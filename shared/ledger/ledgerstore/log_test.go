package ledgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/tables"
)

var (
	keyOnce    sync.Once
	skey, vkey string
)

func testKeys(t testing.TB) (string, note.Verifier) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if skey, vkey, err = ledger.GenerateKey("example.test/log"); err != nil {
			t.Fatal(err)
		}
	})
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return skey, v
}

// TestObjectStore holds the OSS driver to the in-memory store's behaviour.
func TestObjectStore(t *testing.T) {
	for name, o := range map[string]ledger.ObjectStore{"mem": new(ledger.MemStore),
		"oss": NewObjectStore(newFiles(t), "ledger/")} {
		t.Run(name, func(t *testing.T) { testObjectStore(t, o) })
	}
}

func testObjectStore(t *testing.T, o ledger.ObjectStore) {
	ctx := context.Background()
	if _, err := o.Get(ctx, "tile/0/000"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Get of a missing object: %v, want ErrNotFound", err)
	}
	tile := bytes.Repeat([]byte{7}, 64)
	if err := o.Put(ctx, "tile/0/000.p/2", tile, true); err != nil {
		t.Fatal(err)
	}
	if err := o.Put(ctx, "tile/0/000.p/2", tile, true); err != nil {
		t.Errorf("Put of an identical immutable object: %v, want success", err)
	}
	other := bytes.Repeat([]byte{8}, 64)
	if err := o.Put(ctx, "tile/0/000.p/2", other, true); !errors.Is(err, ledger.ErrConflict) {
		t.Errorf("Put of a different immutable object: %v, want ErrConflict", err)
	}
	if got, _ := o.Get(ctx, "tile/0/000.p/2"); !bytes.Equal(got, tile) {
		t.Errorf("immutable object changed to %x", got)
	}
	for _, cp := range []string{"one\n", "two\n"} {
		if err := o.Put(ctx, ledger.CheckpointPath, []byte(cp), false); err != nil {
			t.Fatal(err)
		}
		if got, _ := o.Get(ctx, ledger.CheckpointPath); string(got) != cp {
			t.Errorf("checkpoint = %q, want %q", got, cp)
		}
	}
}

// TestLogOverDrivers integrates and publishes a log over the emulators in
// several runs, then checks receipts of random entries offline, with only
// the log's public key, and the consistency of the two checkpoints.
func TestLogOverDrivers(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	store := NewObjectStore(newFiles(t), "ledger/")
	seq := newSequencer(t, db)
	sk, verifier := testKeys(t)
	l := newLog(t, store, seq, sk, 300)
	const n = 1000
	for i := 0; i < n; i += 100 {
		batch := make([][]byte, 100)
		for j := range batch {
			batch[j] = entry(i + j)
		}
		if _, err := l.Append(ctx, batch...); err != nil {
			t.Fatal(err)
		}
		if i == 400 {
			integrateAll(t, l, seq)
		}
	}
	first, err := l.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	integrateAll(t, l, seq)
	c, err := l.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Size != 500 || c.Size != n {
		t.Fatalf("checkpoint sizes %d, %d; want 500, %d", first.Size, c.Size, n)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 25 {
		i := rng.IntN(n)
		r, err := l.Receipt(ctx, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.VerifyReceipt(r, entry(i), verifier, nil); err != nil {
			t.Errorf("receipt %d: %v", i, err)
		}
		if _, err := ledger.VerifyReceipt(r, entry(i+1), verifier, nil); err == nil {
			t.Errorf("receipt %d accepted entry %d", i, i+1)
		}
	}
	cons, err := l.ConsistencyProof(ctx, first.Size, c.Size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.VerifyConsistency(first.Raw, c.Raw, cons, verifier, nil); err != nil {
		t.Errorf("consistency %d to %d: %v", first.Size, c.Size, err)
	}
}

// integrateAll integrates until nothing is waiting.
func integrateAll(t testing.TB, l *ledger.Log, seq ledger.Sequencer) ledger.TreeState {
	t.Helper()
	ctx := context.Background()
	for {
		st, err := l.Integrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		waiting, err := seq.Sequenced(ctx, st.Size, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(waiting) == 0 {
			return st
		}
	}
}

var errCrash = errors.New("simulated crash")

// crashStore fails every Put from the failAt-th on, as if the process died.
type crashStore struct {
	ledger.ObjectStore
	mu     sync.Mutex
	puts   int
	failAt int
}

func (c *crashStore) Put(ctx context.Context, path string, data []byte, immutable bool) error {
	c.mu.Lock()
	c.puts++
	fail := c.failAt > 0 && c.puts >= c.failAt
	c.mu.Unlock()
	if fail {
		return fmt.Errorf("put %q: %w", path, errCrash)
	}
	return c.ObjectStore.Put(ctx, path, data, immutable)
}

// crashSequencer fails SetState while fail is set.
type crashSequencer struct {
	ledger.Sequencer
	fail bool
}

func (c *crashSequencer) SetState(ctx context.Context, old, next ledger.TreeState) error {
	if c.fail {
		return errCrash
	}
	return c.Sequencer.SetState(ctx, old, next)
}

// TestCrashThenRerun stops an integrate-and-publish run over the real
// drivers at each of its writes in turn (and at the state update), then
// reruns it with a fresh Log: the rerun completes, and the checkpoint has the
// root of the uncrashed tree and extends the one published before.
func TestCrashThenRerun(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	files := newFiles(t)
	sk, _ := testKeys(t)
	mem := new(ledger.MemSequencer)
	ref := newLog(t, new(ledger.MemStore), mem, sk, 0)
	if _, err := ref.Append(ctx, entriesN(0, 600)...); err != nil {
		t.Fatal(err)
	}
	want := integrateAll(t, ref, mem).Root
	steps := 0
	for failAt := 1; crashRun(t, db, files, want, failAt, false); failAt++ {
		steps++
		if failAt > 50 {
			t.Fatal("run never completes")
		}
	}
	if steps < 6 {
		t.Errorf("only %d crash points exercised, want every write of the run", steps)
	}
	if !crashRun(t, db, files, want, 0, true) {
		t.Error("a failing state update did not stop the run")
	}
}

// crashRun builds a log of 200 published and 400 waiting entries, crashes
// its run at write failAt (or at the state update), reruns it and checks the
// result. It reports whether the run crashed.
func crashRun(t *testing.T, db *tables.Store, files *blob.Store, want []byte, failAt int,
	failState bool) bool {
	t.Helper()
	ctx := context.Background()
	sk, verifier := testKeys(t)
	seq := newSequencer(t, db)
	store := &crashStore{ObjectStore: NewObjectStore(files, seq.origin+"/")}
	cs := &crashSequencer{Sequencer: seq}
	l := newLog(t, store, cs, sk, 0)
	if _, err := l.Append(ctx, entriesN(0, 200)...); err != nil {
		t.Fatal(err)
	}
	integrateAll(t, l, seq)
	prev, err := l.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 200; i < 600; i += 200 {
		if _, err := l.Append(ctx, entriesN(i, i+200)...); err != nil {
			t.Fatal(err)
		}
	}
	store.puts, store.failAt, cs.fail = 0, failAt, failState
	_, err = l.Integrate(ctx)
	if err == nil {
		_, err = l.Publish(ctx)
	}
	if err == nil {
		return false
	}
	if !errors.Is(err, errCrash) {
		t.Fatalf("crash at write %d: %v, want the simulated crash", failAt, err)
	}
	store.failAt, cs.fail = 0, false
	rerun := newLog(t, store, seq, sk, 0)
	integrateAll(t, rerun, seq)
	c, err := rerun.Publish(ctx)
	if err != nil {
		t.Fatalf("crash at write %d: rerun: %v", failAt, err)
	}
	if c.Size != 600 || !bytes.Equal(c.Hash, want) {
		t.Errorf("crash at write %d: checkpoint %d %x, want 600 %x", failAt, c.Size, c.Hash, want)
	}
	cons, err := rerun.ConsistencyProof(ctx, prev.Size, c.Size)
	if err == nil {
		_, err = ledger.VerifyConsistency(prev.Raw, c.Raw, cons, verifier, nil)
	}
	if err != nil {
		t.Errorf("crash at write %d: checkpoint forks from %d: %v", failAt, prev.Size, err)
	}
	return true
}

func entriesN(from, to int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, entry(i))
	}
	return out
}
