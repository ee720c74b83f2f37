package ledgerverify

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
)

// storedLog is a fresh published log whose store a test may damage.
func storedLog(t *testing.T) (*fixture, *ledger.MemStore) {
	t.Helper()
	f, err := newFixture(0)
	if err != nil {
		t.Fatal(err)
	}
	store := new(ledger.MemStore)
	f.log, err = ledger.New(ledger.Config{Store: store, Sequencer: new(ledger.MemSequencer),
		Key: f.skey})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.grow(300); err != nil {
		t.Fatal(err)
	}
	return f, store
}

// damage rewrites the object at path with edit's result.
func damage(t *testing.T, store *ledger.MemStore, path string, edit func([]byte) []byte) {
	t.Helper()
	data, err := store.Get(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(context.Background(), path, edit(data), false); err != nil {
		t.Fatal(err)
	}
}

// bundleEntries splits an entry bundle; joinBundle is its inverse.
func bundleEntries(data []byte) [][]byte {
	var out [][]byte
	for len(data) >= 2 {
		n := int(binary.BigEndian.Uint16(data))
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out
}

func joinBundle(es [][]byte) []byte {
	var out []byte
	for _, e := range es {
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out
}

// TestTamperedStorage damages each stored piece of a published log (an
// entry in its bundle, a hash tile, the checkpoint, a reordered pair of
// entries) and checks that what a party then downloads fails verification,
// naming what failed. The log here has no witnesses: cosignatures are
// damaged in TestCheckReceiptNamesFailure.
func TestTamperedStorage(t *testing.T) {
	ctx := context.Background()
	logOnly := func(f *fixture) Keys {
		k, _ := ParseKeys(f.vkey, nil, 0)
		k.Envelopes = f.keys.Envelopes
		return k
	}
	bundle0 := ledger.EntriesPath(0, ledger.TileWidth)
	t.Run("entry in its bundle", func(t *testing.T) {
		f, store := storedLog(t)
		damage(t, store, bundle0, func(b []byte) []byte {
			es := bundleEntries(b)
			es[5] = bytes.Replace(es[5], []byte(`"software"`), []byte(`"dataset"`), 1)
			return joinBundle(es)
		})
		served, err := f.log.Entry(ctx, 5, 300)
		if err != nil {
			t.Fatal(err)
		}
		_, err = CheckReceipt(logOnly(f), f.receipt(t, 5), served, envelope.DigestOf(f.entries[5]))
		if FailureOf(err) != TamperedEntry {
			t.Errorf("damaged entry: %v, want failure %q", err, TamperedEntry)
		}
	})
	t.Run("reordered pair", func(t *testing.T) {
		f, store := storedLog(t)
		damage(t, store, bundle0, func(b []byte) []byte {
			es := bundleEntries(b)
			es[8], es[9] = es[9], es[8]
			return joinBundle(es)
		})
		served, _ := f.log.Entry(ctx, 8, 300)
		_, err := CheckReceipt(logOnly(f), f.receipt(t, 8), served, "")
		if FailureOf(err) != BadProof { // a validly signed entry of another index
			t.Errorf("swapped entries: %v, want failure %q", err, BadProof)
		}
	})
	t.Run("hash tile", func(t *testing.T) {
		f, store := storedLog(t)
		damage(t, store, ledger.TilePath(0, 0, ledger.TileWidth), func(b []byte) []byte {
			b[5*ledger.HashSize] ^= 1 // leaf 5, on entry 4's path
			return b
		})
		_, err := CheckReceipt(logOnly(f), f.receipt(t, 4), f.entries[4],
			envelope.DigestOf(f.entries[4]))
		if FailureOf(err) != BadProof {
			t.Errorf("receipt from a damaged tile: %v, want failure %q", err, BadProof)
		}
	})
	t.Run("checkpoint", func(t *testing.T) {
		f, store := storedLog(t)
		damage(t, store, ledger.CheckpointPath, func(b []byte) []byte {
			return bytes.Replace(b, []byte("\n300\n"), []byte("\n299\n"), 1)
		})
		cp, _ := store.Get(ctx, ledger.CheckpointPath)
		if _, err := CheckCheckpoint(logOnly(f), cp); FailureOf(err) != TamperedCheckpoint {
			t.Errorf("damaged checkpoint: %v, want failure %q", err, TamperedCheckpoint)
		}
	})
}
