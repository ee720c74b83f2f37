package tables

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// Columns of an idempotency-key row (tables Idem and Dedupe).
const (
	colReqHash = "req_hash"
	colState   = "state"
	colResult  = "result"
	colExpires = "expires_ms"
)

// Claim states.
const (
	StatePending = "pending" // claimed; the work is running or was abandoned
	StateDone    = "done"    // the work finished and its result is stored
)

// Claim is the outcome of claiming an idempotency key.
type Claim struct {
	// Fresh is true when this request now owns the key and must do the work,
	// then Complete (or Release) it.
	Fresh bool
	// State and Result describe an earlier request with the same key and
	// hash (Fresh false): StatePending while it runs, StateDone with its
	// stored Result.
	State  string
	Result []byte
}

// Claim takes idempotency key key in table (Idem or Dedupe) for a request
// whose content hashes to reqHash, for ttl. It succeeds fresh when the key is
// new or expired, including when an SDK retry finds its own earlier attempt.
// A key held by the same hash returns that request's state (a replay); a key
// held by another hash is ErrConflict.
func (s *Store) Claim(ctx context.Context, table string, key Key, reqHash string,
	ttl time.Duration) (Claim, error) {
	t, pk, err := s.table(ctx, "claim", table, key)
	if err != nil {
		return Claim{}, err
	}
	now := s.now().UnixMilli()
	tok := newToken()
	ch := &tablestore.PutRowChange{TableName: t.Name, PrimaryKey: pk}
	ch.AddColumn(colReqHash, reqHash)
	ch.AddColumn(colState, StatePending)
	ch.AddColumn(colExpires, now+ttl.Milliseconds())
	ch.AddColumn(VerColumn, int64(1))
	ch.AddColumn(slotName(1), tok)
	ch.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
	expired := tablestore.NewSingleColumnCondition(colExpires, tablestore.CT_LESS_THAN, now)
	expired.FilterIfMissing = false // no row (or no expiry): pass
	expired.LatestVersionOnly = true
	ch.SetColumnCondition(expired)
	_, err = s.client.PutRow(&tablestore.PutRowRequest{PutRowChange: ch,
		ExtraRequestInfo: traced(tok)})
	s.wasRetried(tok)
	if err == nil {
		return Claim{Fresh: true}, nil
	}
	if !isCode(err, codeConditionFail) {
		return Claim{}, mapErr("claim", ref(table, key), err)
	}
	row, err := s.readBack(t, pk)
	switch {
	case err != nil:
		return Claim{}, mapErr("claim", ref(table, key), err)
	case row == nil:
		return Claim{}, withCause("claim", ref(table, key), ErrConflict, "key released meanwhile")
	case row.wroteAs(1, tok):
		return Claim{Fresh: true}, nil
	case row.String(colReqHash) != reqHash:
		return Claim{}, withCause("claim", ref(table, key), ErrConflict,
			"key reused for a different request")
	}
	return Claim{State: row.String(colState), Result: row.Bytes(colResult)}, nil
}

// Complete records the result of the work done under a fresh claim. It is
// idempotent; a key now held by another hash is ErrConflict, a vanished key
// ErrNotFound.
func (s *Store) Complete(ctx context.Context, table string, key Key, reqHash string,
	result []byte) error {
	t, pk, err := s.table(ctx, "complete", table, key)
	if err != nil {
		return err
	}
	uc := &tablestore.UpdateRowChange{TableName: t.Name, PrimaryKey: pk}
	uc.PutColumn(colState, StateDone)
	uc.PutColumn(colResult, append([]byte{}, result...))
	uc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
	uc.SetColumnCondition(hashIs(reqHash))
	_, err = s.client.UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: uc})
	if err == nil || !isCode(err, codeConditionFail) {
		return mapErr("complete", ref(table, key), err)
	}
	row, rerr := s.readBack(t, pk)
	if rerr != nil {
		return mapErr("complete", ref(table, key), rerr)
	}
	if row == nil {
		return withCause("complete", ref(table, key), ErrNotFound, "")
	}
	return withCause("complete", ref(table, key), ErrConflict, "key held by another request")
}

// Release gives up a pending claim so that the request can be tried again.
// Releasing a key that is gone, done or held by another hash does nothing.
func (s *Store) Release(ctx context.Context, table string, key Key, reqHash string) error {
	t, pk, err := s.table(ctx, "release", table, key)
	if err != nil {
		return err
	}
	pending := tablestore.NewSingleColumnCondition(colState, tablestore.CT_EQUAL, StatePending)
	pending.FilterIfMissing = true
	pending.LatestVersionOnly = true
	both := tablestore.NewCompositeColumnCondition(tablestore.LO_AND)
	both.AddFilter(hashIs(reqHash))
	both.AddFilter(pending)
	dc := &tablestore.DeleteRowChange{TableName: t.Name, PrimaryKey: pk}
	dc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
	dc.SetColumnCondition(both)
	_, err = s.client.DeleteRow(&tablestore.DeleteRowRequest{DeleteRowChange: dc})
	if isCode(err, codeConditionFail) {
		return nil
	}
	return mapErr("release", ref(table, key), err)
}

func hashIs(h string) *tablestore.SingleColumnCondition {
	c := tablestore.NewSingleColumnCondition(colReqHash, tablestore.CT_EQUAL, h)
	c.FilterIfMissing = true
	c.LatestVersionOnly = true
	return c
}

// ErrInProgress is Once's answer to a repeat of a request whose first run
// has not finished.
var ErrInProgress = errors.New("in progress")

// Once runs do at most once for idempotency key key (in table Idem) and the
// request hashing to reqHash, and returns do's result, stored under the key
// for ttl. A repeat of a finished request returns the stored result with
// replayed true, without running do; a repeat while the first runs is
// ErrInProgress; the key held by another request is ErrConflict. When do
// fails the key is released, so a repeat is decided afresh.
func (s *Store) Once(ctx context.Context, table string, key Key, reqHash string,
	ttl time.Duration, do func() ([]byte, error)) (result []byte, replayed bool, err error) {
	cl, err := s.Claim(ctx, table, key, reqHash, ttl)
	switch {
	case err != nil:
		return nil, false, err
	case !cl.Fresh && cl.State == StateDone:
		return cl.Result, true, nil
	case !cl.Fresh:
		return nil, false, fmt.Errorf("tables: once %q: %w", key.String(), ErrInProgress)
	}
	out, err := do()
	if err != nil {
		s.Release(ctx, table, key, reqHash)
		return nil, false, err
	}
	if err := s.Complete(ctx, table, key, reqHash, out); err != nil {
		return nil, false, err
	}
	return out, false, nil
}
