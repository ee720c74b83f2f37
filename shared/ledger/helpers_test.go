package ledger

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
)

// newTestLog returns a log over fresh in-memory storage.
func newTestLog(t testing.TB) (*Log, *MemStore, *MemSequencer) {
	t.Helper()
	store, seq := new(MemStore), new(MemSequencer)
	return newLogOver(t, store, seq, testKey(t)), store, seq
}

var (
	keyOnce    sync.Once
	sharedSKey string
)

// testKey returns one log key shared by the package's tests.
func testKey(t testing.TB) string {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		sharedSKey, _, err = GenerateKey("example.test/log")
		if err != nil {
			t.Fatal(err)
		}
	})
	return sharedSKey
}

func newLogOver(t testing.TB, store ObjectStore, seq Sequencer, key string) *Log {
	t.Helper()
	l, err := New(Config{Store: store, Sequencer: seq, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// entry returns the i-th test entry.
func entry(i int) []byte { return fmt.Appendf(nil, `{"n":%d}`, i) }

func entries(from, to int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, entry(i))
	}
	return out
}

// grow appends es as one batch and integrates everything waiting.
func grow(t testing.TB, l *Log, es [][]byte) TreeState {
	t.Helper()
	ctx := context.Background()
	if _, err := l.Append(ctx, es...); err != nil {
		t.Fatal(err)
	}
	for {
		st, err := l.Integrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		waiting, err := l.seq.Sequenced(ctx, st.Size, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(waiting) == 0 {
			return st
		}
	}
}

// bruteTree is a reference RFC 6962 Merkle tree computed from its definition.
type bruteTree struct {
	leaves [][]byte
	roots  map[int][]byte
}

func (b *bruteTree) add(es ...[]byte) {
	for _, e := range es {
		h := sha256.Sum256(append([]byte{0}, e...))
		b.leaves = append(b.leaves, h[:])
	}
}

// root returns MTH of the first n leaves.
func (b *bruteTree) root(n int) []byte {
	if r, ok := b.roots[n]; ok {
		return r
	}
	if b.roots == nil {
		b.roots = make(map[int][]byte)
	}
	b.roots[n] = mth(b.leaves[:n])
	return b.roots[n]
}

func mth(hs [][]byte) []byte {
	switch len(hs) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return hs[0]
	}
	k := 1
	for k*2 < len(hs) {
		k *= 2
	}
	h := sha256.Sum256(append(append([]byte{1}, mth(hs[:k])...), mth(hs[k:])...))
	return h[:]
}
