package ledger

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
)

// checkTree verifies the log at size n against the brute-force tree: root,
// every inclusion proof, and consistency from every smaller size.
func checkTree(t *testing.T, l *Log, bt *bruteTree, n int) {
	t.Helper()
	ctx := context.Background()
	root := bt.root(n)
	tr := NewTileReader(l.store, uint64(n))
	got, err := tr.Root(ctx)
	if err != nil {
		t.Fatalf("size %d: root: %v", n, err)
	}
	if !bytes.Equal(got, root) {
		t.Fatalf("size %d: root %x, want %x", n, got, root)
	}
	for i := 0; i < n; i++ {
		p, err := tr.InclusionProof(ctx, uint64(i))
		if err != nil {
			t.Fatalf("size %d: inclusion %d: %v", n, i, err)
		}
		if err := proof.VerifyInclusion(hasher, uint64(i), uint64(n), bt.leaves[i], p,
			root); err != nil {
			t.Fatalf("size %d: inclusion %d: %v", n, i, err)
		}
	}
	for m := 0; m <= n; m++ {
		p, err := tr.ConsistencyProof(ctx, uint64(m))
		if err != nil {
			t.Fatalf("consistency %d to %d: %v", m, n, err)
		}
		if err := proof.VerifyConsistency(hasher, uint64(m), uint64(n), p, bt.root(m),
			root); err != nil {
			t.Fatalf("consistency %d to %d: %v", m, n, err)
		}
	}
}

func TestGrowOneByOne(t *testing.T) {
	l, _, _ := newTestLog(t)
	bt := new(bruteTree)
	for n := 1; n <= 300; n++ {
		e := entry(n - 1)
		bt.add(e)
		st := grow(t, l, [][]byte{e})
		if st.Size != uint64(n) || !bytes.Equal(st.Root, bt.root(n)) {
			t.Fatalf("state %d %x, want %d %x", st.Size, st.Root, n, bt.root(n))
		}
		checkTree(t, l, bt, n)
	}
}

// TestBatchesMatchSingles shows the tiles of a tree depend only on its
// entries: a log grown in random batches stores byte-identical objects to
// one grown entry by entry.
func TestBatchesMatchSingles(t *testing.T) {
	ctx := context.Background()
	single, singleStore, _ := newTestLog(t)
	batched, batchStore, _ := newTestLog(t)
	rng := rand.New(rand.NewPCG(1, 2))
	bt := new(bruteTree)
	n := 0
	for n < 1100 {
		k := 1 + rng.IntN(300)
		es := entries(n, n+k)
		bt.add(es...)
		for _, e := range es {
			grow(t, single, [][]byte{e})
		}
		grow(t, batched, es)
		n += k
	}
	for _, p := range batchStore.Paths() {
		a, _ := batchStore.Get(ctx, p)
		b, err := singleStore.Get(ctx, p)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("object %q differs between batched and single-entry logs (%v)", p, err)
		}
	}
	checkTree(t, batched, bt, n)
	for i := 0; i < n; i += 97 {
		got, err := batched.Entry(ctx, uint64(i), uint64(n))
		if err != nil || !bytes.Equal(got, entry(i)) {
			t.Errorf("Entry(%d) = %q, %v; want %q", i, got, err, entry(i))
		}
	}
}

// TestAcrossLevelTwo grows a tree past 65536 entries (three tile levels) and
// checks proofs at the tile boundaries.
func TestAcrossLevelTwo(t *testing.T) {
	if testing.Short() {
		t.Skip("large tree")
	}
	ctx := context.Background()
	l, _, _ := newTestLog(t)
	bt := new(bruteTree)
	sizes := []int{255, 256, 257, 65535, 65536, 65537, 66000}
	prev := 0
	for _, n := range sizes {
		es := entries(prev, n)
		bt.add(es...)
		grow(t, l, es)
		prev = n
	}
	n := uint64(prev)
	root := bt.root(prev)
	for _, i := range []uint64{0, 1, 255, 256, 65279, 65535, 65536, 65999} {
		p, err := l.InclusionProof(ctx, i, n)
		if err == nil {
			err = proof.VerifyInclusion(hasher, i, n, bt.leaves[i], p, root)
		}
		if err != nil {
			t.Errorf("inclusion %d at %d: %v", i, n, err)
		}
	}
	for _, m := range sizes {
		for _, to := range sizes {
			if m > to {
				continue
			}
			p, err := l.ConsistencyProof(ctx, uint64(m), uint64(to))
			if err == nil {
				err = proof.VerifyConsistency(hasher, uint64(m), uint64(to), p, bt.root(m),
					bt.root(to))
			}
			if err != nil {
				t.Errorf("consistency %d to %d: %v", m, to, err)
			}
		}
	}
}

// TestProofFetchesFewTiles checks that a proof reads only the tiles on its
// path, not the whole tree.
func TestProofFetchesFewTiles(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLog(t)
	grow(t, l, entries(0, 5000))
	tr := NewTileReader(l.store, 5000)
	if _, err := tr.InclusionProof(ctx, 1234); err != nil {
		t.Fatal(err)
	}
	// The entry's level-0 tile and the level-1 tile above it.
	if got := tr.Fetched(); got > 3 {
		t.Errorf("inclusion proof fetched %d tiles, want at most 3", got)
	}
}

func TestAppendRefusesLargeEntry(t *testing.T) {
	l, _, _ := newTestLog(t)
	_, err := l.Append(context.Background(), make([]byte, MaxEntrySize+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Append(64 KiB) error = %v, want ErrTooLarge", err)
	}
}

// TestIntegrateRefusesDamagedTile damages a stored tile; a Log that reads
// it back (a new process: the Log that wrote it keeps its own copy) refuses
// to build on it.
func TestIntegrateRefusesDamagedTile(t *testing.T) {
	ctx := context.Background()
	l, store, seq := newTestLog(t)
	grow(t, l, entries(0, 300))
	path := TilePath(0, 1, 44)
	tile, _ := store.Get(ctx, path)
	tile[0] ^= 1
	store.objects[path] = tile
	l = newLogOver(t, store, seq, testKey(t))
	if _, err := l.Append(ctx, entry(300)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Integrate(ctx); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Integrate over damaged tile: error = %v, want ErrCorrupt", err)
	}
}

// countingStore counts the Gets that reach a store.
type countingStore struct {
	ObjectStore
	mu   sync.Mutex
	gets int
}

func (c *countingStore) Get(ctx context.Context, path string) ([]byte, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.ObjectStore.Get(ctx, path)
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets
}

// TestIntegrateKeepsTail grows a log in uneven batches through one Log,
// then through two taking turns: the one Log reads nothing back between its
// own runs, a Log whose tail another Log made stale reads the tiles again,
// and the objects equal those of a log built by a new Log every run.
func TestIntegrateKeepsTail(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{ObjectStore: new(MemStore)}
	seq := new(MemSequencer)
	a, b := newLogOver(t, store, seq, testKey(t)), newLogOver(t, store, seq, testKey(t))
	refStore, refSeq := new(MemStore), new(MemSequencer)
	sizes := []int{3, 250, 4, 300, 1, 255, 513, 7, 256, 256, 90}
	next := 0
	for i, n := range sizes {
		es := entries(next, next+n)
		next += n
		l := a
		if i >= 6 && i%2 == 1 {
			l = b
		}
		before := store.count()
		grow(t, l, es)
		gets := store.count() - before
		if i > 0 && i <= 6 && gets != 0 {
			t.Errorf("batch %d through the same Log read %d objects, want 0", i, gets)
		}
		if i > 6 && gets == 0 {
			t.Errorf("batch %d after the other Log's run read nothing back", i)
		}
		grow(t, newLogOver(t, refStore, refSeq, testKey(t)), es)
	}
	sameObjects(t, "tail kept", refStore, store.ObjectStore.(*MemStore))
	bt := new(bruteTree)
	bt.add(entries(0, next)...)
	st, _ := seq.State(ctx)
	if st.Size != uint64(next) || !bytes.Equal(st.Root, bt.root(next)) {
		t.Errorf("state %d %x, want %d %x", st.Size, st.Root, next, bt.root(next))
	}
}
