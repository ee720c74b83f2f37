package ledgerapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// States of a ledger record request row (tables.Outbox, kind
// ledgerreq.Kind, which is ledgerreq.Kind) as this package moves
// them.
const (
	statePending    = "pending"    // written by the contracts or projects function
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

// Drain turns the ledger record requests written by the contracts and
// projects functions into log entries, each exactly once: the row records
// the position before the entry is written there, and is marked done with
// the index after. It returns how many requests it logged.
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
	both.AddFilter(is("kind", ledgerreq.Kind))
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
	if _, err := s.afterLogged(ctx, entry, index); err != nil {
		return fmt.Errorf("ledgerapi: drain %q: after logging: %w", msgID, err)
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

// index records a drained request's entry in tables.LedgerIndex: a contract
// version keyed by contract and zero-padded version, a milestone acceptance
// by project, milestone and row version. It is a rebuildable mirror of the
// log: the put is safe to repeat.
func (s *Service) index(ctx context.Context, tid, payload string, index uint64) error {
	if ledgerreq.Type(payload) == ledgerreq.TypeMilestoneAcceptance {
		return s.indexAcceptance(ctx, tid, payload, index)
	}
	var req ledgerreq.ContractVersion
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

// requestEntry builds the signed entry of a request: a milestone acceptance
// queued by the projects function (acceptanceEntry), or a contract version
// queued by the contracts function, whose contract row gives the parties
// and previous version row its digest.
func (s *Service) requestEntry(ctx context.Context, tid, payload string) ([]byte, error) {
	if ledgerreq.Type(payload) == ledgerreq.TypeMilestoneAcceptance {
		return s.acceptanceEntry(ctx, tid, payload)
	}
	var req ledgerreq.ContractVersion
	if err := json.Unmarshal([]byte(payload), &req); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", errUnloggable, err)
	}
	if req.Type != string(envelope.TypeContractVersion) {
		return nil, fmt.Errorf("%w: type %q", errUnloggable, req.Type)
	}
	body, err := s.contractTerms(ctx, tid, req)
	if err != nil {
		return nil, err
	}
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
	return s.serviceEntry(req.Corp, req.UploadedAt.Unix(), body)
}

// serviceEntry returns the entry of body, submitted by corp at unix time at
// and signed by the service on its behalf; an envelope that does not
// validate is unloggable.
func (s *Service) serviceEntry(corp string, at int64, body envelope.Body) ([]byte, error) {
	env, err := envelope.New(corp, at, body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnloggable, err)
	}
	signed, err := s.service.SignFor(env)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnloggable, err)
	}
	return signed.Entry()
}

// contractTerms returns the contract-version body of req from the contract
// row: the owner and the parties, each once, owner first; the first other
// party as the supplier; and, when the contract has an amount and
// milestones, one tranche of the whole amount released once every listed
// milestone is accepted (rules.Release).
// TODO(#7): reads the contracts function's row columns by name, and a
// contract has no schedule of several tranches yet.
func (s *Service) contractTerms(ctx context.Context, tid string,
	req ledgerreq.ContractVersion) (*envelope.ContractVersion, error) {
	row, err := s.db.Get(ctx, tables.Contract.Name, tables.Key{tid, req.ContractID})
	if errors.Is(err, tables.ErrNotFound) {
		return nil, fmt.Errorf("%w: no contract %q", errUnloggable, req.ContractID)
	}
	if err != nil {
		return nil, err
	}
	var ps []struct {
		Corp string `json:"corp"`
	}
	if err := json.Unmarshal([]byte(row.String("parties")), &ps); err != nil {
		return nil, fmt.Errorf("%w: contract %q: parties: %v", errUnloggable, req.ContractID, err)
	}
	cv := &envelope.ContractVersion{ContractID: req.ContractID, Version: int(req.Version),
		Document: envelope.Digest("sha256:" + req.SHA256), Parties: []string{req.Corp}}
	for _, p := range ps {
		if p.Corp != "" && !slices.Contains(cv.Parties, p.Corp) {
			cv.Parties = append(cv.Parties, p.Corp)
		}
	}
	if len(cv.Parties) > 1 {
		cv.Supplier = cv.Parties[1]
	}
	var ms []string
	_ = json.Unmarshal([]byte(row.String("milestones")), &ms) // none: no tranche
	if amount := row.Int("amount_fen"); amount > 0 && len(ms) > 0 && cv.Supplier != "" {
		cv.Tranches = []envelope.Tranche{{ID: "all", AmountFen: amount, Milestones: ms}}
	}
	return cv, nil
}
