package ledger

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	flog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// publishedLog returns a log with n entries and a published checkpoint.
func publishedLog(t *testing.T, n int) *Log {
	t.Helper()
	l, _, _ := newTestLog(t)
	grow(t, l, entries(0, n))
	if _, err := l.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCheckpointIsSignedNote(t *testing.T) {
	l := publishedLog(t, 10)
	raw, err := l.store.Get(context.Background(), CheckpointPath)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(raw, note.VerifierList(l.Verifier()))
	if err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	bt := new(bruteTree)
	bt.add(entries(0, 10)...)
	want := flog.Checkpoint{Origin: "example.test/log", Size: 10, Hash: bt.root(10)}.Marshal()
	if n.Text != string(want) {
		t.Errorf("checkpoint text = %q, want %q", n.Text, want)
	}
}

func TestEmptyLogCheckpoint(t *testing.T) {
	l, _, _ := newTestLog(t)
	c, err := l.Publish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != 0 || !bytes.Equal(c.Hash, hasher.EmptyRoot()) {
		t.Errorf("empty checkpoint = %d %x, want 0 and the empty root", c.Size, c.Hash)
	}
}

func TestReceiptVerifies(t *testing.T) {
	ctx := context.Background()
	l := publishedLog(t, 300)
	for _, i := range []uint64{0, 1, 255, 256, 299} {
		r, err := l.Receipt(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(r, []byte("c2sp.org/tlog-proof@v1\nindex ")) {
			t.Errorf("receipt %d does not start with the tlog-proof header:\n%s", i, r)
		}
		c, err := VerifyReceipt(r, entry(int(i)), l.Verifier(), nil)
		if err != nil {
			t.Errorf("VerifyReceipt(%d): %v", i, err)
		} else if c.Size != 300 {
			t.Errorf("VerifyReceipt(%d) size = %d, want 300", i, c.Size)
		}
	}
	if _, err := l.Receipt(ctx, 300); !errors.Is(err, ErrNotFound) {
		t.Errorf("Receipt(300) error = %v, want ErrNotFound", err)
	}
}

func TestReceiptRefusals(t *testing.T) {
	ctx := context.Background()
	l := publishedLog(t, 20)
	r, err := l.Receipt(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	good := entry(7)

	otherKey, otherVKey, _ := GenerateKey("other.test/log")
	other := newLogOver(t, new(MemStore), new(MemSequencer), otherKey)
	grow(t, other, entries(0, 20))
	if _, err := other.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	otherReceipt, _ := other.Receipt(ctx, 7)
	otherVerifier, _ := note.NewVerifier(otherVKey)

	tests := []struct {
		name     string
		receipt  []byte
		entry    []byte
		verifier note.Verifier
		want     error
	}{
		{"tampered entry", r, []byte(`{"n":8}`), l.Verifier(), ErrInclusion},
		{"tampered proof", tamperProof(t, r), good, l.Verifier(), ErrInclusion},
		{"other index", replace(r, "index 7", "index 6"), good, l.Verifier(), ErrInclusion},
		{"tampered checkpoint", replace(r, "\n20\n", "\n21\n"), good, l.Verifier(), ErrSignature},
		{"wrong key", r, good, otherVerifier, ErrSignature},
		{"other log", otherReceipt, good, l.Verifier(), ErrSignature},
		{"other origin, same key", reOrigin(t, l, r), good, l.Verifier(), ErrOrigin},
		{"garbage", []byte("not a receipt"), good, l.Verifier(), ErrCorrupt},
	}
	for _, tt := range tests {
		_, err := VerifyReceipt(tt.receipt, tt.entry, tt.verifier, nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyReceipt error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// tamperProof flips a bit in the first inclusion hash of a receipt.
func tamperProof(t *testing.T, r []byte) []byte {
	t.Helper()
	var rc Receipt
	if err := rc.Unmarshal(r); err != nil {
		t.Fatal(err)
	}
	rc.Hashes[0][0] ^= 1
	return rc.Marshal()
}

// reOrigin re-signs the receipt's checkpoint with the log's own key but
// another origin line, as a confused or malicious operator might.
func reOrigin(t *testing.T, l *Log, r []byte) []byte {
	t.Helper()
	var rc Receipt
	if err := rc.Unmarshal(r); err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(rc.Checkpoint, note.VerifierList(l.Verifier()))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(n.Text, "example.test/log", "elsewhere.test/log", 1)
	rc.Checkpoint, err = note.Sign(&note.Note{Text: text}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return rc.Marshal()
}

// TestPublishRefusesFork shows the log will not sign a tree that does not
// extend its published checkpoint.
func TestPublishRefusesFork(t *testing.T) {
	ctx := context.Background()
	a := publishedLog(t, 5)
	cp, _ := a.store.Get(ctx, CheckpointPath)

	b, store, _ := newTestLog(t)
	diverged := entries(0, 8)
	diverged[2] = []byte("rewritten history")
	grow(t, b, diverged)
	if err := store.Put(ctx, CheckpointPath, cp, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(ctx); !errors.Is(err, ErrFork) {
		t.Errorf("Publish over diverged history: error = %v, want ErrFork", err)
	}
}

// TestTamperedStorage damages stored pieces of a published log and shows a
// receipt built from, or checked against, them is refused.
func TestTamperedStorage(t *testing.T) {
	ctx := context.Background()
	t.Run("tile", func(t *testing.T) {
		l, store, _ := newTestLog(t)
		grow(t, l, entries(0, 300))
		if _, err := l.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		path := TilePath(0, 0, TileWidth)
		tile, _ := store.Get(ctx, path)
		tile[5*HashSize] ^= 1 // leaf 5's hash
		store.objects[path] = tile
		r, err := l.Receipt(ctx, 4) // leaf 5 is on entry 4's path
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyReceipt(r, entry(4), l.Verifier(), nil); !errors.Is(err, ErrInclusion) {
			t.Errorf("receipt from a damaged tile: error = %v, want ErrInclusion", err)
		}
	})
	t.Run("reordered pair", func(t *testing.T) {
		l := publishedLog(t, 20)
		r8, _ := l.Receipt(ctx, 8)
		r9, _ := l.Receipt(ctx, 9)
		for _, c := range []struct {
			r     []byte
			entry []byte
		}{{r8, entry(9)}, {r9, entry(8)}} {
			if _, err := VerifyReceipt(c.r, c.entry, l.Verifier(), nil); !errors.Is(err,
				ErrInclusion) {
				t.Errorf("swapped entries: error = %v, want ErrInclusion", err)
			}
		}
	})
	t.Run("checkpoint", func(t *testing.T) {
		l, store, _ := newTestLog(t)
		grow(t, l, entries(0, 20))
		if _, err := l.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		cp, _ := store.Get(ctx, CheckpointPath)
		store.objects[CheckpointPath] = bytes.Replace(cp, []byte("\n20\n"), []byte("\n19\n"), 1)
		if _, err := l.Checkpoint(ctx); !errors.Is(err, ErrSignature) {
			t.Errorf("edited checkpoint: error = %v, want ErrSignature", err)
		}
	})
}

func replace(b []byte, old, new string) []byte {
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestVerifyConsistency(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLog(t)
	grow(t, l, entries(0, 100))
	old, err := l.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grow(t, l, entries(100, 300))
	cur, err := l.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := l.ConsistencyProof(ctx, 100, 300)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyConsistency(old.Raw, cur.Raw, cons, l.Verifier(), nil); err != nil {
		t.Errorf("VerifyConsistency(100, 300): %v", err)
	}

	// A log with the same key whose history differs at entry 50: its own
	// proof from 100 cannot lead from the old checkpoint.
	fork, _, _ := newTestLog(t)
	diverged := entries(0, 300)
	diverged[50] = []byte("rewritten")
	grow(t, fork, diverged)
	forked, err := fork.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	forkCons, _ := fork.ConsistencyProof(ctx, 100, 300)
	_, err = VerifyConsistency(old.Raw, forked.Raw, forkCons, l.Verifier(), nil)
	if !errors.Is(err, ErrFork) {
		t.Errorf("split view: error = %v, want ErrFork", err)
	}
	bad := append([][]byte(nil), cons...)
	bad[0] = make([]byte, HashSize)
	if _, err := VerifyConsistency(old.Raw, cur.Raw, bad, l.Verifier(), nil); !errors.Is(err,
		ErrFork) {
		t.Errorf("bad consistency proof: error = %v, want ErrFork", err)
	}
}
