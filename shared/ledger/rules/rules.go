// Package rules holds xietong's deterministic contracts: pure functions over
// ledger records whose results are envelopes too, so that any party holding
// the log can recompute every result and compare it with the one logged.
//
//   - Distribute and SettleWith split a data use's amount among the parties
//     of its revenue rule (integer fen, largest remainder, ties by party id)
//     and carry payouts below the use's minimum to the asset's next
//     settlement (Pool).
//   - CheckConsent finds the live consent grant a data use needs.
//   - ReleasePayment releases a contract tranche only when acceptances of all
//     its milestones are in the log.
//   - FirstToFile decides IP priority by the earliest log index of a work
//     digest.
//   - Replay walks a whole log, recomputes all of the above and reports
//     every entry that differs.
//
// Nothing here reads a clock, a random source or storage.
package rules

import (
	"errors"
	"fmt"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// ServiceOrg is the organization the service signs contract results as.
const ServiceOrg = "xietong"

// Errors of the contracts.
var (
	// ErrNotReleasable means a tranche's milestones are not all accepted.
	ErrNotReleasable = errors.New("tranche not releasable")
	// ErrAlreadyDone means the log already holds the result asked for.
	ErrAlreadyDone = errors.New("already in the log")
	// ErrNotFound means the log holds no record the contract needs.
	ErrNotFound = errors.New("no such record")
	// ErrRegistered means a work digest was registered earlier in the log.
	ErrRegistered = errors.New("work already registered")
	// ErrWrongType means a record is not of the type a contract needs.
	ErrWrongType = errors.New("wrong record type")
)

// Record is a log entry with its index and parsed envelope.
type Record struct {
	Index  uint64
	Entry  []byte
	Signed *envelope.Signed
	body   envelope.Body
}

// Records parses entries logged at consecutive indexes from first.
func Records(first uint64, entries [][]byte) ([]Record, error) {
	out := make([]Record, 0, len(entries))
	for i, e := range entries {
		r, err := NewRecord(first+uint64(i), e)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// NewRecord parses the entry logged at index.
func NewRecord(index uint64, entry []byte) (Record, error) {
	s, err := envelope.Parse(entry)
	if err != nil {
		return Record{}, fmt.Errorf("rules: entry %d: %w", index, err)
	}
	b, err := s.Envelope.Decode()
	if err != nil {
		return Record{}, fmt.Errorf("rules: entry %d: %w", index, err)
	}
	return Record{Index: index, Entry: entry, Signed: s, body: b}, nil
}

// Body returns the record's typed body.
func (r Record) Body() envelope.Body { return r.body }

// Type returns the record's envelope type.
func (r Record) Type() envelope.Type { return r.Signed.Envelope.Type }

// Ref returns a reference to the record.
func (r Record) Ref() envelope.Ref {
	return envelope.Ref{Index: r.Index, Entry: envelope.DigestOf(r.Entry)}
}

// result wraps a contract's output body in a service envelope dated by the
// latest of its inputs, never by a clock.
func result(body envelope.Body, inputs ...Record) (*envelope.Envelope, error) {
	var t int64
	refs := make([]envelope.Ref, 0, len(inputs))
	for _, in := range inputs {
		t = max(t, in.Signed.Envelope.Time)
		refs = append(refs, in.Ref())
	}
	return envelope.New(ServiceOrg, t, body, refs...)
}
