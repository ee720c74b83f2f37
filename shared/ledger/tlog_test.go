package ledger

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestTilesMatchSumdbTiling checks every tile the log wrote, full and
// partial, against an independent implementation: the Go checksum
// database's tlog package (same RFC 6962 tree, height-8 tiles, paths that
// differ only by the height element).
func TestTilesMatchSumdbTiling(t *testing.T) {
	ctx := context.Background()
	l, store, _ := newTestLog(t)
	var hashes []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	prev := int64(0)
	for _, size := range []int64{1, 255, 256, 300, 65535, 65536, 65800, 70000} {
		for n := prev; n < size; n++ {
			stored, err := tlog.StoredHashes(n, entry(int(n)), hr)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, stored...)
		}
		grow(t, l, entries(int(prev), int(size)))
		for _, tile := range tlog.NewTiles(TileHeight, prev, size) {
			want, err := tlog.ReadTileData(tile, hr)
			if err != nil {
				t.Fatal(err)
			}
			path := TilePath(uint64(tile.L), uint64(tile.N), tile.W)
			if sumdb := strings.Replace(tile.Path(), "tile/8/", "tile/", 1); sumdb != path {
				t.Errorf("path %q, sumdb says %q", path, sumdb)
			}
			got, err := store.Get(ctx, path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("size %d: tile %q differs from sumdb's (%v)", size, path, err)
			}
		}
		root, err := tlog.TreeHash(size, hr)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := NewTileReader(store, uint64(size)).Root(ctx); !bytes.Equal(got, root[:]) {
			t.Errorf("size %d: root %x, sumdb %x", size, got, root)
		}
		prev = size
	}
}
