package ots

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
)

// kind is a PlainBuffer variant type.
type kind byte

const (
	kindInt     kind = 0x0
	kindDouble  kind = 0x1
	kindBool    kind = 0x2
	kindString  kind = 0x3
	kindBlob    kind = 0x7
	kindInfMin  kind = 0x9
	kindInfMax  kind = 0xA
	kindAutoInc kind = 0xB
)

// value is one typed cell value. Integers and booleans live in num, a
// double keeps its IEEE bits in num, strings and blobs live in raw.
type value struct {
	kind kind
	num  int64
	raw  []byte
}

func (v value) isConcrete() bool {
	switch v.kind {
	case kindInt, kindDouble, kindBool, kindString, kindBlob:
		return true
	}
	return false
}

// size is the billable size of a value, as Tablestore counts data.
func (v value) size() int {
	switch v.kind {
	case kindInt, kindDouble:
		return 8
	case kindBool:
		return 1
	}
	return len(v.raw)
}

// compare orders two values of one kind; ok is false across kinds.
func compare(a, b value) (c int, ok bool) {
	if a.kind != b.kind {
		return 0, false
	}
	switch a.kind {
	case kindInt, kindBool:
		return cmpInt(a.num, b.num), true
	case kindDouble:
		fa, fb := a.float(), b.float()
		switch {
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	case kindString, kindBlob:
		return bytes.Compare(a.raw, b.raw), true
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pkKind maps a schema primary-key type to the value kind it holds.
func pkKind(t otsprotocol.PrimaryKeyType) kind {
	switch t {
	case otsprotocol.PrimaryKeyType_INTEGER:
		return kindInt
	case otsprotocol.PrimaryKeyType_STRING:
		return kindString
	}
	return kindBlob
}

// definedKind maps a defined-column type to its value kind.
func definedKind(t otsprotocol.DefinedColumnType) kind {
	switch t {
	case otsprotocol.DefinedColumnType_DCT_INTEGER:
		return kindInt
	case otsprotocol.DefinedColumnType_DCT_DOUBLE:
		return kindDouble
	case otsprotocol.DefinedColumnType_DCT_BOOLEAN:
		return kindBool
	case otsprotocol.DefinedColumnType_DCT_STRING:
		return kindString
	}
	return kindBlob
}

// Key encoding markers: INF_MIN sorts before every value, INF_MAX after.
const (
	markMin   = 0x00
	markValue = 0x01
	markMax   = 0x02
)

// appendKeyPart appends the order-preserving encoding of one primary-key
// column. It reports whether the part ends the key (an INF bound).
func appendKeyPart(dst []byte, v value) ([]byte, bool) {
	switch v.kind {
	case kindInfMin:
		return append(dst, markMin), true
	case kindInfMax:
		return append(dst, markMax), true
	case kindInt:
		dst = append(dst, markValue)
		return binary.BigEndian.AppendUint64(dst, uint64(v.num)^1<<63), false
	}
	dst = append(dst, markValue)
	for _, b := range v.raw {
		if b == 0 {
			dst = append(dst, 0, 0xFF)
			continue
		}
		dst = append(dst, b)
	}
	return append(dst, 0, 1), false
}

// encodeKey encodes a primary key (or a range bound) into bytes whose
// order is the Tablestore row order.
func encodeKey(pk []value) []byte {
	var key []byte
	for _, v := range pk {
		var end bool
		if key, end = appendKeyPart(key, v); end {
			break
		}
	}
	return key
}

var errBadKey = errors.New("bad stored key")

// decodeKey turns stored key bytes back into values of the given kinds.
func decodeKey(key []byte, kinds []kind) ([]value, error) {
	out := make([]value, 0, len(kinds))
	for _, k := range kinds {
		if len(key) == 0 || key[0] != markValue {
			return nil, errBadKey
		}
		key = key[1:]
		if k == kindInt {
			if len(key) < 8 {
				return nil, errBadKey
			}
			n := int64(binary.BigEndian.Uint64(key) ^ 1<<63)
			out = append(out, value{kind: kindInt, num: n})
			key = key[8:]
			continue
		}
		raw, rest, err := unescape(key)
		if err != nil {
			return nil, err
		}
		out = append(out, value{kind: k, raw: raw})
		key = rest
	}
	if len(key) != 0 {
		return nil, errBadKey
	}
	return out, nil
}

func unescape(key []byte) (raw, rest []byte, err error) {
	raw = []byte{}
	for i := 0; i < len(key); i++ {
		if key[i] != 0 {
			raw = append(raw, key[i])
			continue
		}
		if i+1 >= len(key) {
			return nil, nil, errBadKey
		}
		switch key[i+1] {
		case 0xFF:
			raw = append(raw, 0)
			i++
		case 0x01:
			return raw, key[i+2:], nil
		default:
			return nil, nil, errBadKey
		}
	}
	return nil, nil, errBadKey
}
