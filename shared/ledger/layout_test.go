package ledger

import "testing"

func TestPaths(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{TilePath(0, 0, 256), "tile/0/000"},
		{TilePath(0, 1234067, 0), "tile/0/x001/x234/067"},
		{TilePath(1, 4, 17), "tile/1/004.p/17"},
		{TilePath(2, 1000, 1), "tile/2/x001/000.p/1"},
		{EntriesPath(1234067, 256), "tile/entries/x001/x234/067"},
		{EntriesPath(0, 5), "tile/entries/000.p/5"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("path = %q, want %q", tt.got, tt.want)
		}
	}
}

// TestTileWidths checks the tile inventory of a 70000-entry tree against the
// example in C2SP tlog-tiles.
func TestTileWidths(t *testing.T) {
	const size = 70000
	tests := []struct {
		level, index uint64
		want         int
	}{
		{0, 272, 256},
		{0, 273, 112},
		{0, 274, 0},
		{1, 0, 256},
		{1, 1, 17},
		{2, 0, 1},
		{3, 0, 0},
	}
	for _, tt := range tests {
		if got := tileWidth(tt.level, tt.index, size); got != tt.want {
			t.Errorf("tileWidth(%d, %d, %d) = %d, want %d", tt.level, tt.index, size, got, tt.want)
		}
	}
}
