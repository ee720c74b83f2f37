package ledger

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// Append sequences entries as one batch and returns the index of the first.
// The entries are durable once Append returns but are covered by a
// checkpoint only after Integrate and Publish.
func (l *Log) Append(ctx context.Context, entries ...[]byte) (uint64, error) {
	for i, e := range entries {
		if len(e) > MaxEntrySize {
			return 0, fmt.Errorf("ledger: append entry %d: %d bytes: %w", i, len(e), ErrTooLarge)
		}
	}
	first, err := l.seq.Assign(ctx, entries)
	if err != nil {
		return 0, fmt.Errorf("ledger: append: %w", err)
	}
	return first, nil
}

// Integrate adds up to the configured batch of sequenced entries to the tree:
// it writes their entry bundles and tiles, then records the new size in the
// sequencer, and returns the new state. With nothing waiting it returns the
// current state. A run that fails part way leaves only immutable objects that
// the next run rewrites byte for byte. Runs may race, in this process or
// others: the loser fails with an error wrapping ErrConflict, having written
// only objects identical to the winner's, and may simply run again.
//
// The objects of a run are written concurrently (at most MaxPuts at once),
// and the tiles on the tree's right edge and its partial bundle are kept for
// the next run of the same Log, which reads them back only if another Log
// has integrated meanwhile.
func (l *Log) Integrate(ctx context.Context) (TreeState, error) {
	st, err := l.seq.State(ctx)
	if err != nil {
		return TreeState{}, fmt.Errorf("ledger: integrate: %w", err)
	}
	entries, err := l.seq.Sequenced(ctx, st.Size, l.maxBatch)
	if err != nil || len(entries) == 0 {
		if err != nil {
			err = fmt.Errorf("ledger: integrate %d: %w", st.Size, err)
		}
		return st, err
	}
	next, t, err := l.writeBatch(ctx, st, l.takeTail(st), entries)
	if err != nil {
		return st, err
	}
	if err := l.seq.SetState(ctx, st, next); err != nil {
		return st, fmt.Errorf("ledger: integrate %d: %w", next.Size, err)
	}
	l.keepTail(t)
	return next, nil
}

// tail is what an Integrate run leaves for the next run of the same Log: a
// reader of the tree it built, holding the tiles on the tree's right edge,
// and the tree's partial entry bundle (nil when the last bundle is full).
type tail struct {
	state  TreeState
	tiles  *TileReader
	bundle []byte
}

// takeTail returns the kept tail if it is of the tree st, and nil otherwise.
// A tail is handed to one run at a time.
func (l *Log) takeTail(st TreeState) *tail {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.tail
	l.tail = nil
	if t == nil || t.state.Size != st.Size || !bytes.Equal(t.state.Root, st.Root) {
		return nil
	}
	return t
}

func (l *Log) keepTail(t *tail) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tail == nil || l.tail.state.Size < t.state.Size {
		l.tail = t
	}
}

// writeBatch writes the bundles and tiles that appending entries to the tree
// of state st produces, and returns the state after it and its tail. t, the
// tail of st when not nil, saves reading tiles and the partial bundle back.
func (l *Log) writeBatch(
	ctx context.Context, st TreeState, t *tail, entries [][]byte,
) (TreeState, *tail, error) {
	old := st.Size
	size := old + uint64(len(entries))
	tr := NewTileReader(l.store, old)
	if t != nil {
		tr = t.tiles
	}
	cr, err := tr.Range(ctx)
	if err != nil {
		return st, nil, fmt.Errorf("ledger: integrate %d: %w", old, err)
	}
	if err := checkRoot(cr, st); err != nil {
		return st, nil, err
	}
	tiles, err := newTileSet(ctx, tr, old, size)
	if err != nil {
		return st, nil, err
	}
	for _, e := range entries {
		if len(e) > MaxEntrySize {
			return st, nil, fmt.Errorf("ledger: integrate: %d-byte entry: %w", len(e), ErrTooLarge)
		}
		if err := cr.Append(hasher.HashLeaf(e), tiles.visit); err != nil {
			return st, nil, fmt.Errorf("ledger: integrate: %w", err)
		}
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		return st, nil, fmt.Errorf("ledger: integrate: %w", err)
	}
	objs, partial, err := l.bundles(ctx, old, t, entries)
	if err != nil {
		return st, nil, err
	}
	if err := putAll(ctx, l.store, append(objs, tiles.objects()...)); err != nil {
		return st, nil, err
	}
	next := TreeState{Size: size, Root: root}
	return next, &tail{state: next, tiles: tiles.edge(l.store, tr), bundle: partial}, nil
}

// checkRoot makes sure the tiles the range was read from match the recorded
// root, so a damaged tile is never built upon.
func checkRoot(cr *compact.Range, st TreeState) error {
	if st.Size == 0 {
		return nil
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		return fmt.Errorf("ledger: integrate %d: %w", st.Size, err)
	}
	if !bytes.Equal(root, st.Root) {
		return fmt.Errorf("ledger: integrate %d: tiles do not match recorded root: %w",
			st.Size, ErrCorrupt)
	}
	return nil
}

// bundles returns the entry bundles that change when entries are appended
// at index old, starting from the partial bundle already stored (t's, when
// t is not nil), and the partial bundle of the grown tree.
func (l *Log) bundles(
	ctx context.Context, old uint64, t *tail, entries [][]byte,
) ([]object, []byte, error) {
	var bundle []byte
	switch {
	case t != nil:
		// Full capacity: appending copies, and t.bundle stays as it is.
		bundle = t.bundle[:len(t.bundle):len(t.bundle)]
	case old%TileWidth != 0:
		path := EntriesPath(old/TileWidth, int(old%TileWidth))
		b, err := l.store.Get(ctx, path)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger: integrate: bundle %q: %w", path, err)
		}
		bundle = b
	}
	var objs []object
	index := old
	for i, e := range entries {
		if i == 0 || index%TileWidth == 0 {
			bundle = slices.Grow(bundle, bundleSize(entries[i:], index))
		}
		bundle = appendBundle(bundle, e)
		index++
		if index%TileWidth != 0 && i < len(entries)-1 {
			continue
		}
		w := int((index-1)%TileWidth) + 1
		objs = append(objs, object{"bundle", EntriesPath((index-1)/TileWidth, w), bundle})
		if index%TileWidth == 0 {
			bundle = nil
		}
	}
	return objs, bundle, nil
}

// bundleSize is how many bytes entries, the first at index, add to its
// entry bundle.
func bundleSize(entries [][]byte, index uint64) int {
	n := min(len(entries), int(TileWidth-index%TileWidth))
	size := 0
	for _, e := range entries[:n] {
		size += 2 + len(e)
	}
	return size
}

// MaxPuts bounds the object writes one Integrate run has in flight.
const MaxPuts = 16

// object is an immutable object to write: a bundle or a tile.
type object struct {
	kind, path string
	data       []byte
}

// putAll writes objs, at most MaxPuts at a time, and returns the first
// error; the writes not yet started are then skipped. Order does not matter:
// no reader looks at a tree size before the sequencer records it, which
// Integrate does only after every write is done.
func putAll(ctx context.Context, store ObjectStore, objs []object) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	slots := make(chan struct{}, MaxPuts)
	for _, o := range objs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := store.Put(ctx, o.path, o.data, true); err != nil {
				once.Do(func() {
					first = fmt.Errorf("ledger: integrate: %s %q: %w", o.kind, o.path, err)
					cancel()
				})
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return fmt.Errorf("ledger: integrate: %w", ctx.Err())
	}
	return first
}

// TODO(#7): partial tiles and bundles superseded by full ones are never
// deleted; tlog-tiles allows removing them once the full object exists.

// tileSet collects the hash tiles that change when a tree grows from old to
// size, each pre-filled with the hashes its stored partial version holds.
type tileSet struct {
	size  uint64
	keys  []tileKey
	tiles map[tileKey][]byte
}

func newTileSet(ctx context.Context, tr *TileReader, old, size uint64) (*tileSet, error) {
	ts := &tileSet{size: size, tiles: make(map[tileKey][]byte)}
	for level := uint64(0); size>>(TileHeight*level) > 0; level++ {
		from, to := old>>(TileHeight*level), size>>(TileHeight*level)
		if from == to {
			continue // No new node at this level.
		}
		for index := from / TileWidth; index <= (to-1)/TileWidth; index++ {
			k := tileKey{level, index}
			buf := make([]byte, tileWidth(level, index, size)*HashSize)
			if index == from/TileWidth && from%TileWidth != 0 {
				t, err := tr.Tile(ctx, level, index)
				if err != nil {
					return nil, fmt.Errorf("ledger: integrate %d: %w", old, err)
				}
				copy(buf, t)
			}
			ts.keys = append(ts.keys, k)
			ts.tiles[k] = buf
		}
	}
	return ts, nil
}

// visit records a node the compact range created if it belongs in a tile.
func (ts *tileSet) visit(id compact.NodeID, hash []byte) {
	if id.Level%TileHeight != 0 {
		return
	}
	k := tileKey{uint64(id.Level / TileHeight), id.Index / TileWidth}
	if buf, ok := ts.tiles[k]; ok {
		off := int(id.Index%TileWidth) * HashSize
		copy(buf[off:off+HashSize], hash)
	}
}

// objects returns the tiles to write, lowest level first.
func (ts *tileSet) objects() []object {
	objs := make([]object, 0, len(ts.keys))
	for _, k := range ts.keys {
		path := TilePath(k.level, k.index, tileWidth(k.level, k.index, ts.size))
		objs = append(objs, object{"tile", path, ts.tiles[k]})
	}
	return objs
}

// edge returns a reader of the grown tree holding its right-edge tiles: the
// ones the set built, and those of old (the reader of the tree before) that
// did not change. They are all the tiles the next run reads.
func (ts *tileSet) edge(store ObjectStore, old *TileReader) *TileReader {
	r := NewTileReader(store, ts.size)
	for level := uint64(0); ts.size>>(TileHeight*level) > 0; level++ {
		k := tileKey{level, ((ts.size >> (TileHeight * level)) - 1) / TileWidth}
		if t, ok := ts.tiles[k]; ok {
			r.tiles[k] = t
		} else if t, ok := old.tiles[k]; ok &&
			tileWidth(k.level, k.index, old.size) == tileWidth(k.level, k.index, ts.size) {
			r.tiles[k] = t
			if p, ok := old.pyramids[k]; ok {
				r.pyramids[k] = p
			}
		}
	}
	return r
}
