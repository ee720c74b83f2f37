package ots

import (
	"math"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
)

// maxColumnsToGet is Tablestore's cap on columns_to_get.
const maxColumnsToGet = 128

// readSpec is what a read asks for from each row.
type readSpec struct {
	meta      *tableMeta
	cols      map[string]bool
	pkAsked   bool
	start     int64
	end       int64
	versions  int
	startCol  string
	endCol    string
	filter    *filterNode
	entirePKs bool
}

type readParams struct {
	columns    []string
	timeRange  *otsprotocol.TimeRange
	maxVers    *int32
	filter     []byte
	startCol   string
	endCol     string
	transactID *string
}

func newReadSpec(m *tableMeta, p readParams) (*readSpec, *apiError) {
	if p.transactID != nil {
		return nil, unsupported("reads in a local transaction")
	}
	if len(p.columns) > maxColumnsToGet {
		return nil, invalidf("The number of columns to get exceeds %d.", maxColumnsToGet)
	}
	rs := &readSpec{meta: m, start: 0, end: math.MaxInt64, versions: math.MaxInt32,
		startCol: p.startCol, endCol: p.endCol, entirePKs: true}
	if len(p.columns) > 0 {
		rs.cols = map[string]bool{}
		for _, c := range p.columns {
			if !validName(c) {
				return nil, invalidf("Invalid column name in columns_to_get: '%s'.", c)
			}
			rs.cols[c] = true
			if m.pkIndex(c) >= 0 {
				rs.pkAsked = true
			}
		}
	}
	if e := rs.setVersions(p.timeRange, p.maxVers); e != nil {
		return nil, e
	}
	if len(p.filter) > 0 {
		f, _, e := parseFilter(p.filter)
		if e != nil {
			return nil, e
		}
		rs.filter = f
	}
	return rs, nil
}

func (rs *readSpec) setVersions(tr *otsprotocol.TimeRange, mv *int32) *apiError {
	if tr == nil && mv == nil {
		return invalidf("Either time_range or max_versions must be set.")
	}
	if mv != nil {
		if *mv < 1 {
			return invalidf("The value of max_versions must be at least 1.")
		}
		rs.versions = int(*mv)
	}
	if tr == nil {
		return nil
	}
	if tr.SpecificTime != nil {
		if tr.StartTime != nil || tr.EndTime != nil || tr.GetSpecificTime() < 0 {
			return invalidf("Invalid time_range.")
		}
		rs.start, rs.end = tr.GetSpecificTime(), tr.GetSpecificTime()+1
		return nil
	}
	if tr.StartTime == nil || tr.EndTime == nil || tr.GetStartTime() < 0 ||
		tr.GetStartTime() >= tr.GetEndTime() {
		return invalidf("Invalid time_range: start must be less than end.")
	}
	rs.start, rs.end = tr.GetStartTime(), tr.GetEndTime()
	return nil
}

// project keeps the asked-for columns and versions of a readable row.
func (rs *readSpec) project(view *storedRow) []column {
	var out []column
	for _, c := range view.cols {
		if rs.cols != nil && !rs.cols[c.name] {
			continue
		}
		if (rs.startCol != "" && c.name < rs.startCol) || (rs.endCol != "" && c.name >= rs.endCol) {
			continue
		}
		var vers []version
		for _, v := range c.vers {
			if v.ts >= rs.start && v.ts < rs.end {
				vers = append(vers, v)
				if len(vers) == rs.versions {
					break
				}
			}
		}
		if len(vers) > 0 {
			out = append(out, column{name: c.name, vers: vers})
		}
	}
	if rs.filter != nil && rs.filter.page != nil {
		out = paginate(out, rs.filter.page)
	}
	return out
}

func paginate(cols []column, p *otsprotocol.ColumnPaginationFilter) []column {
	off, lim := int(p.GetOffset()), int(p.GetLimit())
	if off >= len(cols) {
		return nil
	}
	cols = cols[off:]
	if lim < len(cols) {
		cols = cols[:lim]
	}
	return cols
}

// readRow is one row's read result: what to send and its billable size.
type readRow struct {
	pk    []value
	cols  []column
	size  int
	found bool
}

// read applies the spec to a stored row; found is false when nothing of
// the row is returned (absent, expired, filtered out or no asked column).
func (rs *readSpec) read(pk []value, stored *storedRow, now int64) readRow {
	view, exists := rs.meta.view(stored, now)
	if !exists {
		return readRow{}
	}
	cols := rs.project(view)
	rr := readRow{pk: pk, cols: cols, size: pkSize(rs.meta, pk)}
	for _, c := range cols {
		for _, v := range c.vers {
			rr.size += len(c.name) + v.val.size()
		}
	}
	if rs.filter != nil && !rs.filter.match(&storedRow{cols: cols}) {
		return readRow{size: rr.size}
	}
	rr.found = rs.cols == nil || rs.pkAsked || len(cols) > 0
	return rr
}

// encode writes the row as the SDK reads it; withPK says whether the
// primary key is part of the answer.
func (rs *readSpec) encode(pw *pbWriter, rr readRow, withPK bool) {
	pw.startRow()
	if withPK {
		writePK(pw, rs.meta, rr.pk)
	} else if rs.pkAsked {
		for i, v := range rr.pk {
			if rs.cols[rs.meta.PK[i].Name] {
				pw.cell(rs.meta.PK[i].Name, v, -1)
			}
		}
	}
	writeCols(pw, rr.cols)
	pw.endRow()
}
