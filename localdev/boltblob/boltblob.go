// Package boltblob keeps large values in a bbolt bucket as chunks of about
// half a page, under ids from the bucket's sequence.
//
// bbolt never splits a node of four keys or fewer, so a bucket of values of
// 100 KiB and more rewrites up to four of them, in one freshly allocated
// buffer, on every commit that touches one. The emulators store such values
// (Tablestore batch rows of the ledger, OSS entry bundles): kept whole, a
// commit of one 130 KiB value wrote and allocated several times that. Kept
// as chunks under growing ids, new chunks fill new pages at the end of the
// bucket and each page is written once.
package boltblob

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ChunkSize is the size of every chunk but a value's last: two fit a 4 KiB
// page with their keys.
const ChunkSize = 2000

// Put stores data in b under a new id and returns it.
func Put(b *bolt.Bucket, data []byte) (uint64, error) {
	b.FillPercent = 1 // Ids only grow: a full page is never split again.
	id, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("boltblob: put: %w", err)
	}
	for i := 0; i == 0 || i*ChunkSize < len(data); i++ {
		chunk := data[i*ChunkSize : min(len(data), (i+1)*ChunkSize)]
		if err := b.Put(chunkKey(id, i), chunk); err != nil {
			return 0, fmt.Errorf("boltblob: put %d: %w", id, err)
		}
	}
	return id, nil
}

// Get returns a copy of the value id, which must hold n bytes.
func Get(b *bolt.Bucket, id uint64, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	prefix := binary.BigEndian.AppendUint64(nil, id)
	c := b.Cursor()
	found := false
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		out, found = append(out, v...), true
	}
	if !found || len(out) != n {
		return nil, fmt.Errorf("boltblob: get %d: %d bytes stored, want %d", id, len(out), n)
	}
	return out, nil
}

// Delete removes the value id; removing one that is not there is no error.
func Delete(b *bolt.Bucket, id uint64) error {
	prefix := binary.BigEndian.AppendUint64(nil, id)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return fmt.Errorf("boltblob: delete %d: %w", id, err)
		}
	}
	return nil
}

// IDs calls fn with the id of every value in b, in order.
func IDs(b *bolt.Bucket, fn func(id uint64) error) error {
	c := b.Cursor()
	for k, _ := c.First(); k != nil; {
		if len(k) != 12 {
			return fmt.Errorf("boltblob: key %x: not a chunk key", k)
		}
		id := binary.BigEndian.Uint64(k)
		if err := fn(id); err != nil {
			return err
		}
		k, _ = c.Seek(binary.BigEndian.AppendUint64(nil, id+1))
	}
	return nil
}

func chunkKey(id uint64, i int) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, id), uint32(i))
}
