package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentAppendAndIntegrate has 50 clients append while two
// integrators (separate Logs over the same storage, as two function
// instances would be) race: every entry lands exactly once, at the index
// Append returned, with no gap.
func TestConcurrentAppendAndIntegrate(t *testing.T) {
	ctx := context.Background()
	store, seq := new(MemStore), new(MemSequencer)
	integrators := []*Log{newLogOver(t, store, seq, testKey(t)),
		newLogOver(t, store, seq, testKey(t))}
	const clients, each = 50, 20
	indexes := make([][]uint64, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			l := newLogOver(t, store, seq, testKey(t))
			for i := range each {
				idx, err := l.Append(ctx, fmt.Appendf(nil, "client %d entry %d", c, i))
				if err != nil {
					t.Error(err)
					return
				}
				indexes[c] = append(indexes[c], idx)
			}
		})
	}
	stop := make(chan struct{})
	var iwg sync.WaitGroup
	for _, l := range integrators {
		iwg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := l.Integrate(ctx); err != nil && !errors.Is(err, ErrConflict) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	iwg.Wait()
	st, err := integrators[0].Integrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != clients*each {
		t.Fatalf("tree size = %d, want %d", st.Size, clients*each)
	}
	seen := make(map[uint64]bool)
	for c, idxs := range indexes {
		for i, idx := range idxs {
			if seen[idx] {
				t.Fatalf("index %d assigned twice", idx)
			}
			seen[idx] = true
			got, err := integrators[1].Entry(ctx, idx, st.Size)
			want := fmt.Appendf(nil, "client %d entry %d", c, i)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("entry %d = %q, %v; want %q", idx, got, err, want)
			}
		}
	}
	root, err := NewTileReader(store, st.Size).Root(ctx)
	if err != nil || !bytes.Equal(root, st.Root) {
		t.Errorf("root from tiles = %x, %v; want %x", root, err, st.Root)
	}
}
