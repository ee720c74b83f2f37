package rules

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// Distribute splits total fen among shares by largest remainder: each party
// gets floor(total × bps / 10,000), and the fen left over go one each to the
// parties with the largest remainders, ties to the smaller party id. The
// payouts, sorted by party, always sum to total, and do not depend on the
// order of shares.
func Distribute(total int64, shares []envelope.Share) ([]envelope.Payout, error) {
	if err := envelope.CheckShares(shares); err != nil {
		return nil, fmt.Errorf("rules: distribute: %w", err)
	}
	if total < 0 || total > envelope.MaxFen {
		return nil, fmt.Errorf("rules: distribute %d fen: out of range: %w",
			total, envelope.ErrInvalid)
	}
	type part struct {
		envelope.Payout
		rem int64
	}
	parts := make([]part, len(shares))
	left := total
	for i, s := range shares {
		p := total * int64(s.BPS)
		q := p / envelope.TotalBPS
		parts[i] = part{
			Payout: envelope.Payout{Party: s.Party, BPS: s.BPS, AmountFen: q},
			rem:    p % envelope.TotalBPS,
		}
		left -= q
	}
	slices.SortFunc(parts, func(a, b part) int {
		if c := cmp.Compare(b.rem, a.rem); c != 0 {
			return c
		}
		return cmp.Compare(a.Party, b.Party)
	})
	for i := range left { // left < len(parts)
		parts[i].AmountFen++
	}
	out := make([]envelope.Payout, len(parts))
	for i, p := range parts {
		out[i] = p.Payout
	}
	slices.SortFunc(out, func(a, b envelope.Payout) int { return cmp.Compare(a.Party, b.Party) })
	return out, nil
}

// RuleDigest returns the digest of a revenue rule: the canonical JSON of its
// shares sorted by party.
func RuleDigest(shares []envelope.Share) (envelope.Digest, error) {
	sorted := slices.Clone(shares)
	slices.SortFunc(sorted, func(a, b envelope.Share) int { return cmp.Compare(a.Party, b.Party) })
	b, err := envelope.Canonical(sorted)
	if err != nil {
		return "", err
	}
	return envelope.DigestOf(b), nil
}

// TODO(#7): carry-forward of payouts below a minimum payout is not applied;
// every payout is settled at once.

// Settle returns the revenue settlement of a data.use record.
func Settle(use Record) (*envelope.Envelope, error) {
	u, ok := use.Body().(*envelope.DataUse)
	if !ok {
		return nil, fmt.Errorf("rules: settle entry %d: %s: %w",
			use.Index, use.Type(), ErrWrongType)
	}
	payouts, err := Distribute(u.AmountFen, u.Shares)
	if err != nil {
		return nil, fmt.Errorf("rules: settle entry %d: %w", use.Index, err)
	}
	rule, err := RuleDigest(u.Shares)
	if err != nil {
		return nil, err
	}
	return result(&envelope.RevenueSettlement{
		UseID: u.UseID, UseIndex: use.Index, TotalFen: u.AmountFen, Rule: rule, Payouts: payouts,
	}, use)
}
