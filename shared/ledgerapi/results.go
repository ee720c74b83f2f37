package ledgerapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/rules"
	"github.com/xietong/xietong/shared/tables"
)

// maxPoolRounds bounds the rounds of one settlement against its pool; a
// lost round waits a random while up to maxPoolWait before the next.
const (
	maxPoolRounds = 400
	maxPoolWait   = 16 * time.Millisecond
)

// afterLogged runs, for an entry that another path (the timer's drain of
// record requests) logged at index, what a submission runs after
// sequencing: its index rows and the contracts whose results are entries
// (a payment release after an accepted milestone). It returns the results'
// indexes and is safe to repeat.
func (s *Service) afterLogged(ctx context.Context, entry []byte, index uint64) ([]uint64,
	error) {
	signed, err := envelope.Parse(entry)
	if err != nil {
		return nil, err
	}
	return s.recordResults(ctx, signed, entry, index, admission{})
}

// recordResults writes the index rows of an entry logged at index and runs the
// contracts whose results are entries too; it returns the results'
// indexes. Every step is safe to repeat for a replayed submission.
func (s *Service) recordResults(ctx context.Context, signed *envelope.Signed, entry []byte,
	index uint64, adm admission) ([]uint64, error) {
	env := &signed.Envelope
	body, err := env.Decode()
	if err != nil {
		return nil, err
	}
	tid := tables.TenantKey(env.Org)
	put := func(key tables.Key, cols tables.Cols) error {
		if err := s.db.Put(ctx, tables.LedgerIndex.Name, key, cols); err != nil {
			return fmt.Errorf("ledgerapi: index entry %d: %w", index, err)
		}
		return nil
	}
	switch b := body.(type) {
	case *envelope.ConsentGrant:
		return nil, put(grantKey(env.Org, b, index), tables.Cols{"index": int64(index),
			"expires": b.Expires})
	case *envelope.ConsentRevocation:
		g, err := s.grantAt(ctx, b.Grant)
		if err != nil {
			return nil, err
		}
		return nil, put(grantKey(env.Org, g, b.Grant), tables.Cols{"index": int64(b.Grant),
			"expires": g.Expires, "revoked_by": int64(index)})
	case *envelope.SupplierEvaluation:
		return nil, put(tables.Key{tid, kindEvaluation,
			fmt.Sprintf("%s/%020d", b.Supplier, index)}, tables.Cols{
			"supplier": b.Supplier, "score": int64(b.Score), "contract_id": b.ContractID,
			"index": int64(index), "at_ms": env.Time * 1000, "evaluator_corp": env.Org})
	case *envelope.ContractVersion:
		return nil, put(tables.Key{tid, kindContract,
			fmt.Sprintf("%s/%08d", b.ContractID, b.Version)}, tables.Cols{"index": int64(index)})
	case *envelope.IPRegistration:
		return nil, put(tables.Key{serviceTID, kindWork, string(b.Work)}, tables.Cols{
			"entry": string(envelope.DigestOf(entry)), "index": int64(index), "org": env.Org})
	case *envelope.DataUse:
		return s.recordUse(ctx, env, b, entry, index, adm)
	case *envelope.MilestoneAcceptance:
		return s.release(ctx, env.Org, b, index)
	}
	return nil, nil
}

// recordUse lists the use for its owner and settles it.
func (s *Service) recordUse(ctx context.Context, env *envelope.Envelope, u *envelope.DataUse,
	entry []byte, index uint64, adm admission) ([]uint64, error) {
	rec, err := rules.NewRecord(index, entry)
	if err != nil {
		return nil, err
	}
	settled, err := s.settle(ctx, rec, u.Asset)
	if err != nil {
		return nil, err
	}
	key := tables.Key{tables.TenantKey(u.OwnerOr(env.Org)), kindUse, fmt.Sprintf("%020d", index)}
	err = s.db.Put(ctx, tables.LedgerIndex.Name, key, tables.Cols{
		"index": int64(index), "use_id": u.UseID, "asset": u.Asset, "consumer": u.Consumer,
		"purpose": u.Purpose, "amount_fen": u.AmountFen, "grant": int64(adm.grant),
		"at_ms": env.Time * 1000, "org": env.Org, "settlement": int64(settled)})
	if err != nil {
		return nil, fmt.Errorf("ledgerapi: index use %d: %w", index, err)
	}
	return []uint64{settled}, nil
}

// settle logs the settlement of the use once, serialized with every other
// settlement of the asset through the asset's pool row, so that the log
// order of an asset's settlements is the order their carries chain in.
// The pool row keeps the pending settlement (its entry and the carries
// after it) while the entry is being sequenced, and the use's settle row
// keeps its position (colPos) and then its index, so that whoever finds a
// pending settlement (a crashed instance's, or a concurrent one's)
// completes it, once.
// TODO(#7): a use whose instance died before staging its settlement stays
// unsettled until the submission is repeated under its Idempotency-Key
// (replay reports it); and one asset settles at the pace of one pool row.
func (s *Service) settle(ctx context.Context, use rules.Record, asset string) (uint64, error) {
	claim := settleKey(use.Index)
	_, err := s.db.Create(ctx, tables.LedgerIndex.Name, claim, nil)
	if err != nil && !errors.Is(err, tables.ErrExists) {
		return 0, err
	}
	key := tables.Key{serviceTID, kindPool, asset}
	for round := range maxPoolRounds {
		index, done, err := s.settleRound(ctx, key, claim, use)
		if errors.Is(err, tables.ErrConflict) || errors.Is(err, ledger.ErrConflict) {
			if err := backoff(ctx, round); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil || done {
			return index, err
		}
	}
	return 0, fmt.Errorf("ledgerapi: settle entry %d: pool %q stayed busy: %w",
		use.Index, asset, tables.ErrConflict)
}

// backoff waits a random while, longer after more lost rounds.
func backoff(ctx context.Context, round int) error {
	wait := min(time.Millisecond<<min(round, 10), maxPoolWait)
	t := time.NewTimer(rand.N(wait) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func settleKey(use uint64) tables.Key {
	return tables.Key{serviceTID, kindSettle, fmt.Sprintf("%020d", use)}
}

// pending is a settlement on its way into the log, kept in the pool row.
type pending struct {
	Use     uint64           `json:"use"`
	Entry   []byte           `json:"entry"`
	Carries map[string]int64 `json:"carries,omitempty"`
}

// settleRound reads the pool, completes a pending settlement it finds (its
// own, done, or another's, not done) or stages its own; a lost race is an
// ErrConflict, and another round.
func (s *Service) settleRound(ctx context.Context, key, claim tables.Key,
	use rules.Record) (uint64, bool, error) {
	row, err := s.db.Get(ctx, tables.LedgerIndex.Name, key)
	if errors.Is(err, tables.ErrNotFound) {
		_, err = s.db.Create(ctx, tables.LedgerIndex.Name, key, tables.Cols{"pool": "{}"})
		if err == nil || errors.Is(err, tables.ErrExists) {
			return 0, false, nil
		}
	}
	if err != nil {
		return 0, false, err
	}
	if row.Has("pending") {
		var p pending
		if err := json.Unmarshal([]byte(row.String("pending")), &p); err != nil {
			return 0, false, fmt.Errorf("ledgerapi: pool %q: pending: %w", key[2], err)
		}
		index, err := s.completePending(ctx, key, row.Ver(), p, nil)
		return index, err == nil && p.Use == use.Index, err
	}
	// The pool is read before the claim: a settlement completed since
	// shows its index here.
	c, err := s.db.Get(ctx, tables.LedgerIndex.Name, claim)
	if err != nil {
		return 0, false, err
	}
	if c.Has("index") {
		return uint64(c.Int("index")), true, nil
	}
	p, err := s.stage(use, row)
	if err != nil {
		return 0, false, err
	}
	raw, _ := json.Marshal(p)
	ver, err := s.db.Update(ctx, tables.LedgerIndex.Name, key, row.Ver(),
		tables.Change{Set: tables.Cols{"pending": string(raw)}})
	if err != nil {
		return 0, false, err
	}
	index, err := s.completePending(ctx, key, ver, p, c)
	return index, err == nil, err
}

// stage computes the settlement of use against the pool in row.
func (s *Service) stage(use rules.Record, row *tables.Row) (pending, error) {
	var pool rules.Pool
	if err := json.Unmarshal([]byte(row.String("pool")), &pool); err != nil {
		return pending{}, fmt.Errorf("ledgerapi: pool %q: %w", row.Key[2], err)
	}
	e, carries, err := rules.SettleWith(use, pool)
	if err != nil {
		return pending{}, err
	}
	signed, err := s.service.Sign(e)
	if err != nil {
		return pending{}, err
	}
	entry, err := signed.Entry()
	if err != nil {
		return pending{}, err
	}
	return pending{Use: use.Index, Entry: entry, Carries: carries}, nil
}

// completePending sequences the pool's pending settlement p once, with the
// use's settle row (claim, when read already) as the intent, records its
// index there, and moves the pool (at ver) past it.
func (s *Service) completePending(ctx context.Context, key tables.Key, ver int64, p pending,
	claim *tables.Row) (uint64, error) {
	index, err := s.assignSettlement(ctx, p, claim)
	if err != nil {
		return 0, err
	}
	ref := envelope.Ref{Index: index, Entry: envelope.DigestOf(p.Entry)}
	pool, _ := json.Marshal(rules.Pool{Carries: p.Carries, Last: &ref})
	_, err = s.db.Update(ctx, tables.LedgerIndex.Name, key, ver, tables.Change{
		Set: tables.Cols{"pool": string(pool)}, Delete: []string{"pending"}})
	if errors.Is(err, tables.ErrConflict) {
		// Only a completion of p can have changed the pool since ver: a
		// stager reads the pending and completes it instead.
		return index, nil
	}
	return index, err
}

// assignSettlement returns the index of a pending settlement, sequencing
// it unless its settle row has the index already.
func (s *Service) assignSettlement(ctx context.Context, p pending,
	c *tables.Row) (uint64, error) {
	claim := settleKey(p.Use)
	if c == nil {
		var err error
		if c, err = s.db.Get(ctx, tables.LedgerIndex.Name, claim); err != nil {
			return 0, err
		}
	}
	if c.Has("index") {
		return uint64(c.Int("index")), nil
	}
	in := &rowIntent{db: s.db, table: tables.LedgerIndex.Name, key: claim, row: c}
	index, err := s.seq.AssignOnce(ctx, fmt.Sprintf("settle/%d", p.Use), [][]byte{p.Entry}, in)
	if err != nil {
		return 0, err
	}
	_, err = s.db.Update(ctx, tables.LedgerIndex.Name, claim, in.ver,
		tables.Change{Set: tables.Cols{"index": int64(index)}})
	return index, err
}
