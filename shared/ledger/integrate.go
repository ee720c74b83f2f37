package ledger

import (
	"bytes"
	"context"
	"fmt"

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
	next, err := l.writeBatch(ctx, st, entries)
	if err != nil {
		return st, err
	}
	if err := l.seq.SetState(ctx, st, next); err != nil {
		return st, fmt.Errorf("ledger: integrate %d: %w", next.Size, err)
	}
	return next, nil
}

// writeBatch writes the bundles and tiles that appending entries to the tree
// of state st produces, and returns the state after it.
func (l *Log) writeBatch(ctx context.Context, st TreeState, entries [][]byte) (TreeState, error) {
	old := st.Size
	size := old + uint64(len(entries))
	tr := NewTileReader(l.store, old)
	cr, err := tr.Range(ctx)
	if err != nil {
		return st, fmt.Errorf("ledger: integrate %d: %w", old, err)
	}
	if err := checkRoot(cr, st); err != nil {
		return st, err
	}
	tiles, err := newTileSet(ctx, tr, old, size)
	if err != nil {
		return st, err
	}
	for _, e := range entries {
		if len(e) > MaxEntrySize {
			return st, fmt.Errorf("ledger: integrate: %d-byte entry: %w", len(e), ErrTooLarge)
		}
		if err := cr.Append(hasher.HashLeaf(e), tiles.visit); err != nil {
			return st, fmt.Errorf("ledger: integrate: %w", err)
		}
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		return st, fmt.Errorf("ledger: integrate: %w", err)
	}
	if err := l.writeBundles(ctx, old, entries); err != nil {
		return st, err
	}
	if err := tiles.write(ctx, l.store); err != nil {
		return st, err
	}
	return TreeState{Size: size, Root: root}, nil
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

// writeBundles writes the entry bundles that change when entries are appended
// at index old, starting from the partial bundle already stored.
func (l *Log) writeBundles(ctx context.Context, old uint64, entries [][]byte) error {
	var bundle []byte
	if old%TileWidth != 0 {
		path := EntriesPath(old/TileWidth, int(old%TileWidth))
		b, err := l.store.Get(ctx, path)
		if err != nil {
			return fmt.Errorf("ledger: integrate: bundle %q: %w", path, err)
		}
		bundle = b
	}
	index := old
	for i, e := range entries {
		bundle = appendBundle(bundle, e)
		index++
		if index%TileWidth != 0 && i < len(entries)-1 {
			continue
		}
		w := int((index-1)%TileWidth) + 1
		path := EntriesPath((index-1)/TileWidth, w)
		if err := l.store.Put(ctx, path, bundle, true); err != nil {
			return fmt.Errorf("ledger: integrate: bundle %q: %w", path, err)
		}
		bundle = nil
	}
	return nil
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

// write stores the tiles lowest level first, so that a reader never finds a
// higher tile without the tiles below it.
func (ts *tileSet) write(ctx context.Context, store ObjectStore) error {
	for _, k := range ts.keys {
		path := TilePath(k.level, k.index, tileWidth(k.level, k.index, ts.size))
		if err := store.Put(ctx, path, ts.tiles[k], true); err != nil {
			return fmt.Errorf("ledger: integrate: tile %q: %w", path, err)
		}
	}
	return nil
}
