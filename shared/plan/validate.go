package plan

import (
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Limits on text inputs, in characters (runes).
const (
	MaxTitle = 200
	MaxText  = 4000 // descriptions, notes, comments, override reasons
	MaxID    = 64
)

// Limits on numbers.
const (
	MaxEstimate   = 1000 * 8 * 60 // minutes: a thousand working days
	MaxDayMinutes = 24 * 60       // work logged by one person on one day
)

// checkText validates free text: valid UTF-8, no control characters except
// newlines and tabs in long text, at most max runes, and non-blank when
// required.
func checkText(o op, field, s string, max int, required bool) error {
	if !utf8.ValidString(s) {
		return o.invalid(field, "not valid UTF-8")
	}
	if required && len(trimSpace(s)) == 0 {
		return o.invalid(field, "required")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return o.invalid(field, fmt.Sprintf("%d characters, at most %d", n, max))
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(max > MaxTitle && (r == '\n' || r == '\t')) {
			return o.invalid(field, fmt.Sprintf("control character %U", r))
		}
	}
	return nil
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && unicode.IsSpace(rune(s[i])) {
		i++
	}
	for j > i && unicode.IsSpace(rune(s[j-1])) {
		j--
	}
	return s[i:j]
}

// checkID validates an external id (project, corp, user): 1..MaxID
// characters from letters, digits and "_-.:@".
func checkID(o op, field, s string) error {
	if s == "" {
		return o.invalid(field, "required")
	}
	if len(s) > MaxID {
		return o.invalid(field, fmt.Sprintf("%d bytes, at most %d", len(s), MaxID))
	}
	for _, r := range s {
		ok := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) ||
			r == '_' || r == '-' || r == '.' || r == ':' || r == '@')
		if !ok {
			return o.invalid(field, fmt.Sprintf("character %q not allowed in an id", r))
		}
	}
	return nil
}

// checkDate validates an optional date.
func checkDate(o op, field string, d Date) error {
	if d != 0 && !d.inRange() {
		return o.invalid(field, fmt.Sprintf("%s outside %s..%s", d, MinDate, MaxDate))
	}
	return nil
}

// checkSpan validates two optional dates, of which the first may not be
// after the second.
func checkSpan(o op, fromField string, from Date, toField string, to Date) error {
	if err := checkDate(o, fromField, from); err != nil {
		return err
	}
	if err := checkDate(o, toField, to); err != nil {
		return err
	}
	if from != 0 && to != 0 && from > to {
		return o.invalid(toField, fmt.Sprintf("%s is before %s %s", to, fromField, from))
	}
	return nil
}

func checkEstimate(o op, minutes int64) error {
	if minutes < 0 || minutes > MaxEstimate {
		return o.invalid("estimate", fmt.Sprintf("%d minutes, want 0..%d", minutes, MaxEstimate))
	}
	return nil
}

func checkPriority(o op, p Priority) error {
	if p.Rank() < 0 {
		return o.invalid("priority", fmt.Sprintf("%q, want one of %v", p, priorities))
	}
	return nil
}

func checkOneOf[T comparable](o op, field string, v T, all []T) error {
	if !slices.Contains(all, v) {
		return o.invalid(field, fmt.Sprintf("%v, want one of %v", v, all))
	}
	return nil
}
