package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/plan"
)

// Kind is a report's schedule.
type Kind string

// Report kinds.
const (
	Daily   Kind = "daily"
	Weekly  Kind = "weekly"
	Monthly Kind = "monthly"
)

// Kinds lists every kind.
var Kinds = []Kind{Daily, Weekly, Monthly}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return k == Daily || k == Weekly || k == Monthly }

// Period names the period of kind k that time at falls in (read in
// plan.Zone): the day "2026-12-03" for daily reports, the ISO week
// "2026-W49" for weekly ones, and for monthly ones the month before at's
// month, "2026-11" (the monthly report, sent on the 1st, covers the month
// just ended).
func Period(k Kind, at time.Time) string {
	d := plan.DateOf(at)
	switch k {
	case Weekly:
		return d.Week().String()
	case Monthly:
		t := d.Time()
		return time.Date(t.Year(), t.Month()-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	}
	return d.String()
}

// monthSpan returns the first and last day of month "2006-01".
func monthSpan(period string) (plan.Date, plan.Date) {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return 0, 0
	}
	first := plan.NewDate(t.Year(), t.Month(), 1)
	return first, plan.NewDate(t.Year(), t.Month()+1, 0)
}

// Audiences of reports: who a report is for, part of its recipient key.
const (
	AudiencePerson    = "person"    // daily
	AudienceLead      = "lead"      // weekly, per project lead
	AudienceDept      = "dept"      // weekly, per department manager
	AudienceExecutive = "executive" // monthly
)

// Report is one report for one recipient, as rendered.
type Report struct {
	Kind     Kind   `json:"kind"`
	Period   string `json:"period"`
	Corp     string `json:"corp"`
	Audience string `json:"audience"`
	User     string `json:"user"` // uid "corp:userid"
	Title    string `json:"title"`
	Body     string `json:"body"` // markdown, chart links included
	Link     string `json:"link"`
	// Charts are the OSS keys of the charts the body links to.
	Charts []string `json:"charts,omitempty"`
	// Figures are the report's numbers by name, for the micro-app and tests.
	Figures map[string]int64 `json:"figures,omitempty"`
	SentAt  time.Time        `json:"sentAt"`
}

// Recipient returns the report's recipient key, "<audience>:<uid>".
func (r Report) Recipient() string { return r.Audience + ":" + r.User }

// DedupeKey returns the outbox key of r: kind, period and recipient.
func (r Report) DedupeKey() string {
	return fmt.Sprintf("report/%s/%s/%s", r.Kind, r.Period, r.Recipient())
}

// SnapshotID returns the id under which r is stored and fetched again:
// "<kind>.<period>.<hash of the recipient>".
func SnapshotID(k Kind, period, recipient string) string {
	sum := sha256.Sum256([]byte(recipient))
	return fmt.Sprintf("%s.%s.%s", k, period, hex.EncodeToString(sum[:8]))
}

// parseSnapshotID splits an id made by SnapshotID.
func parseSnapshotID(id string) (k Kind, period, hash string, ok bool) {
	parts := strings.Split(id, ".")
	if len(parts) != 3 || !Kind(parts[0]).Valid() || len(parts[2]) != 16 ||
		strings.ContainsAny(parts[1], "/") || parts[1] == "" {
		return "", "", "", false
	}
	return Kind(parts[0]), parts[1], parts[2], true
}

// draft is a report being written: markdown lines, cut to fit a notice
// when it is finished.
type draft struct {
	Report
	lines  []string
	charts []chart
}

func (d *draft) line(format string, args ...any) {
	d.lines = append(d.lines, fmt.Sprintf(format, args...))
}

func (d *draft) figure(name string, v int64) {
	if d.Figures == nil {
		d.Figures = map[string]int64{}
	}
	d.Figures[name] = v
}

// fit writes the body: as many lines as fit in a DingTalk work notice
// (MaxNoticeBytes of encoded message, with room to spare) beside the chart
// links, then a note of the lines left out. Chart links are dropped, last
// first, when not even the first line fits beside them.
func (d *draft) fit(links []string) string {
	for {
		body := func(n int) string {
			s := strings.Join(d.lines[:n], "\n")
			if n < len(d.lines) {
				s += fmt.Sprintf("\n\n…另有 %d 行未列出，请打开详情", len(d.lines)-n)
			}
			if len(links) > 0 {
				s += "\n\n" + strings.Join(links, "\n\n")
			}
			return s
		}
		fits := func(n int) bool { return noticeSize(d.Report, body(n)) <= noticeBudget }
		// The largest n that fits: the size grows with n.
		lo, hi := 0, len(d.lines)
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if fits(mid) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		if lo > 0 || len(links) == 0 || len(d.lines) == 0 {
			return body(lo)
		}
		links = links[:len(links)-1]
	}
}

// noticeBudget leaves room under dingtalk.MaxNoticeBytes for the outbox's
// own additions.
const noticeBudget = dingtalk.MaxNoticeBytes - 128

// noticeSize is the encoded size of r's notice with body as its text.
func noticeSize(r Report, body string) int {
	m := message(r)
	var msg dingtalk.Message
	if m.Kind == outbox.KindActionCard {
		msg = dingtalk.ActionCardMessage(dingtalk.ActionCard{Title: r.Title, Markdown: body,
			SingleTitle: "查看详情", SingleURL: r.Link})
	} else {
		msg = dingtalk.MarkdownMessage(r.Title, body+"\n\n[打开]("+r.Link+")")
	}
	b, _ := json.Marshal(msg)
	return len(b)
}

func hoursOf(min int64) string { return fmt.Sprintf("%.1fh", float64(min)/60) }

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func short(d plan.Date) string {
	if d == 0 {
		return "无日期"
	}
	return d.String()[5:]
}
