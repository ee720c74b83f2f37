package ots

import (
	"encoding/binary"
	"errors"
	"math"
)

// PlainBuffer tags, as the Tablestore wire format defines them.
const (
	pbHeader       = 0x75
	tagRowPK       = 0x01
	tagRowData     = 0x02
	tagCell        = 0x03
	tagCellName    = 0x04
	tagCellValue   = 0x05
	tagCellOp      = 0x06
	tagCellTS      = 0x07
	tagDeleteRow   = 0x08
	tagRowChecksum = 0x09
	tagCellCRC     = 0x0A
	tagExtension   = 0x0B
)

// Cell operations carried by an UpdateRow cell; a cell without one is a put.
const (
	opPut       byte = 0x00
	opDeleteAll byte = 0x01
	opDeleteOne byte = 0x03
	opIncrement byte = 0x04
)

var (
	errCorrupt  = errors.New("corrupt plainbuffer")
	errChecksum = errors.New("plainbuffer checksum mismatch")
)

// crcTables[0] is the table of PlainBuffer's CRC-8 (polynomial 0x07, no
// reflection); crcTables[k] is crcTables[0] applied k+1 times, which is the
// CRC of a byte followed by k zero bytes.
var crcTables = func() (t [8][256]byte) {
	for i := range t[0] {
		x := byte(i)
		for j := 0; j < 8; j++ {
			if x&0x80 != 0 {
				x = x<<1 ^ 0x07
			} else {
				x <<= 1
			}
		}
		t[0][i] = x
	}
	for k := 1; k < len(t); k++ {
		for i := range t[k] {
			t[k][i] = t[0][t[k-1][i]]
		}
	}
	return t
}()

func crcByte(crc, b byte) byte { return crcTables[0][crc^b] }

// crcBytes extends crc over p. The CRC is linear, so eight bytes fold into
// eight independent lookups (slicing by 8): blob cells of a batch row are
// up to 2 MiB, and the byte-at-a-time loop is one dependent load per byte.
func crcBytes(crc byte, p []byte) byte {
	t := &crcTables
	for ; len(p) >= 8; p = p[8:] {
		crc = t[7][crc^p[0]] ^ t[6][p[1]] ^ t[5][p[2]] ^ t[4][p[3]] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]]
	}
	for _, b := range p {
		crc = t[0][crc^b]
	}
	return crc
}

func crcUint32(crc byte, v uint32) byte {
	for i := 0; i < 4; i++ {
		crc = crcByte(crc, byte(v))
		v >>= 8
	}
	return crc
}

func crcUint64(crc byte, v uint64) byte {
	for i := 0; i < 8; i++ {
		crc = crcByte(crc, byte(v))
		v >>= 8
	}
	return crc
}

// crcValue folds a value into crc the way PlainBuffer checksums it: the
// type byte, a length for strings and blobs, then the payload.
func crcValue(crc byte, v value) byte {
	crc = crcByte(crc, byte(v.kind))
	switch v.kind {
	case kindInt, kindDouble:
		crc = crcUint64(crc, uint64(v.num))
	case kindBool:
		crc = crcByte(crc, byte(v.num))
	case kindString, kindBlob:
		crc = crcUint32(crc, uint32(len(v.raw)))
		crc = crcBytes(crc, v.raw)
	}
	return crc
}

// pbCell is one decoded PlainBuffer cell.
type pbCell struct {
	name     string
	hasValue bool
	val      value
	op       byte
	hasTS    bool
	ts       int64
}

func (c *pbCell) checksum() byte {
	crc := crcBytes(0, []byte(c.name))
	if c.hasValue {
		crc = crcValue(crc, c.val)
	}
	if c.hasTS {
		crc = crcUint64(crc, uint64(c.ts))
	}
	if c.op != opPut {
		crc = crcByte(crc, c.op)
	}
	return crc
}

// pbRow is one decoded PlainBuffer row.
type pbRow struct {
	pk      []pbCell
	cells   []pbCell
	deleted bool
}

func (r *pbRow) checksum() byte {
	var crc byte
	for i := range r.pk {
		crc = crcByte(crc, r.pk[i].checksum())
	}
	for i := range r.cells {
		crc = crcByte(crc, r.cells[i].checksum())
	}
	if r.deleted {
		return crcByte(crc, 1)
	}
	return crcByte(crc, 0)
}

// pbReader decodes PlainBuffer input, verifying every checksum.
type pbReader struct {
	buf []byte
	off int
}

func (r *pbReader) byte() (byte, error) {
	if r.off >= len(r.buf) {
		return 0, errCorrupt
	}
	b := r.buf[r.off]
	r.off++
	return b, nil
}

func (r *pbReader) peek() int {
	if r.off >= len(r.buf) {
		return -1
	}
	return int(r.buf[r.off])
}

func (r *pbReader) bytes(n int) ([]byte, error) {
	if n < 0 || len(r.buf)-r.off < n {
		return nil, errCorrupt
	}
	p := r.buf[r.off : r.off+n]
	r.off += n
	return p, nil
}

func (r *pbReader) uint32() (uint32, error) {
	p, err := r.bytes(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(p), nil
}

func (r *pbReader) uint64() (uint64, error) {
	p, err := r.bytes(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(p), nil
}

// decodeRows parses a PlainBuffer with its header into rows.
func decodeRows(buf []byte) ([]pbRow, error) {
	r := &pbReader{buf: buf}
	h, err := r.uint32()
	if err != nil || h != pbHeader {
		return nil, errCorrupt
	}
	var rows []pbRow
	for r.peek() >= 0 {
		row, err := r.row()
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errCorrupt
	}
	return rows, nil
}

// decodeRow parses a PlainBuffer holding exactly one row.
func decodeRow(buf []byte) (pbRow, error) {
	rows, err := decodeRows(buf)
	if err != nil {
		return pbRow{}, err
	}
	if len(rows) != 1 {
		return pbRow{}, errCorrupt
	}
	return rows[0], nil
}

func (r *pbReader) row() (pbRow, error) {
	var row pbRow
	tag, err := r.byte()
	if err != nil || tag != tagRowPK {
		return row, errCorrupt
	}
	if row.pk, err = r.cells(); err != nil {
		return row, err
	}
	if r.peek() == tagRowData {
		r.off++
		if row.cells, err = r.cells(); err != nil {
			return row, err
		}
	}
	if r.peek() == tagDeleteRow {
		r.off++
		row.deleted = true
	}
	if r.peek() == tagExtension {
		return row, errCorrupt
	}
	if tag, err = r.byte(); err != nil || tag != tagRowChecksum {
		return row, errCorrupt
	}
	crc, err := r.byte()
	if err != nil {
		return row, err
	}
	if crc != row.checksum() {
		return row, errChecksum
	}
	return row, nil
}

func (r *pbReader) cells() ([]pbCell, error) {
	var cells []pbCell
	for r.peek() == tagCell {
		r.off++
		c, err := r.cell()
		if err != nil {
			return nil, err
		}
		cells = append(cells, c)
	}
	return cells, nil
}

func (r *pbReader) cell() (pbCell, error) {
	var c pbCell
	var err error
	if c.name, err = r.name(); err != nil {
		return c, err
	}
	if r.peek() == tagCellValue {
		r.off++
		if c.val, err = r.value(); err != nil {
			return c, err
		}
		c.hasValue = true
	}
	if r.peek() == tagCellOp {
		r.off++
		if c.op, err = r.byte(); err != nil {
			return c, err
		}
		if c.op != opDeleteAll && c.op != opDeleteOne && c.op != opIncrement {
			return c, errCorrupt
		}
	}
	if r.peek() == tagCellTS {
		r.off++
		ts, err := r.uint64()
		if err != nil {
			return c, err
		}
		c.ts, c.hasTS = int64(ts), true
	}
	if tag, err := r.byte(); err != nil || tag != tagCellCRC {
		return c, errCorrupt
	}
	crc, err := r.byte()
	if err != nil {
		return c, err
	}
	if crc != c.checksum() {
		return c, errChecksum
	}
	return c, nil
}

func (r *pbReader) name() (string, error) {
	if tag, err := r.byte(); err != nil || tag != tagCellName {
		return "", errCorrupt
	}
	n, err := r.uint32()
	if err != nil {
		return "", err
	}
	name, err := r.bytes(int(n))
	if err != nil {
		return "", err
	}
	return string(name), nil
}

func (r *pbReader) value() (value, error) {
	n, err := r.uint32()
	if err != nil {
		return value{}, err
	}
	body, err := r.bytes(int(n))
	if err != nil || len(body) == 0 {
		return value{}, errCorrupt
	}
	v := value{kind: kind(body[0])}
	body = body[1:]
	switch v.kind {
	case kindInt, kindDouble:
		if len(body) != 8 {
			return value{}, errCorrupt
		}
		v.num = int64(binary.LittleEndian.Uint64(body))
	case kindBool:
		if len(body) != 1 || body[0] > 1 {
			return value{}, errCorrupt
		}
		v.num = int64(body[0])
	case kindString, kindBlob:
		if len(body) < 4 || int(binary.LittleEndian.Uint32(body)) != len(body)-4 {
			return value{}, errCorrupt
		}
		// Not copied: the buffer is the request's own (decoded from its
		// protobuf), and values outlive neither it nor the request.
		v.raw = body[4:len(body):len(body)]
	case kindInfMin, kindInfMax, kindAutoInc:
		if len(body) != 0 {
			return value{}, errCorrupt
		}
	default:
		return value{}, errCorrupt
	}
	return v, nil
}

// pbWriter encodes PlainBuffer output with correct checksums.
type pbWriter struct {
	buf    []byte
	rowCRC byte
}

func newPBWriter() *pbWriter {
	w := &pbWriter{buf: make([]byte, 0, 256)}
	w.buf = binary.LittleEndian.AppendUint32(w.buf, pbHeader)
	return w
}

func (w *pbWriter) startRow() {
	w.rowCRC = 0
	w.buf = append(w.buf, tagRowPK)
}

func (w *pbWriter) startData() { w.buf = append(w.buf, tagRowData) }

func (w *pbWriter) endRow() {
	w.rowCRC = crcByte(w.rowCRC, 0)
	w.buf = append(w.buf, tagRowChecksum, w.rowCRC)
}

// cell writes one cell; ts < 0 means no timestamp.
func (w *pbWriter) cell(name string, v value, ts int64) {
	w.buf = append(w.buf, tagCell, tagCellName)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(name)))
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, tagCellValue)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(v.wireLen()))
	w.buf = append(w.buf, byte(v.kind))
	switch v.kind {
	case kindInt, kindDouble:
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(v.num))
	case kindBool:
		w.buf = append(w.buf, byte(v.num))
	case kindString, kindBlob:
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(v.raw)))
		w.buf = append(w.buf, v.raw...)
	}
	crc := crcValue(crcBytes(0, []byte(name)), v)
	if ts >= 0 {
		w.buf = append(w.buf, tagCellTS)
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(ts))
		crc = crcUint64(crc, uint64(ts))
	}
	w.buf = append(w.buf, tagCellCRC, crc)
	w.rowCRC = crcByte(w.rowCRC, crc)
}

// wireLen is the PlainBuffer value length: type byte plus payload.
func (v value) wireLen() int {
	switch v.kind {
	case kindInt, kindDouble:
		return 9
	case kindBool:
		return 2
	case kindString, kindBlob:
		return 5 + len(v.raw)
	}
	return 1
}

// float returns a double value's float64.
func (v value) float() float64 { return math.Float64frombits(uint64(v.num)) }
