package plan

import (
	"fmt"
	"time"
)

// Zone is the time zone in which timestamps become dates (China Standard
// Time; it has no daylight saving).
var Zone = time.FixedZone("CST", 8*60*60)

// Date is a calendar date, counted in days since 1970-01-01. The zero Date
// means "no date"; 1970-01-01 itself cannot be expressed, which no plan needs.
// Dates marshal as "2006-01-02" and an absent date as "".
type Date int32

// Bounds on the dates that inputs may carry.
var (
	MinDate = NewDate(2000, time.January, 1)
	MaxDate = NewDate(2100, time.December, 31)
)

// NewDate returns the date y-m-d, normalizing out-of-range days as time.Date
// does.
func NewDate(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// DateOf returns the date of t in Zone, or the zero Date for the zero time.
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return 0
	}
	return NewDate(t.In(Zone).Date())
}

// ParseDate parses "2006-01-02"; the empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("plan: parse date %q: want YYYY-MM-DD", s)
	}
	return NewDate(t.Date()), nil
}

// IsZero reports whether d is the zero ("no") date.
func (d Date) IsZero() bool { return d == 0 }

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns d as "2006-01-02", or "" for the zero Date.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }

// Week returns the ISO 8601 week that contains d.
func (d Date) Week() Week {
	y, w := d.Time().ISOWeek()
	return Week{Year: y, Week: w}
}

// inRange reports whether d is set and within [MinDate, MaxDate].
func (d Date) inRange() bool { return d >= MinDate && d <= MaxDate }

// Week is an ISO 8601 week.
type Week struct {
	Year int // the ISO year, which may differ from the calendar year
	Week int // 1..53
}

// String returns w as "2026-W49".
func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Week) }

// Less reports whether w comes before v.
func (w Week) Less(v Week) bool {
	return w.Year < v.Year || w.Year == v.Year && w.Week < v.Week
}

// weekdays counts Monday-to-Friday days from a to b inclusive.
//
// TODO(#6): use the organization's working calendar (public holidays and
// the weekend days worked in exchange for them) instead of Monday-Friday.
func weekdays(a, b Date) int {
	n := 0
	for d := a; d <= b; d++ {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}
