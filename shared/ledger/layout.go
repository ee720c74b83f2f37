package ledger

import (
	"fmt"
	"strconv"
	"strings"
)

// TileHeight is the number of Merkle tree levels a tile spans, and TileWidth
// the number of hashes (or entries) in a full tile, as fixed by C2SP tlog-tiles.
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
)

// HashSize is the size of a SHA-256 node hash in a tile.
const HashSize = 32

// MaxEntrySize is the largest entry an entry bundle can hold (uint16 length).
const MaxEntrySize = 1<<16 - 1

// CheckpointPath is the object path of the latest checkpoint.
const CheckpointPath = "checkpoint"

// TilePath returns the path of the hash tile at level and index. A width of
// TileWidth (or 0) names the full tile; a smaller width names a partial tile.
func TilePath(level, index uint64, width int) string {
	return "tile/" + strconv.FormatUint(level, 10) + "/" + indexPath(index) + partialSuffix(width)
}

// EntriesPath returns the path of the entry bundle at index; width works as in
// TilePath.
func EntriesPath(index uint64, width int) string {
	return "tile/entries/" + indexPath(index) + partialSuffix(width)
}

func partialSuffix(width int) string {
	if width <= 0 || width >= TileWidth {
		return ""
	}
	return ".p/" + strconv.Itoa(width)
}

// indexPath encodes n as zero-padded three-digit path elements, every element
// but the last prefixed with "x": 1234067 becomes "x001/x234/067".
func indexPath(n uint64) string {
	var parts []string
	for {
		parts = append(parts, fmt.Sprintf("%03d", n%1000))
		n /= 1000
		if n == 0 {
			break
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		if i > 0 {
			b.WriteString("x" + parts[i] + "/")
		} else {
			b.WriteString(parts[i])
		}
	}
	return b.String()
}

// tileWidth returns how many hashes tile (level, index) holds in a tree of
// size: TileWidth for a full tile, 0 when the tile does not exist yet.
func tileWidth(level, index, size uint64) int {
	nodes := size >> (TileHeight * level)
	start := index * TileWidth
	if nodes <= start {
		return 0
	}
	return int(min(nodes-start, TileWidth))
}
