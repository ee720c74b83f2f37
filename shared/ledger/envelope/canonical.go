package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrNotCanonical means bytes are not the canonical encoding of what they
// decode to.
var ErrNotCanonical = errors.New("not canonical JSON")

// TODO(#7): strings are escaped the way encoding/json does (U+2028, U+2029
// and invalid UTF-8 escaped), not exactly as RFC 8785 prescribes; every
// party using this package agrees byte for byte, other JCS encoders may
// differ on such strings.

// Canonical returns the canonical JSON encoding of v: object keys sorted
// byte-wise, no insignificant whitespace, no HTML escaping, and integers only
// (a fractional or exponent number is refused). Equal values always encode to
// the same bytes, whatever the field order of the Go types or input.
func Canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("envelope: canonical: %w", err)
	}
	return canonicalize(raw)
}

// canonicalize re-encodes JSON text canonically.
func canonicalize(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("envelope: canonical: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("envelope: canonical: trailing data: %w", ErrNotCanonical)
	}
	if err := integersOnly(x); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return nil, fmt.Errorf("envelope: canonical: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func integersOnly(x any) error {
	switch v := x.(type) {
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return fmt.Errorf("envelope: canonical: number %s is not an integer: %w",
				v, ErrNotCanonical)
		}
	case []any:
		for _, e := range v {
			if err := integersOnly(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, e := range v {
			if err := integersOnly(e); err != nil {
				return err
			}
		}
	}
	return nil
}
