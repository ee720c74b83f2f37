package ots

import (
	"encoding/binary"
	"errors"
	"slices"
	"sort"
)

// version is one timestamped value of an attribute column.
type version struct {
	ts  int64
	val value
}

// column is an attribute column with its versions, newest first.
type column struct {
	name string
	vers []version
}

// storedRow is the engine's form of a row's attributes. written is the
// time (ms) of the last write, which keeps an attribute-less row alive.
type storedRow struct {
	written int64
	cols    []column
}

var errBadRow = errors.New("bad stored row")

func (r *storedRow) find(name string) int {
	i := sort.Search(len(r.cols), func(i int) bool { return r.cols[i].name >= name })
	if i < len(r.cols) && r.cols[i].name == name {
		return i
	}
	return -1
}

// column returns the named column, or nil.
func (r *storedRow) column(name string) *column {
	if i := r.find(name); i >= 0 {
		return &r.cols[i]
	}
	return nil
}

// putVersion adds or replaces one version of a column.
func (r *storedRow) putVersion(name string, ver version) {
	i := sort.Search(len(r.cols), func(i int) bool { return r.cols[i].name >= name })
	if i == len(r.cols) || r.cols[i].name != name {
		r.cols = append(r.cols, column{})
		copy(r.cols[i+1:], r.cols[i:])
		r.cols[i] = column{name: name}
	}
	c := &r.cols[i]
	j := sort.Search(len(c.vers), func(j int) bool { return c.vers[j].ts <= ver.ts })
	if j < len(c.vers) && c.vers[j].ts == ver.ts {
		c.vers[j] = ver
		return
	}
	c.vers = append(c.vers, version{})
	copy(c.vers[j+1:], c.vers[j:])
	c.vers[j] = ver
}

// deleteColumn removes every version of a column.
func (r *storedRow) deleteColumn(name string) {
	if i := r.find(name); i >= 0 {
		r.cols = append(r.cols[:i], r.cols[i+1:]...)
	}
}

// deleteVersion removes one version of a column.
func (r *storedRow) deleteVersion(name string, ts int64) {
	i := r.find(name)
	if i < 0 {
		return
	}
	c := &r.cols[i]
	for j := range c.vers {
		if c.vers[j].ts == ts {
			c.vers = append(c.vers[:j], c.vers[j+1:]...)
			break
		}
	}
	if len(c.vers) == 0 {
		r.deleteColumn(name)
	}
}

// trim drops versions beyond max, as Tablestore does asynchronously.
// TODO(#3): trimming at write time means raising max_versions later does
// not bring back older versions the cloud may still hold.
func (r *storedRow) trim(max int) {
	for i := range r.cols {
		if len(r.cols[i].vers) > max {
			r.cols[i].vers = r.cols[i].vers[:max]
		}
	}
}

func (r *storedRow) clone() *storedRow {
	out := &storedRow{written: r.written, cols: make([]column, len(r.cols))}
	for i, c := range r.cols {
		out.cols[i] = column{name: c.name, vers: append([]version(nil), c.vers...)}
	}
	return out
}

// encode serialises the row for bbolt.
func (r *storedRow) encode() []byte { return r.appendTo(nil) }

// appendTo appends r's encoding to b, growing it once to the size needed.
func (r *storedRow) appendTo(b []byte) []byte {
	b = slices.Grow(b, r.encodedSize())
	b = binary.AppendVarint(b, r.written)
	b = binary.AppendUvarint(b, uint64(len(r.cols)))
	for _, c := range r.cols {
		b = binary.AppendUvarint(b, uint64(len(c.name)))
		b = append(b, c.name...)
		b = binary.AppendUvarint(b, uint64(len(c.vers)))
		for _, v := range c.vers {
			b = binary.AppendVarint(b, v.ts)
			b = append(b, byte(v.val.kind))
			switch v.val.kind {
			case kindInt, kindDouble, kindBool:
				b = binary.AppendVarint(b, v.val.num)
			default:
				b = binary.AppendUvarint(b, uint64(len(v.val.raw)))
				b = append(b, v.val.raw...)
			}
		}
	}
	return b
}

// encodedSize bounds the length of r.encode(): a varint takes at most
// binary.MaxVarintLen64 bytes. Rows hold blobs up to 2 MiB, and growing the
// buffer step by step copied each several times.
func (r *storedRow) encodedSize() int {
	n := 2 * binary.MaxVarintLen64
	for _, c := range r.cols {
		n += 2*binary.MaxVarintLen64 + len(c.name)
		for _, v := range c.vers {
			n += 2*binary.MaxVarintLen64 + 1 + len(v.val.raw)
		}
	}
	return n
}

type rowDecoder struct {
	b   []byte
	err error
}

func (d *rowDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err, d.b = errBadRow, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *rowDecoder) uvarint() int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b)) {
		d.err, d.b = errBadRow, nil
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *rowDecoder) bytes(n int) []byte {
	if n > len(d.b) {
		d.err, d.b = errBadRow, nil
		return nil
	}
	p := append([]byte{}, d.b[:n]...)
	d.b = d.b[n:]
	return p
}

// decodeStoredRow parses bytes written by encode.
func decodeStoredRow(b []byte) (*storedRow, error) {
	d := &rowDecoder{b: b}
	r := &storedRow{written: d.varint()}
	ncols := d.uvarint()
	r.cols = make([]column, 0, ncols)
	for i := 0; i < ncols && d.err == nil; i++ {
		c := column{name: string(d.bytes(d.uvarint()))}
		nv := d.uvarint()
		c.vers = make([]version, 0, nv)
		for j := 0; j < nv && d.err == nil; j++ {
			v := version{ts: d.varint()}
			k := d.bytes(1)
			if d.err != nil {
				break
			}
			v.val.kind = kind(k[0])
			switch v.val.kind {
			case kindInt, kindDouble, kindBool:
				v.val.num = d.varint()
			default:
				v.val.raw = d.bytes(d.uvarint())
			}
			c.vers = append(c.vers, v)
		}
		r.cols = append(r.cols, c)
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}
