package rules

import (
	"fmt"
	"slices"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// ReleasePayment returns the release of a contract tranche, computed from the
// log: the latest version of the contract names the tranche, its amount and
// its milestones, and each milestone needs an accepted acceptance from a
// contract party other than the supplier. It fails with ErrNotReleasable
// naming the milestones still missing, or ErrAlreadyDone if the tranche was
// released before.
func ReleasePayment(log []Record, contractID, tranche string) (*envelope.Envelope, error) {
	cv, contract, err := latestVersion(log, contractID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(cv.Tranches, func(t envelope.Tranche) bool { return t.ID == tranche })
	if i < 0 {
		return nil, fmt.Errorf("rules: release %q tranche %q: not in version %d: %w",
			contractID, tranche, cv.Version, ErrNotFound)
	}
	t := cv.Tranches[i]
	if released(log, contractID, tranche) {
		return nil, fmt.Errorf("rules: release %q tranche %q: %w",
			contractID, tranche, ErrAlreadyDone)
	}
	inputs := []Record{contract}
	var missing []string
	for _, m := range t.Milestones {
		acc, ok := acceptance(log, cv, m)
		if !ok {
			missing = append(missing, m)
			continue
		}
		inputs = append(inputs, acc)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("rules: release %q tranche %q: milestones %q not accepted: %w",
			contractID, tranche, missing, ErrNotReleasable)
	}
	body := &envelope.PaymentRelease{
		ContractID: contractID, Version: cv.Version, Tranche: tranche,
		AmountFen: t.AmountFen, Supplier: cv.Supplier,
	}
	for _, in := range inputs[1:] {
		body.Acceptances = append(body.Acceptances, in.Index)
	}
	return result(body, inputs...)
}

// latestVersion returns the highest version of a contract in the log; of
// two records with the same version, the earlier one counts.
func latestVersion(log []Record, contractID string) (*envelope.ContractVersion, Record, error) {
	var best *envelope.ContractVersion
	var rec Record
	for _, r := range log {
		cv, ok := r.Body().(*envelope.ContractVersion)
		if ok && cv.ContractID == contractID && (best == nil || cv.Version > best.Version) {
			best, rec = cv, r
		}
	}
	if best == nil {
		return nil, Record{}, fmt.Errorf("rules: contract %q: %w", contractID, ErrNotFound)
	}
	return best, rec, nil
}

// acceptance returns the earliest acceptance of milestone m of the contract
// by a party that is not its supplier.
func acceptance(log []Record, cv *envelope.ContractVersion, m string) (Record, bool) {
	for _, r := range log {
		a, ok := r.Body().(*envelope.MilestoneAcceptance)
		if !ok || !a.Accepted || a.ContractID != cv.ContractID || a.MilestoneID != m {
			continue
		}
		org := r.Signed.Envelope.Org
		if org != cv.Supplier && slices.Contains(cv.Parties, org) {
			return r, true
		}
	}
	return Record{}, false
}

func released(log []Record, contractID, tranche string) bool {
	for _, r := range log {
		p, ok := r.Body().(*envelope.PaymentRelease)
		if ok && p.ContractID == contractID && p.Tranche == tranche {
			return true
		}
	}
	return false
}
