package ledgerstore

import (
	"bytes"
	"context"
	"testing"

	"github.com/xietong/xietong/shared/ledger"
)

// TestSequencedFromRecent interleaves batch rows of two instances, so that
// one instance holds only its own rows in memory, and checks that what it
// returns for every start and limit equals what a fresh instance reads from
// Tablestore alone; then that changing the callers' entry slices changes
// nothing, and that integrated rows are forgotten.
func TestSequencedFromRecent(t *testing.T) {
	ctx := context.Background()
	seqs := instances(t, 3)
	a, b, fresh := seqs[0], seqs[1], seqs[2]
	var mine [][]byte // entry slices a's callers own
	n := 0
	for i, size := range []int{3, 1, 256, 7, 250, 2, 9, 256, 1, 40} {
		batch := make([][]byte, size)
		for j := range batch {
			batch[j] = entry(n)
			n++
		}
		seq := a
		if i%3 == 1 {
			seq = b
		} else {
			mine = append(mine, batch...)
		}
		if _, err := seq.Assign(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		for _, from := range []uint64{0, 1, 3, 4, 100, 260, 266, 267, 516, 517, 600, 1024, 1025} {
			for _, limit := range []int{1, 5, 300, 2000} {
				got, err := a.Sequenced(ctx, from, limit)
				if err != nil {
					t.Fatal(err)
				}
				want, err := fresh.Sequenced(ctx, from, limit)
				if err != nil {
					t.Fatal(err)
				}
				if !equalEntries(got, want) {
					t.Fatalf("Sequenced(%d, %d): %d entries, Tablestore alone gives %d",
						from, limit, len(got), len(want))
				}
				if len(want) > 0 && !bytes.Equal(want[0], entry(int(from))) {
					t.Fatalf("Sequenced(%d, %d) starts with %s", from, limit, want[0])
				}
			}
		}
	}
	check()
	if a.recent.bytes == 0 {
		t.Fatal("the instance holds none of the rows it wrote")
	}
	for _, e := range mine {
		copy(e, "zzzz")
	}
	check()

	st, err := a.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetState(ctx, st, ledger.TreeState{Size: 517, Root: []byte("r")}); err != nil {
		t.Fatal(err)
	}
	for start, row := range a.recent.starts {
		if row.end() < 517 {
			t.Errorf("row %d to %d still held after integrating to 517", start, row.end())
		}
	}
	check()
}

func equalEntries(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestRecentBounded checks that the rows held stay within recentMaxBytes.
func TestRecentBounded(t *testing.T) {
	var r recent
	entry := make([]byte, 64<<10)
	for i := range 1000 {
		r.add(&batch{start: uint64(i * 4), entries: [][]byte{entry, entry, entry, entry}})
	}
	if r.bytes > recentMaxBytes || len(r.starts) != len(r.order) || len(r.ends) != len(r.order) {
		t.Fatalf("holding %d bytes in %d rows (%d ends, %d in order), limit %d",
			r.bytes, len(r.starts), len(r.ends), len(r.order), recentMaxBytes)
	}
	if r.at(3996) == nil || r.at(0) != nil {
		t.Error("the newest row must be held and the oldest dropped")
	}
}
