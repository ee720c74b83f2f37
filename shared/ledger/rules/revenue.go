package rules

import (
	"cmp"
	"fmt"
	"maps"
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

// Pool is the revenue state of one data asset as the log implies it up to
// a point: what each party is still owed (payouts carried because they were
// below the use's minimum) and a reference to the asset's latest
// settlement. The zero Pool is the state before the first settlement.
type Pool struct {
	Carries map[string]int64 `json:"carries,omitempty"`
	Last    *envelope.Ref    `json:"last,omitempty"`
}

// Owed returns the total the pool still owes, over all parties.
func (p Pool) Owed() int64 {
	var sum int64
	for _, v := range p.Carries {
		sum += v
	}
	return sum
}

// Settle returns the revenue settlement of a data.use record as the first
// settlement of its asset.
func Settle(use Record) (*envelope.Envelope, error) {
	e, _, err := SettleWith(use, Pool{})
	return e, err
}

// SettleWith returns the revenue settlement of a data.use record given the
// asset's pool, and the carries after it. Each party's share of the use
// plus what the pool owed it is paid when it reaches the use's minimum
// payout (and is not zero), and carried otherwise; parties of the pool
// that have no share in this use keep their carries. The settlement refers
// to the use and to the pool's last settlement, and is dated by the use.
// The caller sets the new pool's Last once the settlement is logged.
func SettleWith(use Record, pool Pool) (*envelope.Envelope, map[string]int64, error) {
	u, ok := use.Body().(*envelope.DataUse)
	if !ok {
		return nil, nil, fmt.Errorf("rules: settle entry %d: %s: %w",
			use.Index, use.Type(), ErrWrongType)
	}
	payouts, err := Distribute(u.AmountFen, u.Shares)
	if err != nil {
		return nil, nil, fmt.Errorf("rules: settle entry %d: %w", use.Index, err)
	}
	rule, err := RuleDigest(u.Shares)
	if err != nil {
		return nil, nil, err
	}
	carries := maps.Clone(pool.Carries)
	if carries == nil {
		carries = make(map[string]int64)
	}
	for i := range payouts {
		p := &payouts[i]
		p.CarriedInFen = carries[p.Party]
		due := p.AmountFen + p.CarriedInFen
		if due > 0 && due >= u.MinPayoutFen {
			p.PaidFen = due
		} else {
			p.CarryFen = due
		}
		carries[p.Party] = p.CarryFen
		if p.CarryFen == 0 {
			delete(carries, p.Party)
		}
	}
	refs := []envelope.Ref{use.Ref()}
	if pool.Last != nil {
		refs = append(refs, *pool.Last)
	}
	e, err := envelope.New(ServiceOrg, use.Signed.Envelope.Time, &envelope.RevenueSettlement{
		UseID: u.UseID, UseIndex: use.Index, Asset: u.Asset, TotalFen: u.AmountFen,
		MinPayoutFen: u.MinPayoutFen, Rule: rule, Payouts: payouts,
	}, refs...)
	if err != nil {
		return nil, nil, err
	}
	return e, carries, nil
}
