package envelope

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
)

// Errors of envelope validation; each is wrapped with the field at fault.
var (
	// ErrInvalid means a field is missing or out of range.
	ErrInvalid = errors.New("invalid field")
	// ErrPersonalData means a field holds what looks like personal data in
	// the clear (a phone number, an ID-card number, an e-mail address); such
	// values belong in a Commitment.
	ErrPersonalData = errors.New("personal data in the clear")
)

// The patterns compile on first use: counted repeats make them costly to
// compile, and every function binary that links this package pays at start.
var (
	idRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$`)
	})
	phoneRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)`)
	})
	cardRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(^|[^0-9])[0-9]{17}[0-9Xx]([^0-9]|$)`)
	})
	emailRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`[^@\s]+@[^@\s]+\.[A-Za-z]{2,}`)
	})
)

// checkID validates an identifier field (organization, contract, asset ids).
func checkID(field, v string) error {
	if v == "" {
		return fmt.Errorf("envelope: %s: missing: %w", field, ErrInvalid)
	}
	if err := checkClear(field, v); err != nil {
		return err
	}
	if !idRE().MatchString(v) {
		return fmt.Errorf("envelope: %s %q: want 1-128 of [A-Za-z0-9._:-]: %w",
			field, v, ErrInvalid)
	}
	return nil
}

// checkClear refuses strings that look like personal data.
func checkClear(field, v string) error {
	for _, re := range []func() *regexp.Regexp{phoneRE, cardRE, emailRE} {
		if re().MatchString(v) {
			return fmt.Errorf("envelope: %s: %w", field, ErrPersonalData)
		}
	}
	return nil
}

func checkIDs(field string, vs []string, min int) error {
	if len(vs) < min {
		return fmt.Errorf("envelope: %s: %d given, want at least %d: %w",
			field, len(vs), min, ErrInvalid)
	}
	seen := make(map[string]bool)
	for i, v := range vs {
		if err := checkID(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return err
		}
		if seen[v] {
			return fmt.Errorf("envelope: %s: %q listed twice: %w", field, v, ErrInvalid)
		}
		seen[v] = true
	}
	return nil
}

func checkDigest(field string, d Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("envelope: %s: %w", field, err)
	}
	return nil
}

func checkCommitment(field string, c Commitment, optional bool) error {
	if c == "" && optional {
		return nil
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("envelope: %s: %w", field, err)
	}
	return nil
}

func checkFen(field string, v int64) error {
	if v < 0 {
		return fmt.Errorf("envelope: %s: %d fen is negative: %w", field, v, ErrInvalid)
	}
	if v > MaxFen {
		return fmt.Errorf("envelope: %s: %d fen above %d: %w", field, v, int64(MaxFen), ErrInvalid)
	}
	return nil
}

// MaxFen bounds amounts so that amount × 10,000 basis points fits in int64.
const MaxFen = 900_000_000_000_000
