package rules

import (
	"fmt"
	"slices"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// FirstToFile returns the priority decision for a work digest: the
// registration with the earliest log index wins, every later registration of
// the same digest is refused in its favour.
func FirstToFile(log []Record, work envelope.Digest) (*envelope.Envelope, error) {
	var first *Record
	var firstReg *envelope.IPRegistration
	var refused []uint64
	var inputs []Record
	for i := range log {
		r := &log[i]
		reg, ok := r.Body().(*envelope.IPRegistration)
		if !ok || reg.Work != work {
			continue
		}
		inputs = append(inputs, *r)
		switch {
		case first == nil || r.Index < first.Index:
			if first != nil {
				refused = append(refused, first.Index)
			}
			first, firstReg = r, reg
		default:
			refused = append(refused, r.Index)
		}
	}
	slices.Sort(refused)
	if first == nil {
		return nil, fmt.Errorf("rules: first to file %s: %w", work, ErrNotFound)
	}
	return result(&envelope.IPPriority{
		Work: work, First: first.Index, Owners: firstReg.Owners, Refused: refused,
	}, inputs...)
}

// CheckRegistration refuses reg, about to be logged, if the log already
// holds a registration of the same work; the error names the first one.
func CheckRegistration(log []Record, reg *envelope.IPRegistration) error {
	var first *Record
	for i, r := range log {
		prev, ok := r.Body().(*envelope.IPRegistration)
		if ok && prev.Work == reg.Work && (first == nil || r.Index < first.Index) {
			first = &log[i]
		}
	}
	if first != nil {
		return fmt.Errorf("rules: register %s: first filed at entry %d by %q: %w",
			reg.Work, first.Index, first.Signed.Envelope.Org, ErrRegistered)
	}
	return nil
}
