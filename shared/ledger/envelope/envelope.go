package envelope

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Version is the envelope format version this package writes and reads.
const Version = 1

// Envelope is one ledger record before signing. Body holds the canonical
// JSON of the typed body named by Type; build envelopes with New.
type Envelope struct {
	V    int    `json:"v"`
	Type Type   `json:"type"`
	Org  string `json:"org"`
	// Time is the submitter's claim, in Unix seconds; the log itself only
	// proves an entry existed before the checkpoints that cover it.
	Time int64           `json:"time"`
	Refs []Ref           `json:"refs,omitempty"`
	Body json.RawMessage `json:"body"`
}

// Ref points at an earlier log entry by index and by the digest of its
// bytes, so that causality never depends on log order alone.
type Ref struct {
	Index uint64 `json:"index"`
	Entry Digest `json:"entry"`
}

// New returns a validated envelope of body submitted by org at time (Unix
// seconds).
func New(org string, time int64, body Body, refs ...Ref) (*Envelope, error) {
	if err := body.Validate(); err != nil {
		return nil, err
	}
	raw, err := Canonical(body)
	if err != nil {
		return nil, err
	}
	e := &Envelope{V: Version, Type: body.Type(), Org: org, Time: time, Refs: refs, Body: raw}
	if err := e.checkHeader(); err != nil {
		return nil, err
	}
	return e, nil
}

// Validate reports the first problem with the envelope and its body.
func (e *Envelope) Validate() error {
	if err := e.checkHeader(); err != nil {
		return err
	}
	_, err := e.Decode()
	return err
}

func (e *Envelope) checkHeader() error {
	if e.V != Version {
		return fmt.Errorf("envelope: v %d: want %d: %w", e.V, Version, ErrInvalid)
	}
	if err := checkID("org", e.Org); err != nil {
		return err
	}
	if e.Time <= 0 {
		return fmt.Errorf("envelope: time %d: want Unix seconds: %w", e.Time, ErrInvalid)
	}
	for i, r := range e.Refs {
		if err := checkDigest(fmt.Sprintf("refs[%d].entry", i), r.Entry); err != nil {
			return err
		}
	}
	return nil
}

// Decode returns the envelope's typed body, validated. Unknown fields are
// refused.
func (e *Envelope) Decode() (Body, error) {
	b, err := newBody(e.Type)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(e.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		return nil, fmt.Errorf("envelope: %s body: %w: %w", e.Type, ErrInvalid, err)
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// Canonical returns the envelope's canonical encoding, the bytes its
// signature covers.
func (e *Envelope) Canonical() ([]byte, error) { return Canonical(e) }
