package ledgerapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/rules"
	"github.com/xietong/xietong/shared/tables"
)

// Kinds of the payment release rows.
const (
	kindAcceptance = "contract.acceptance" // acceptor: contract/milestone/index
	kindRelease    = "payment.release"     // service: contract/tranche
)

// release runs the payment release contract after an accepted milestone:
// every tranche of the contract's latest version whose milestones are now
// all accepted is released once, as an entry of its own.
// TODO(#7): the contract is looked up among the versions the acceptor's
// organization logged; an acceptance by a party that is not the contract's
// owner releases nothing.
func (s *Service) release(ctx context.Context, org string, a *envelope.MilestoneAcceptance,
	index uint64) ([]uint64, error) {
	tid := tables.TenantKey(org)
	if err := s.db.Put(ctx, tables.LedgerIndex.Name, tables.Key{tid, kindAcceptance,
		fmt.Sprintf("%s/%s/%020d", a.ContractID, a.MilestoneID, index)},
		tables.Cols{"index": int64(index), "accepted": a.Accepted}); err != nil {
		return nil, fmt.Errorf("ledgerapi: index acceptance %d: %w", index, err)
	}
	if !a.Accepted {
		return nil, nil
	}
	log, err := s.contractRecords(ctx, tid, a.ContractID)
	if err != nil || len(log) == 0 {
		return nil, err
	}
	cv := log[0].Body().(*envelope.ContractVersion)
	var out []uint64
	for _, t := range cv.Tranches {
		if !slices.Contains(t.Milestones, a.MilestoneID) {
			continue
		}
		e, err := rules.ReleasePayment(log, a.ContractID, t.ID)
		if errors.Is(err, rules.ErrNotReleasable) {
			continue
		}
		if err != nil {
			return out, err
		}
		i, err := s.logRelease(ctx, a.ContractID, t.ID, e)
		if err != nil {
			return out, err
		}
		out = append(out, i)
	}
	return out, nil
}

// contractRecords returns the latest logged version of a contract followed
// by the acceptances of its milestones, in log order; none if the contract
// has no logged version.
func (s *Service) contractRecords(ctx context.Context, tid, contractID string) (
	[]rules.Record, error) {
	rng := func(kind string) tables.Range {
		return tables.Range{Start: tables.Key{tid, kind, contractID + "/"},
			End: tables.Key{tid, kind, contractID + "0"}}
	}
	versions, _, err := s.db.Page(ctx, tables.LedgerIndex.Name, rng(kindContract))
	if err != nil || len(versions) == 0 {
		return nil, err
	}
	accs, _, err := s.db.Page(ctx, tables.LedgerIndex.Name, rng(kindAcceptance))
	if err != nil {
		return nil, err
	}
	indexes := []int64{versions[len(versions)-1].Int("index")}
	for _, r := range accs {
		if r.Bool("accepted") {
			indexes = append(indexes, r.Int("index"))
		}
	}
	slices.Sort(indexes[1:])
	out := make([]rules.Record, 0, len(indexes))
	for _, i := range indexes {
		entry, _, err := s.entryAt(ctx, uint64(i))
		if err != nil {
			return nil, err
		}
		rec, err := rules.NewRecord(uint64(i), entry)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if _, ok := out[0].Body().(*envelope.ContractVersion); !ok {
		return nil, fmt.Errorf("ledgerapi: contract %q: entry %d is not a version",
			contractID, indexes[0])
	}
	return out, nil
}

// logRelease logs a release once per contract tranche: the release row
// is claimed first and keeps the position while the entry is sequenced.
func (s *Service) logRelease(ctx context.Context, contractID, tranche string,
	e *envelope.Envelope) (uint64, error) {
	key := tables.Key{serviceTID, kindRelease, contractID + "/" + tranche}
	in := &rowIntent{db: s.db, table: tables.LedgerIndex.Name, key: key}
	_, err := s.db.Create(ctx, tables.LedgerIndex.Name, key, nil)
	switch {
	case err == nil:
		in.fresh = true
	case errors.Is(err, tables.ErrExists):
		row, err := s.db.Get(ctx, tables.LedgerIndex.Name, key)
		if err != nil {
			return 0, err
		}
		if row.Has("index") {
			return uint64(row.Int("index")), nil
		}
		in.row = row
	default:
		return 0, err
	}
	signed, err := s.service.Sign(e)
	if err != nil {
		return 0, err
	}
	entry, err := signed.Entry()
	if err != nil {
		return 0, err
	}
	token := "release/" + strings.ReplaceAll(fmt.Sprint(key[2]), " ", "_")
	index, err := s.seq.AssignOnce(ctx, token, [][]byte{entry}, in)
	if err != nil {
		return 0, err
	}
	_, err = s.db.Update(ctx, tables.LedgerIndex.Name, key, in.ver,
		tables.Change{Set: tables.Cols{"index": int64(index)}})
	return index, err
}
