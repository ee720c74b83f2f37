package ots

import (
	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
	"github.com/golang/protobuf/proto"
)

// maxConditions is Tablestore's cap on column conditions in one write.
const maxConditions = 10

// filterNode is a decoded column filter or column condition.
type filterNode struct {
	single *otsprotocol.SingleColumnValueFilter
	val    value
	logic  otsprotocol.LogicalOperator
	subs   []*filterNode
	page   *otsprotocol.ColumnPaginationFilter
}

// parseFilter decodes a marshalled otsprotocol.Filter and reports how many
// single-column conditions it holds.
func parseFilter(b []byte) (*filterNode, int, *apiError) {
	var f otsprotocol.Filter
	if err := proto.Unmarshal(b, &f); err != nil {
		return nil, 0, invalidf("Invalid filter: %v.", err)
	}
	return parseFilterMsg(&f, 0)
}

func parseFilterMsg(f *otsprotocol.Filter, depth int) (*filterNode, int, *apiError) {
	if depth > 16 {
		return nil, 0, invalidf("Filter nests too deep.")
	}
	switch f.GetType() {
	case otsprotocol.FilterType_FT_SINGLE_COLUMN_VALUE:
		return parseSingle(f.GetFilter())
	case otsprotocol.FilterType_FT_COMPOSITE_COLUMN_VALUE:
		return parseComposite(f.GetFilter(), depth)
	case otsprotocol.FilterType_FT_COLUMN_PAGINATION:
		var p otsprotocol.ColumnPaginationFilter
		if err := proto.Unmarshal(f.GetFilter(), &p); err != nil {
			return nil, 0, invalidf("Invalid pagination filter: %v.", err)
		}
		if p.GetOffset() < 0 || p.GetLimit() < 0 {
			return nil, 0, invalidf("Pagination filter offset and limit must not be negative.")
		}
		return &filterNode{page: &p}, 0, nil
	}
	return nil, 0, invalidf("Unknown filter type %d.", f.GetType())
}

func parseSingle(b []byte) (*filterNode, int, *apiError) {
	var sf otsprotocol.SingleColumnValueFilter
	if err := proto.Unmarshal(b, &sf); err != nil {
		return nil, 0, invalidf("Invalid column filter: %v.", err)
	}
	// TODO(#3): regex value-transfer rules in filters are refused.
	if sf.ValueTransRule != nil {
		return nil, 0, unsupported("column filter with value_trans_rule")
	}
	if !validName(sf.GetColumnName()) {
		return nil, 0, invalidf("Invalid column name in filter: '%s'.", sf.GetColumnName())
	}
	if _, ok := otsprotocol.ComparatorType_name[int32(sf.GetComparator())]; !ok {
		return nil, 0, invalidf("Invalid comparator %d.", sf.GetComparator())
	}
	v, err := parseBareValue(sf.GetColumnValue())
	if err != nil {
		return nil, 0, invalidf("Invalid value in column filter.")
	}
	return &filterNode{single: &sf, val: v}, 1, nil
}

// parseBareValue reads a filter operand: a type byte and its payload,
// without the PlainBuffer length prefix.
func parseBareValue(b []byte) (value, error) {
	framed := make([]byte, 4, len(b)+4)
	framed[0] = byte(len(b))
	framed[1] = byte(len(b) >> 8)
	framed[2] = byte(len(b) >> 16)
	framed[3] = byte(len(b) >> 24)
	r := &pbReader{buf: append(framed, b...)}
	v, err := r.value()
	if err != nil || !v.isConcrete() || r.off != len(r.buf) {
		return value{}, errCorrupt
	}
	return v, nil
}

func parseComposite(b []byte, depth int) (*filterNode, int, *apiError) {
	var cf otsprotocol.CompositeColumnValueFilter
	if err := proto.Unmarshal(b, &cf); err != nil {
		return nil, 0, invalidf("Invalid composite filter: %v.", err)
	}
	n := &filterNode{logic: cf.GetCombinator()}
	switch n.logic {
	case otsprotocol.LogicalOperator_LO_NOT:
		if len(cf.SubFilters) != 1 {
			return nil, 0, invalidf("A NOT filter takes exactly one sub-filter.")
		}
	case otsprotocol.LogicalOperator_LO_AND, otsprotocol.LogicalOperator_LO_OR:
		if len(cf.SubFilters) < 2 {
			return nil, 0, invalidf("AND and OR filters take at least two sub-filters.")
		}
	default:
		return nil, 0, invalidf("Invalid logical operator %d.", n.logic)
	}
	total := 0
	for _, sub := range cf.SubFilters {
		sn, c, e := parseFilterMsg(sub, depth+1)
		if e != nil {
			return nil, 0, e
		}
		if sn.page != nil {
			return nil, 0, invalidf("A pagination filter cannot be combined.")
		}
		n.subs = append(n.subs, sn)
		total += c
	}
	return n, total, nil
}

// match evaluates the filter against a row's readable columns.
func (n *filterNode) match(r *storedRow) bool {
	switch {
	case n == nil || n.page != nil:
		return true
	case n.single != nil:
		return n.matchSingle(r)
	case n.logic == otsprotocol.LogicalOperator_LO_NOT:
		return !n.subs[0].match(r)
	case n.logic == otsprotocol.LogicalOperator_LO_AND:
		for _, s := range n.subs {
			if !s.match(r) {
				return false
			}
		}
		return true
	}
	for _, s := range n.subs {
		if s.match(r) {
			return true
		}
	}
	return false
}

func (n *filterNode) matchSingle(r *storedRow) bool {
	var c *column
	if r != nil {
		c = r.column(n.single.GetColumnName())
	}
	if c == nil || len(c.vers) == 0 {
		return !n.single.GetFilterIfMissing()
	}
	vers := c.vers
	if n.single.GetLatestVersionOnly() {
		vers = vers[:1]
	}
	for _, v := range vers {
		if compareOp(n.single.GetComparator(), v.val, n.val) {
			return true
		}
	}
	return false
}

// compareOp applies a comparator; values of different types never match.
func compareOp(op otsprotocol.ComparatorType, a, b value) bool {
	c, ok := compare(a, b)
	if !ok {
		return false
	}
	switch op {
	case otsprotocol.ComparatorType_CT_EQUAL:
		return c == 0
	case otsprotocol.ComparatorType_CT_NOT_EQUAL:
		return c != 0
	case otsprotocol.ComparatorType_CT_GREATER_THAN:
		return c > 0
	case otsprotocol.ComparatorType_CT_GREATER_EQUAL:
		return c >= 0
	case otsprotocol.ComparatorType_CT_LESS_THAN:
		return c < 0
	}
	return c <= 0
}
