package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

var errCrash = errors.New("simulated crash")

// crashStore fails every Put from the failAt-th one on (counting from 1),
// as if the process had died there; failAt 0 means never.
type crashStore struct {
	ObjectStore
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

// crashSequencer fails SetState when fail is set.
type crashSequencer struct {
	Sequencer
	fail bool
}

func (c *crashSequencer) SetState(ctx context.Context, old, next TreeState) error {
	if c.fail {
		return errCrash
	}
	return c.Sequencer.SetState(ctx, old, next)
}

// crashSetup is a log with a published history of 200 entries and 400 more
// sequenced, crossing two tile boundaries.
type crashSetup struct {
	mem     *MemStore
	store   *crashStore
	seq     *crashSequencer
	prev    *Checkpoint
	pending [][]byte
}

func newCrashSetup(t *testing.T) *crashSetup {
	t.Helper()
	ctx := context.Background()
	s := &crashSetup{mem: new(MemStore), seq: &crashSequencer{Sequencer: new(MemSequencer)}}
	s.store = &crashStore{ObjectStore: s.mem}
	l := newLogOver(t, s.store, s.seq, testKey(t))
	grow(t, l, entries(0, 200))
	prev, err := l.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.prev = prev
	if _, err := l.Append(ctx, entries(200, 600)...); err != nil {
		t.Fatal(err)
	}
	return s
}

// run integrates and publishes with a fresh Log, as a new process would.
func (s *crashSetup) run(t *testing.T) error {
	t.Helper()
	ctx := context.Background()
	l := newLogOver(t, s.store, s.seq, testKey(t))
	if _, err := l.Integrate(ctx); err != nil {
		return err
	}
	_, err := l.Publish(ctx)
	return err
}

// reference returns the objects of the same log built without a crash.
func reference(t *testing.T) *MemStore {
	t.Helper()
	s := newCrashSetup(t)
	if err := s.run(t); err != nil {
		t.Fatal(err)
	}
	return s.mem
}

// TestCrashAtEveryStep stops an integrate-and-publish run at each of its
// writes in turn (every bundle, tile, the state update and the checkpoint),
// then runs again: the result must equal an uninterrupted run, byte for byte,
// and extend the checkpoint published before the crash.
func TestCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	ref := reference(t)
	refPuts := len(ref.Paths()) // upper bound on writes in one run
	steps := 0
	for failAt := 1; ; failAt++ {
		s := newCrashSetup(t)
		s.store.puts, s.store.failAt = 0, failAt
		err := s.run(t)
		if err == nil {
			break // failAt is past the last write: every step has been crashed.
		}
		if !errors.Is(err, errCrash) {
			t.Fatalf("crash at write %d: error = %v, want the simulated crash", failAt, err)
		}
		steps++
		s.store.failAt = 0
		if err := s.run(t); err != nil {
			t.Fatalf("after crash at write %d: rerun: %v", failAt, err)
		}
		sameObjects(t, fmt.Sprintf("crash at write %d", failAt), ref, s.mem)
		checkExtends(t, s, ctx)
		if failAt > refPuts+1 {
			t.Fatal("run never completes")
		}
	}
	if steps < 6 {
		t.Errorf("only %d crash points exercised, want every write of the run", steps)
	}

	s := newCrashSetup(t)
	s.seq.fail = true
	if err := s.run(t); !errors.Is(err, errCrash) {
		t.Fatalf("crash at state update: error = %v", err)
	}
	s.seq.fail = false
	if err := s.run(t); err != nil {
		t.Fatalf("after crash at state update: rerun: %v", err)
	}
	sameObjects(t, "crash at state update", ref, s.mem)
}

// TestCrashThenMoreEntries crashes mid-integration, sequences more entries,
// and checks the next run integrates both batches into a correct tree.
func TestCrashThenMoreEntries(t *testing.T) {
	ctx := context.Background()
	for _, failAt := range []int{1, 2, 3, 4} {
		s := newCrashSetup(t)
		s.store.puts, s.store.failAt = 0, failAt
		if err := s.run(t); !errors.Is(err, errCrash) {
			t.Fatalf("crash at write %d: error = %v", failAt, err)
		}
		s.store.failAt = 0
		l := newLogOver(t, s.store, s.seq, testKey(t))
		if _, err := l.Append(ctx, entries(600, 650)...); err != nil {
			t.Fatal(err)
		}
		if err := s.run(t); err != nil {
			t.Fatalf("crash at write %d: rerun: %v", failAt, err)
		}
		bt := new(bruteTree)
		bt.add(entries(0, 650)...)
		c, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != 650 || !bytes.Equal(c.Hash, bt.root(650)) {
			t.Errorf("crash at write %d: checkpoint %d %x, want 650 %x",
				failAt, c.Size, c.Hash, bt.root(650))
		}
		checkExtends(t, s, ctx)
	}
}

func sameObjects(t *testing.T, what string, want, got *MemStore) {
	t.Helper()
	ctx := context.Background()
	for _, p := range want.Paths() {
		if p == CheckpointPath {
			continue // Signed again; its tree is checked by checkExtends.
		}
		a, _ := want.Get(ctx, p)
		b, err := got.Get(ctx, p)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: object %q differs from an uninterrupted run (%v)", what, p, err)
		}
	}
	if len(got.Paths()) != len(want.Paths()) {
		t.Errorf("%s: %d objects, want %d", what, len(got.Paths()), len(want.Paths()))
	}
}

// checkExtends verifies that the latest checkpoint is consistent with the one
// published before the crash.
func checkExtends(t *testing.T, s *crashSetup, ctx context.Context) {
	t.Helper()
	l := newLogOver(t, s.mem, s.seq, testKey(t))
	c, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := TreeState{Size: c.Size, Root: c.Hash}
	if err := l.checkExtends(ctx, s.prev, st); err != nil {
		t.Errorf("checkpoint %d forks from %d: %v", c.Size, s.prev.Size, err)
	}
}

// TestCrashThenRerunSameLog is TestCrashAtEveryStep with one Log for the
// crashed run and the rerun, so that the rerun starts from what the Log
// kept of the tree (its tail) rather than from storage: the result is the
// same, byte for byte.
func TestCrashThenRerunSameLog(t *testing.T) {
	ctx := context.Background()
	ref := reference(t)
	for failAt := 1; failAt <= len(ref.Paths())+1; failAt++ {
		s := newCrashSetup(t)
		l := newLogOver(t, s.store, s.seq, testKey(t))
		grow(t, l, entries(600, 700)) // The Log now keeps a tail.
		s.store.puts, s.store.failAt = 0, failAt
		_, err := l.Append(ctx, entries(700, 1100)...)
		if err == nil {
			_, err = l.Integrate(ctx)
		}
		s.store.failAt = 0
		if err == nil {
			break // Past the last write.
		}
		if !errors.Is(err, errCrash) {
			t.Fatalf("crash at write %d: error = %v", failAt, err)
		}
		if _, err := l.Integrate(ctx); err != nil {
			t.Fatalf("crash at write %d: rerun: %v", failAt, err)
		}
		bt := new(bruteTree)
		bt.add(entries(0, 1100)...)
		st, _ := s.seq.State(ctx)
		if st.Size != 1100 || !bytes.Equal(st.Root, bt.root(1100)) {
			t.Errorf("crash at write %d: state %d %x, want 1100 %x", failAt, st.Size,
				st.Root, bt.root(1100))
		}
		stored, err := NewTileReader(s.mem, 1100).Root(ctx)
		if err != nil || !bytes.Equal(stored, bt.root(1100)) {
			t.Errorf("crash at write %d: root from the stored tiles %x (%v)", failAt, stored, err)
		}
		if _, err := (Reader{Store: s.mem}).Entry(ctx, 1099, 1100); err != nil {
			t.Errorf("crash at write %d: last entry: %v", failAt, err)
		}
	}
}
