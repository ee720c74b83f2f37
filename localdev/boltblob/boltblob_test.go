package boltblob

import (
	"bytes"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestPutGetDelete stores values around the chunk size and well above it,
// reads each back, deletes some and checks that the others and the id list
// are intact.
func TestPutGetDelete(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "b.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := []byte("blobs")
	sizes := []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 300 << 10}
	values := map[uint64][]byte{}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		for i, n := range sizes {
			data := bytes.Repeat([]byte{byte(i + 1)}, n)
			id, err := Put(b, data)
			if err != nil {
				return err
			}
			values[id] = data
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(tx *bolt.Tx) {
		t.Helper()
		b := tx.Bucket(name)
		var ids []uint64
		if err := IDs(b, func(id uint64) error { ids = append(ids, id); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(values) {
			t.Fatalf("ids %v, want %d values", ids, len(values))
		}
		for _, id := range ids {
			got, err := Get(b, id, len(values[id]))
			if err != nil || !bytes.Equal(got, values[id]) {
				t.Fatalf("value %d: %d bytes, %v; want %d", id, len(got), err, len(values[id]))
			}
		}
	}
	db.View(func(tx *bolt.Tx) error { check(tx); return nil })
	err = db.Update(func(tx *bolt.Tx) error {
		for id, v := range values {
			if len(v) == ChunkSize || len(v) == 300<<10 {
				if err := Delete(tx.Bucket(name), id); err != nil {
					return err
				}
				delete(values, id)
			}
		}
		return Delete(tx.Bucket(name), 999) // Not there: no error.
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		check(tx)
		if _, err := Get(tx.Bucket(name), 999, 0); err == nil {
			t.Error("Get of an id never stored succeeded")
		}
		return nil
	})
}
