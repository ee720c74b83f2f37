package ledgerapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// States of a ledger record request row (tables.Outbox, kind
// contracts.LedgerKind) as this package moves them.
const (
	statePending    = "pending"    // written by the contracts function
	stateSequencing = "sequencing" // a position is recorded in colPos
	stateDone       = "done"       // ledger_index holds the entry's index
	stateFailed     = "failed"     // reason says why it can never be logged
)

// maxIntegrateRuns bounds the Integrate calls of one tick.
const maxIntegrateRuns = 64

// Tick is the timer handler: it logs waiting ledger record requests, then
// integrates every waiting entry and publishes a checkpoint when the tree
// grew (with the witnesses' cosignatures when configured).
func (s *Service) Tick(ctx context.Context, _ runtime.TimerEvent) error {
	logged, drainErr := s.Drain(ctx)
	st, err := s.Integrate(ctx)
	if err != nil {
		return errors.Join(drainErr, err)
	}
	c, err := s.log.Publish(ctx)
	if err != nil {
		return errors.Join(drainErr, err)
	}
	runtime.Logger(ctx).Info("ledger.tick", "drained", logged, "size", st.Size,
		"checkpoint", c.Size)
	return drainErr
}

// Integrate integrates every waiting entry, retrying runs that lost a race
// with another instance, and returns the integrated state.
func (s *Service) Integrate(ctx context.Context) (ledger.TreeState, error) {
	var st ledger.TreeState
	for range maxIntegrateRuns {
		var err error
		st, err = s.log.Integrate(ctx)
		if errors.Is(err, ledger.ErrConflict) {
			continue
		}
		if err != nil {
			return st, err
		}
		waiting, err := s.seq.Sequenced(ctx, st.Size, 1)
		if err != nil {
			return st, err
		}
		if len(waiting) == 0 {
			return st, nil
		}
	}
	return st, nil // The next tick goes on.
}

// Drain turns the ledger record requests written by the contracts function
// into log entries, each exactly once: the row records the position before
// the entry is written there, and is marked done with the index after. It
// returns how many requests it logged.
// TODO(#7): scans the whole outbox with a filter; an index on kind and
// state would read only the waiting requests.
func (s *Service) Drain(ctx context.Context) (int, error) {
	var rows []*tables.Row
	for row, err := range s.db.Scan(ctx, tables.Outbox.Name, tables.Range{Filter: waiting()}) {
		if err != nil {
			return 0, fmt.Errorf("ledgerapi: drain: %w", err)
		}
		rows = append(rows, row)
	}
	logged := 0
	var errs []error
	for _, row := range rows {
		err := s.record(ctx, row)
		switch {
		case err == nil:
			logged++
		case errors.Is(err, errUnloggable), errors.Is(err, tables.ErrConflict):
			// Marked failed, or another instance has the row.
		default:
			errs = append(errs, err)
		}
	}
	return logged, errors.Join(errs...)
}

// waiting selects the ledger record requests not yet done or failed.
func waiting() tablestore.ColumnFilter {
	is := func(col, v string) *tablestore.SingleColumnCondition {
		c := tablestore.NewSingleColumnCondition(col, tablestore.CT_EQUAL, v)
		c.FilterIfMissing = true
		c.LatestVersionOnly = true
		return c
	}
	state := tablestore.NewCompositeColumnCondition(tablestore.LO_OR)
	state.AddFilter(is("state", statePending))
	state.AddFilter(is("state", stateSequencing))
	both := tablestore.NewCompositeColumnCondition(tablestore.LO_AND)
	both.AddFilter(is("kind", contracts.LedgerKind))
	both.AddFilter(state)
	return both
}

// errUnloggable marks a request that can never become an entry.
var errUnloggable = errors.New("request cannot be logged")

// record logs one request row and marks it done, or failed when it can
// never be logged.
func (s *Service) record(ctx context.Context, row *tables.Row) error {
	tid, _ := row.Key[0].(string)
	msgID, _ := row.Key[1].(string)
	entry, err := s.requestEntry(ctx, tid, row.String("payload"))
	if errors.Is(err, errUnloggable) {
		_, uerr := s.db.Update(ctx, tables.Outbox.Name, row.Key, row.Ver(), tables.Change{
			Set: tables.Cols{"state": stateFailed, "reason": err.Error()}})
		runtime.Logger(ctx).Warn("ledger.request_failed", "msg_id", msgID, "error", err)
		return errors.Join(err, uerr)
	}
	if err != nil {
		return err
	}
	in := &rowIntent{db: s.db, table: tables.Outbox.Name, key: row.Key, row: row,
		set: tables.Cols{"state": stateSequencing}}
	index, err := s.seq.AssignOnce(ctx, "outbox/"+tid+"/"+msgID, [][]byte{entry}, in)
	if err != nil {
		return fmt.Errorf("ledgerapi: drain %q: %w", msgID, err)
	}
	if err := s.index(ctx, tid, row.String("payload"), index); err != nil {
		return err
	}
	_, err = s.db.Update(ctx, tables.Outbox.Name, row.Key, in.ver, tables.Change{
		Set: tables.Cols{"state": stateDone, "ledger_index": int64(index),
			"done_ms": s.now().UnixMilli()}})
	if err != nil {
		return fmt.Errorf("ledgerapi: drain %q: %w", msgID, err)
	}
	return nil
}

// Kinds of business index rows (tables.LedgerIndex).
const indexContractVersion = "contract.version"

// index records a drained request's entry in tables.LedgerIndex, keyed by
// contract and zero-padded version. It is a rebuildable mirror of the log:
// the put is safe to repeat.
func (s *Service) index(ctx context.Context, tid, payload string, index uint64) error {
	var req contracts.LedgerRequest
	if err := json.Unmarshal([]byte(payload), &req); err != nil {
		return nil // Logged already; nothing to index by.
	}
	key := fmt.Sprintf("%s/%08d", req.ContractID, req.Version)
	err := s.db.Put(ctx, tables.LedgerIndex.Name, tables.Key{tid, indexContractVersion, key},
		tables.Cols{"index": int64(index)})
	if err != nil {
		return fmt.Errorf("ledgerapi: index %q: %w", key, err)
	}
	return nil
}

// requestEntry builds the signed entry of a contract-version request: the
// contract row gives the parties, the previous version row its digest.
// TODO(#7): only contract versions are requested so far; milestone
// acceptances from the projects function are not.
func (s *Service) requestEntry(ctx context.Context, tid, payload string) ([]byte, error) {
	var req contracts.LedgerRequest
	if err := json.Unmarshal([]byte(payload), &req); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", errUnloggable, err)
	}
	if req.Type != string(envelope.TypeContractVersion) {
		return nil, fmt.Errorf("%w: type %q", errUnloggable, req.Type)
	}
	parties, err := s.contractParties(ctx, tid, req)
	if err != nil {
		return nil, err
	}
	body := &envelope.ContractVersion{ContractID: req.ContractID, Version: int(req.Version),
		Document: envelope.Digest("sha256:" + req.SHA256), Parties: parties}
	if req.Version > 1 {
		prev, err := s.db.Get(ctx, tables.ContractVersion.Name,
			tables.Key{tid, req.ContractID, req.Version - 1})
		if errors.Is(err, tables.ErrNotFound) {
			return nil, fmt.Errorf("%w: version %d has no predecessor", errUnloggable, req.Version)
		}
		if err != nil {
			return nil, err
		}
		body.Previous = envelope.Digest("sha256:" + prev.String("sha256"))
	}
	env, err := envelope.New(req.Corp, req.UploadedAt.Unix(), body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnloggable, err)
	}
	signed, err := s.service.SignFor(env)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnloggable, err)
	}
	return signed.Entry()
}

// contractParties returns the owner and the parties of the contract, each
// once, owner first.
// TODO(#7): reads the contracts function's row columns by name; the
// request payload could carry the parties and the previous digest.
func (s *Service) contractParties(ctx context.Context, tid string,
	req contracts.LedgerRequest) ([]string, error) {
	row, err := s.db.Get(ctx, tables.Contract.Name, tables.Key{tid, req.ContractID})
	if errors.Is(err, tables.ErrNotFound) {
		return nil, fmt.Errorf("%w: no contract %q", errUnloggable, req.ContractID)
	}
	if err != nil {
		return nil, err
	}
	var ps []contracts.Party
	if err := json.Unmarshal([]byte(row.String("parties")), &ps); err != nil {
		return nil, fmt.Errorf("%w: contract %q: parties: %v", errUnloggable, req.ContractID, err)
	}
	out := []string{req.Corp}
	for _, p := range ps {
		if p.Corp != "" && !slices.Contains(out, p.Corp) {
			out = append(out, p.Corp)
		}
	}
	return out, nil
}
