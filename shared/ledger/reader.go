package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

var hasher = rfc6962.DefaultHasher

// Reader computes node hashes, proofs and entries of a tree of a given size
// from the tiles in an ObjectStore, fetching only the tiles it needs. It is
// what a client with read access to the store needs; it holds no state, so
// it is safe for concurrent use.
type Reader struct {
	Store ObjectStore
}

// TileReader fetches the tiles of one tree size and caches them, and the
// nodes it computes from them, for its own lifetime; reuse one for many
// proofs at the same size. It is not safe for concurrent use.
type TileReader struct {
	store    ObjectStore
	size     uint64
	tiles    map[tileKey][]byte
	pyramids map[tileKey]pyramid
	fetched  int
}

type tileKey struct{ level, index uint64 }

// NewTileReader returns a TileReader for the tree of size in store.
func NewTileReader(store ObjectStore, size uint64) *TileReader {
	return &TileReader{
		store:    store,
		size:     size,
		tiles:    make(map[tileKey][]byte),
		pyramids: make(map[tileKey]pyramid),
	}
}

// Fetched reports how many tiles the reader has fetched from the store.
func (r *TileReader) Fetched() int { return r.fetched }

// Tile returns the hashes of tile (level, index) as the tree of the reader's
// size has it, one 32-byte slice per hash.
func (r *TileReader) Tile(ctx context.Context, level, index uint64) ([]byte, error) {
	k := tileKey{level, index}
	if t, ok := r.tiles[k]; ok {
		return t, nil
	}
	w := tileWidth(level, index, r.size)
	if w == 0 {
		return nil, fmt.Errorf("ledger: tile %d/%d at size %d: %w",
			level, index, r.size, ErrNotFound)
	}
	path := TilePath(level, index, w)
	t, err := r.store.Get(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("ledger: tile %q: %w", path, err)
	}
	if len(t) != w*HashSize {
		return nil, fmt.Errorf("ledger: tile %q: %d bytes, want %d: %w",
			path, len(t), w*HashSize, ErrCorrupt)
	}
	r.fetched++
	r.tiles[k] = t
	return t, nil
}

// Node returns the hash of a perfect subtree node of the tree. Nodes between
// tile levels are hashed up from the tile below; the reader keeps every node
// of a tile it has hashed, so later proofs through the tile cost no hashing.
func (r *TileReader) Node(ctx context.Context, id compact.NodeID) ([]byte, error) {
	if _, end := id.Coverage(); end > r.size {
		return nil, fmt.Errorf("ledger: node %d/%d outside size %d: %w",
			id.Level, id.Index, r.size, ErrNotFound)
	}
	level := uint64(id.Level / TileHeight)
	sub := id.Level % TileHeight
	first := id.Index << sub
	k := tileKey{level, first / TileWidth}
	p, ok := r.pyramids[k]
	if !ok {
		t, err := r.Tile(ctx, k.level, k.index)
		if err != nil {
			return nil, err
		}
		p = newPyramid(t)
		r.pyramids[k] = p
	}
	off := int(first%TileWidth) >> sub
	return p[sub][off*HashSize : (off+1)*HashSize], nil
}

// pyramid holds every perfect subtree node inside one tile: pyramid[k] is the
// run of nodes k levels above the tile's own hashes.
type pyramid [TileHeight][]byte

func newPyramid(tile []byte) pyramid {
	var p pyramid
	p[0] = tile
	for k := 1; k < TileHeight; k++ {
		below := p[k-1]
		n := len(below) / HashSize / 2
		row := make([]byte, n*HashSize)
		var buf [1 + 2*HashSize]byte
		buf[0] = 1 // RFC 6962 node prefix
		for i := range n {
			copy(buf[1:], below[2*i*HashSize:(2*i+2)*HashSize])
			sum := sha256.Sum256(buf[:])
			copy(row[i*HashSize:], sum[:])
		}
		p[k] = row
	}
	return p
}

// nodes fetches the hashes of ids.
func (r *TileReader) nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := r.Node(ctx, id)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// Range returns the compact range [0, size) of the reader's tree.
func (r *TileReader) Range(ctx context.Context) (*compact.Range, error) {
	hashes, err := r.nodes(ctx, compact.RangeNodes(0, r.size, nil))
	if err != nil {
		return nil, err
	}
	return rangeFactory.NewRange(0, r.size, hashes)
}

var rangeFactory = &compact.RangeFactory{Hash: hasher.HashChildren}

// Root returns the root hash of the reader's tree.
func (r *TileReader) Root(ctx context.Context) ([]byte, error) {
	if r.size == 0 {
		return hasher.EmptyRoot(), nil
	}
	cr, err := r.Range(ctx)
	if err != nil {
		return nil, err
	}
	return cr.GetRootHash(nil)
}

// InclusionProof returns the inclusion proof of the entry at index in the
// tree of the reader's size.
func (r *TileReader) InclusionProof(ctx context.Context, index uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, r.size)
	if err != nil {
		return nil, fmt.Errorf("ledger: inclusion proof %d at size %d: %w", index, r.size, err)
	}
	return r.rehash(ctx, nodes)
}

// ConsistencyProof returns the proof that the tree of size old is a prefix of
// the tree of the reader's size.
func (r *TileReader) ConsistencyProof(ctx context.Context, old uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(old, r.size)
	if err != nil {
		return nil, fmt.Errorf("ledger: consistency proof %d to %d: %w", old, r.size, err)
	}
	return r.rehash(ctx, nodes)
}

func (r *TileReader) rehash(ctx context.Context, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := r.nodes(ctx, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// InclusionProof returns the inclusion proof of the entry at index in the
// tree of size.
func (r Reader) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	return NewTileReader(r.Store, size).InclusionProof(ctx, index)
}

// ConsistencyProof returns the consistency proof from size old to size.
func (r Reader) ConsistencyProof(ctx context.Context, old, size uint64) ([][]byte, error) {
	return NewTileReader(r.Store, size).ConsistencyProof(ctx, old)
}

// Entry returns the entry at index from the entry bundles of the tree of size.
func (r Reader) Entry(ctx context.Context, index, size uint64) ([]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("ledger: entry %d at size %d: %w", index, size, ErrNotFound)
	}
	entries, err := r.Bundle(ctx, index/TileWidth, size)
	if err != nil {
		return nil, err
	}
	return entries[index%TileWidth], nil
}

// Bundle returns the entries of entry bundle n as the tree of size has it:
// entries n×256 up to 256 more, fewer in the last bundle.
func (r Reader) Bundle(ctx context.Context, n, size uint64) ([][]byte, error) {
	w := tileWidth(0, n, size)
	if w == 0 {
		return nil, fmt.Errorf("ledger: bundle %d at size %d: %w", n, size, ErrNotFound)
	}
	path := EntriesPath(n, w)
	data, err := r.Store.Get(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("ledger: bundle %q: %w", path, err)
	}
	entries, err := parseBundle(data)
	if err != nil {
		return nil, fmt.Errorf("ledger: bundle %q: %w", path, err)
	}
	if len(entries) != w {
		return nil, fmt.Errorf("ledger: bundle %q: %d entries, want %d: %w",
			path, len(entries), w, ErrCorrupt)
	}
	return entries, nil
}

// appendBundle appends entry to an entry bundle with its uint16 length prefix.
func appendBundle(bundle, entry []byte) []byte {
	bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(entry)))
	return append(bundle, entry...)
}

var errShortBundle = errors.New("truncated entry")

// parseBundle splits an entry bundle into its entries.
func parseBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("%w: %w", errShortBundle, ErrCorrupt)
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, fmt.Errorf("%w: %w", errShortBundle, ErrCorrupt)
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out, nil
}
