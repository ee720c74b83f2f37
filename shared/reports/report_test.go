package reports

import (
	"strings"
	"testing"
	"time"
)

func TestPeriod(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		k    Kind
		at   time.Time
		want string
	}{
		{Daily, time.Date(2026, 12, 3, 18, 0, 0, 0, cst), "2026-12-03"},
		{Daily, time.Date(2026, 12, 3, 23, 30, 0, 0, time.UTC), "2026-12-04"}, // 07:30 CST
		{Weekly, time.Date(2026, 12, 7, 9, 0, 0, 0, cst), "2026-W50"},
		{Weekly, time.Date(2027, 1, 1, 9, 0, 0, 0, cst), "2026-W53"},
		{Monthly, time.Date(2026, 12, 1, 9, 0, 0, 0, cst), "2026-11"},
		{Monthly, time.Date(2027, 1, 1, 9, 0, 0, 0, cst), "2026-12"},
	}
	for _, tt := range tests {
		if got := Period(tt.k, tt.at); got != tt.want {
			t.Errorf("Period(%s, %v) = %q, want %q", tt.k, tt.at, got, tt.want)
		}
	}
}

func TestSnapshotIDRoundTrip(t *testing.T) {
	id := SnapshotID(Weekly, "2026-W50", "lead:"+appsLead)
	k, period, hash, ok := parseSnapshotID(id)
	if !ok || k != Weekly || period != "2026-W50" || len(hash) != 16 {
		t.Errorf("parseSnapshotID(%q) = %q, %q, %q, %v", id, k, period, hash, ok)
	}
	for _, bad := range []string{"", "weekly", "yearly.2026.0123456789abcdef",
		"weekly.2026-W50.0123", "weekly..0123456789abcdef", "weekly.a/b.0123456789abcdef"} {
		if _, _, _, ok := parseSnapshotID(bad); ok {
			t.Errorf("parseSnapshotID(%q) ok, want refused", bad)
		}
	}
}

func TestFitKeepsNoticesUnderTheLimit(t *testing.T) {
	link := "https://bucket.oss-cn-hangzhou.aliyuncs.com/reports/x.png?Expires=1&" +
		strings.Repeat("Signature=abc&", 20)
	tests := []struct {
		name  string
		lines int
		links int
		note  bool // some lines are left out
	}{
		{"short", 3, 2, false},
		{"long", 500, 2, true},
		{"many links", 50, 12, true},
	}
	for _, tt := range tests {
		d := &draft{Report: Report{Kind: Weekly, Title: "项目周报 2026-W50", User: appsLead,
			Link: "https://xietong.invalid/app/projects"}}
		for i := range tt.lines {
			d.line("- 项目 %d：进度 40%%，计划 50%%，逾期 %d", i, i%4)
		}
		var links []string
		for range tt.links {
			links = append(links, "![图]("+link+")")
		}
		body := d.fit(links)
		if n := noticeSize(d.Report, body); n > noticeBudget {
			t.Errorf("%s: notice of %d bytes, want at most %d", tt.name, n, noticeBudget)
		}
		if got := strings.Contains(body, "未列出"); got != tt.note {
			t.Errorf("%s: note of lines left out = %v, want %v", tt.name, got, tt.note)
		}
		if !strings.Contains(body, "- 项目 0：") || !strings.Contains(body, "![图](") {
			t.Errorf("%s: the first line or every chart link was dropped:\n%s", tt.name, body)
		}
	}
}

func TestBandLabel(t *testing.T) {
	tests := []struct{ band, want string }{
		{"0-10000000", "0万-10万"},
		{"10000000-100000000", "10万-100万"},
		{"1000000000+", "1000万+"},
		{"all", "all"},
	}
	for _, tt := range tests {
		if got := bandLabel(tt.band); got != tt.want {
			t.Errorf("bandLabel(%q) = %q, want %q", tt.band, got, tt.want)
		}
	}
}
