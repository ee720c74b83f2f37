package ots

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/xietong/xietong/localdev/boltblob"
)

// largeRow is the encoded size above which a row is kept in chunks (see
// package boltblob): its row entry then holds chunkMarker, the chunks' id
// and the length, and the chunks go to the table's chunk bucket.
const largeRow = 16 << 10

// chunkMarker starts a row entry that points at chunks. A stored row starts
// with the varint of its write time, never negative, so never 0x01 (the
// varint of -1).
var chunkMarker = []byte{0x01, 0x00, 'C'}

// rowBuffers holds the buffers rows are encoded into for a write.
var rowBuffers = sync.Pool{New: func() any { return new([]byte) }}

// chunksBucket names the bucket of table's row chunks.
func chunksBucket(table string) []byte { return []byte("c:" + table) }

// rowStore reads and writes the rows of one table inside a transaction.
type rowStore struct {
	tx    *bolt.Tx
	rows  *bolt.Bucket
	table string
}

// get returns the row at key, or nil if there is none.
func (s rowStore) get(key []byte) (*storedRow, error) {
	v := s.rows.Get(key)
	if v == nil {
		return nil, nil
	}
	return s.decode(v)
}

// decode parses a row entry, reading its chunks when it points at some.
func (s rowStore) decode(v []byte) (*storedRow, error) {
	if !bytes.HasPrefix(v, chunkMarker) {
		return decodeStoredRow(v)
	}
	id, n, err := parsePointer(v)
	if err != nil {
		return nil, err
	}
	chunks := s.tx.Bucket(chunksBucket(s.table))
	if chunks == nil {
		return nil, fmt.Errorf("ots: row chunks %d of %s: no chunk bucket", id, s.table)
	}
	enc, err := boltblob.Get(chunks, id, n)
	if err != nil {
		return nil, fmt.Errorf("ots: row of %s: %w", s.table, err)
	}
	return decodeStoredRow(enc)
}

// put stores r at key, replacing what was there. Its encoding goes into a
// pooled buffer, added to scratch: bbolt refers to it until the commit.
func (s rowStore) put(key []byte, r *storedRow, scratch *[]*[]byte) error {
	if err := s.dropChunks(key); err != nil {
		return err
	}
	buf := rowBuffers.Get().(*[]byte)
	*buf = r.appendTo((*buf)[:0])
	*scratch = append(*scratch, buf)
	enc := *buf
	if len(enc) <= largeRow {
		return s.rows.Put(key, enc)
	}
	chunks, err := s.tx.CreateBucketIfNotExists(chunksBucket(s.table))
	if err != nil {
		return err
	}
	id, err := boltblob.Put(chunks, enc)
	if err != nil {
		return err
	}
	ptr := binary.AppendUvarint(binary.AppendUvarint(bytes.Clone(chunkMarker), id),
		uint64(len(enc)))
	return s.rows.Put(key, ptr)
}

// delete removes the row at key.
func (s rowStore) delete(key []byte) error {
	if err := s.dropChunks(key); err != nil {
		return err
	}
	return s.rows.Delete(key)
}

// dropChunks removes the chunks of the row at key, if it has any.
func (s rowStore) dropChunks(key []byte) error {
	v := s.rows.Get(key)
	if !bytes.HasPrefix(v, chunkMarker) {
		return nil
	}
	id, _, err := parsePointer(v)
	if err != nil {
		return err
	}
	if chunks := s.tx.Bucket(chunksBucket(s.table)); chunks != nil {
		return boltblob.Delete(chunks, id)
	}
	return nil
}

var errBadPointer = errors.New("ots: malformed row chunk pointer")

// parsePointer reads the chunks' id and the encoded length from a row entry.
func parsePointer(v []byte) (id uint64, n int, err error) {
	rest := v[len(chunkMarker):]
	id, k := binary.Uvarint(rest)
	if k <= 0 {
		return 0, 0, errBadPointer
	}
	size, k2 := binary.Uvarint(rest[k:])
	if k2 <= 0 {
		return 0, 0, errBadPointer
	}
	return id, int(size), nil
}
