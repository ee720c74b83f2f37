package ledger

import (
	"context"
	"sync"
	"testing"
)

// gatedStore holds the first Put of the checkpoint until release is
// closed, and closes waiting when it starts to.
type gatedStore struct {
	ObjectStore
	once    sync.Once
	waiting chan struct{}
	release chan struct{}
}

func (g *gatedStore) Put(ctx context.Context, path string, data []byte, immutable bool) error {
	if path == CheckpointPath {
		g.once.Do(func() {
			close(g.waiting)
			<-g.release
		})
	}
	return g.ObjectStore.Put(ctx, path, data, immutable)
}

// TestPublishRaceKeepsLargest has a publisher of size 10 stall just before
// storing its checkpoint while another integrates to 15 and publishes;
// when the first goes on, the stored checkpoint must still be the one of
// 15, and the first's Publish answers with it.
func TestPublishRaceKeepsLargest(t *testing.T) {
	ctx := context.Background()
	store, seq := new(MemStore), new(MemSequencer)
	fast := newLogOver(t, store, seq, testKey(t))
	gated := &gatedStore{ObjectStore: store, waiting: make(chan struct{}),
		release: make(chan struct{})}
	slow := newLogOver(t, gated, seq, testKey(t))
	grow(t, fast, entries(0, 10))

	done := make(chan *Checkpoint, 1)
	go func() {
		c, err := slow.Publish(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- c
	}()
	<-gated.waiting
	grow(t, fast, entries(10, 15))
	if c, err := fast.Publish(ctx); err != nil || c.Size != 15 {
		t.Fatalf("second publisher: %v, %v", c, err)
	}
	close(gated.release)
	if c := <-done; c == nil || c.Size != 15 {
		t.Errorf("the stalled publisher answered %+v, want the checkpoint of 15", c)
	}
	latest, err := fast.published(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Size != 15 {
		t.Errorf("stored checkpoint has size %d after the race, want 15", latest.Size)
	}
}
