package ots

import (
	"bytes"
	"math"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlainBufferRoundTrip(t *testing.T) {
	vals := []value{
		{kind: kindInt, num: -7},
		{kind: kindDouble, num: int64(math.Float64bits(2.5))},
		{kind: kindBool, num: 1},
		{kind: kindString, raw: []byte("héllo")},
		{kind: kindBlob, raw: []byte{0, 1, 2}},
	}
	w := newPBWriter()
	for r := 0; r < 2; r++ {
		w.startRow()
		w.cell("pk", value{kind: kindString, raw: []byte{byte('a' + r)}}, -1)
		w.startData()
		for i, v := range vals {
			w.cell("c", v, int64(1000+i))
		}
		w.endRow()
	}
	rows, err := decodeRows(w.buf)
	if err != nil {
		t.Fatalf("decodeRows(our output) = %v; the checksums we write must verify", err)
	}
	if len(rows) != 2 || len(rows[1].cells) != len(vals) {
		t.Fatalf("decoded %d rows, %d cells", len(rows), len(rows[1].cells))
	}
	for i, c := range rows[1].cells {
		if diff := cmp.Diff(vals[i], c.val, cmp.AllowUnexported(value{})); diff != "" ||
			c.ts != int64(1000+i) {
			t.Errorf("cell %d (-want +got):\n%s ts=%d", i, diff, c.ts)
		}
	}
	for i := 4; i < len(w.buf); i++ {
		bad := append([]byte(nil), w.buf...)
		bad[i] ^= 0x5A
		if _, err := decodeRows(bad); err == nil {
			t.Errorf("flipping byte %d was not detected", i)
		}
	}
}

func TestKeyOrder(t *testing.T) {
	s := func(v string) value { return value{kind: kindString, raw: []byte(v)} }
	n := func(v int64) value { return value{kind: kindInt, num: v} }
	// Tuples in Tablestore order.
	ordered := [][]value{
		{s(""), n(math.MinInt64)},
		{s(""), n(0)},
		{s("a"), n(-1)},
		{s("a"), n(5)},
		{s("a\x00"), n(0)},
		{s("a\x00\x00"), n(0)},
		{s("a\x01"), n(0)},
		{s("ab"), n(math.MaxInt64)},
		{s("b"), n(0)},
	}
	keys := make([][]byte, len(ordered))
	for i, tup := range ordered {
		keys[i] = encodeKey(tup)
		got, err := decodeKey(keys[i], []kind{kindString, kindInt})
		if err != nil {
			t.Fatalf("decodeKey(%q): %v", keys[i], err)
		}
		if diff := cmp.Diff(tup, got, cmp.AllowUnexported(value{})); diff != "" {
			t.Errorf("round trip %d (-want +got):\n%s", i, diff)
		}
	}
	if !sort.SliceIsSorted(keys,
		func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 }) {
		t.Errorf("encoded keys do not sort like their tuples")
	}
	lo := encodeKey([]value{s("a"), {kind: kindInfMin}})
	hi := encodeKey([]value{s("a"), {kind: kindInfMax}})
	for i, k := range keys {
		inA := bytes.Compare(k, lo) > 0 && bytes.Compare(k, hi) < 0
		if want := i == 2 || i == 3; inA != want {
			t.Errorf("key %d inside (a,-inf)..(a,+inf) = %v, want %v", i, inA, want)
		}
	}
}

func TestStoredRowRoundTrip(t *testing.T) {
	r := &storedRow{written: 99}
	r.putVersion("b", version{ts: 5, val: value{kind: kindString, raw: []byte("x")}})
	r.putVersion("a", version{ts: 7, val: value{kind: kindInt, num: -3}})
	r.putVersion("b", version{ts: 9, val: value{kind: kindBool, num: 1}})
	got, err := decodeStoredRow(r.encode())
	if err != nil {
		t.Fatalf("decodeStoredRow: %v", err)
	}
	opts := cmp.AllowUnexported(storedRow{}, column{}, version{}, value{})
	if diff := cmp.Diff(r, got, opts); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got.cols[0].name != "a" || got.cols[1].vers[0].ts != 9 {
		t.Errorf("columns not sorted by name with newest version first: %+v", got.cols)
	}
}

// FuzzDecodeRows checks that no input makes the decoder panic, and that
// whatever it accepts re-encodes to bytes it accepts again.
func FuzzDecodeRows(f *testing.F) {
	w := newPBWriter()
	w.startRow()
	w.cell("pk", value{kind: kindInt, num: 3}, -1)
	w.startData()
	w.cell("c", value{kind: kindString, raw: []byte("v")}, 12)
	w.endRow()
	f.Add(w.buf)
	f.Add([]byte{0x75, 0, 0, 0, 1, 9, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := decodeRows(b)
		if err != nil {
			return
		}
		out := newPBWriter()
		for _, r := range rows {
			out.startRow()
			for _, c := range r.pk {
				out.cell(c.name, c.val, -1)
			}
			out.endRow()
		}
		if _, err := decodeRows(out.buf); err != nil {
			t.Fatalf("re-encoded keys do not decode: %v", err)
		}
	})
}

// TestCRC8 checks the sliced CRC-8 against the published check value of
// CRC-8/SMBUS (polynomial 0x07, the one PlainBuffer uses) and against a
// bit-at-a-time reference over every length up to 40 and odd starts.
func TestCRC8(t *testing.T) {
	if got := crcBytes(0, []byte("123456789")); got != 0xf4 {
		t.Fatalf("crc of 123456789 = %#x, want 0xf4", got)
	}
	bitwise := func(crc byte, p []byte) byte {
		for _, b := range p {
			crc ^= b
			for range 8 {
				if crc&0x80 != 0 {
					crc = crc<<1 ^ 0x07
				} else {
					crc <<= 1
				}
			}
		}
		return crc
	}
	data := make([]byte, 40)
	for i := range data {
		data[i] = byte(i*37 + 11)
	}
	for n := range len(data) + 1 {
		for _, start := range []byte{0, 0x5a, 0xff} {
			if got, want := crcBytes(start, data[:n]), bitwise(start, data[:n]); got != want {
				t.Fatalf("crc(%#x, %d bytes) = %#x, want %#x", start, n, got, want)
			}
		}
	}
}
