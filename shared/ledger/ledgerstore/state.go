package ledgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/tables"
)

// batch is one batch row: entries from start, written by writers in order.
type batch struct {
	start   uint64
	entries [][]byte
	writers []writer
}

// writer is one AssignOnce call whose entries are in a batch row.
type writer struct {
	n     int
	token string
}

func (b *batch) end() uint64 { return b.start + uint64(len(b.entries)) }

// size is the bytes of b's entries.
func (b *batch) size() int {
	n := 0
	for _, e := range b.entries {
		n += len(e)
	}
	return n
}

// firsts returns the first index of each writer's entries in the batch, by
// token; a token listed twice keeps its first.
func (b *batch) firsts() map[string]uint64 {
	out := make(map[string]uint64, len(b.writers))
	at := b.start
	for _, w := range b.writers {
		if _, dup := out[w.token]; !dup {
			out[w.token] = at
		}
		at += uint64(w.n)
	}
	return out
}

func newBatch(start uint64, entries [][]byte, toks string) (*batch, error) {
	b := &batch{start: start, entries: entries}
	sum := 0
	for line := range strings.Lines(toks) {
		n, tok, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || count < 1 {
			return nil, fmt.Errorf("ledgerstore: batch %d: writer %q: %w", start, line,
				ledger.ErrCorrupt)
		}
		b.writers = append(b.writers, writer{n: count, token: tok})
		sum += count
	}
	if sum != len(entries) {
		return nil, fmt.Errorf("ledgerstore: batch %d: writers hold %d of %d entries: %w",
			start, sum, len(entries), ledger.ErrCorrupt)
	}
	return b, nil
}

func batchFrom(row *tables.Row) (*batch, error) {
	idx, _ := row.Key[1].(int64)
	entries, err := decodeBatch(row.Bytes(colData), int(row.Int(colN)))
	if err != nil {
		return nil, fmt.Errorf("ledgerstore: batch %d: %w", idx, err)
	}
	return newBatch(uint64(idx), entries, row.String(colToks))
}

// batchAt reads the batch row at pos, or fails wrapping ledger.ErrNotFound.
func (s *Sequencer) batchAt(ctx context.Context, pos uint64) (*batch, error) {
	row, err := s.db.Get(ctx, tables.LedgerEntry.Name, s.entryKey(pos))
	if errors.Is(err, tables.ErrNotFound) {
		return nil, fmt.Errorf("ledgerstore: batch %d: %w", pos, ledger.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledgerstore: batch %d: %w", pos, err)
	}
	return batchFrom(row)
}

// Sequenced implements ledger.Sequencer. Batch rows stay after integration;
// from may be any index, also one inside a batch. The bundle partitions
// past from's batch are read scanWave at a time, concurrently.
// TODO(#7): batch rows below the integrated size are never deleted, and
// Assign does not push back when integration falls behind.
//
// Rows this Sequencer wrote lately come from memory (see recent); the
// chain is followed in Tablestore from the first position not held.
func (s *Sequencer) Sequenced(ctx context.Context, from uint64, max int) ([][]byte, error) {
	if max <= 0 {
		return nil, nil
	}
	var out [][]byte
	pos := from
	if !s.recent.endsAt(from) && s.recent.at(from) == nil {
		first, err := s.covering(ctx, from)
		if err != nil || first == nil {
			return nil, err
		}
		out, pos = first.entries[from-first.start:], first.end()
	}
	for len(out) < max {
		if b := s.recent.at(pos); b != nil {
			out, pos = append(out, b.entries...), b.end()
			continue
		}
		bundles, err := s.scanWave(ctx, pos, max-len(out))
		if err != nil {
			return nil, err
		}
		var took bool
		if out, pos, took = stitch(out, pos, bundles); !took {
			break // Not yet written: the chain ends at pos for now.
		}
	}
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// scanWave is how many bundle partitions Sequenced reads at once.
const scanWave = 8

// scanWave reads the batch rows that start at or after pos in pos's bundle
// and the bundles after it, as many as want more entries can span (at most
// scanWave), concurrently; the result has one list per bundle, in order.
func (s *Sequencer) scanWave(ctx context.Context, pos uint64, want int) ([][]*batch, error) {
	b0 := pos / ledger.TileWidth
	n := min(scanWave, int((pos%ledger.TileWidth+uint64(want)-1)/ledger.TileWidth)+1)
	out := make([][]*batch, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		start := max(pos, (b0+uint64(i))*ledger.TileWidth)
		wg.Go(func() { out[i], errs[i] = s.scanBundle(ctx, start, min(want, ledger.TileWidth)) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// stitch appends to out the entries of the rows that continue the chain at
// pos, bundle by bundle, and returns them with the new end and whether any
// row was taken. It stops where the chain breaks off.
func stitch(out [][]byte, pos uint64, bundles [][]*batch) ([][]byte, uint64, bool) {
	took := false
	for _, rows := range bundles {
		for _, b := range rows {
			if b.start < pos {
				continue // Inside a row already taken: not a chain position.
			}
			if b.start > pos {
				return out, pos, took
			}
			out = append(out, b.entries...)
			pos, took = b.end(), true
		}
	}
	return out, pos, took
}

// covering returns the batch that holds index from, or nil if from is at or
// past the chain's end. A batch starts at most one bundle before from.
func (s *Sequencer) covering(ctx context.Context, from uint64) (*batch, error) {
	b := from / ledger.TileWidth
	for _, bundle := range []uint64{b, b - 1} {
		if bundle > b {
			break // b was 0.
		}
		key := s.bundleKey(bundle)
		rows, _, err := s.db.Page(ctx, tables.LedgerEntry.Name, tables.Range{
			Prefix: tables.Key{key}, Start: tables.Key{key, int64(from)},
			Backward: true, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("ledgerstore: sequenced %d: %w", from, err)
		}
		if len(rows) == 0 {
			continue
		}
		first, err := batchFrom(rows[0])
		if err != nil {
			return nil, err
		}
		if first.end() <= from {
			return nil, nil
		}
		return first, nil
	}
	return nil, nil
}

// scanBundle reads up to limit batch rows that start at or after pos in
// pos's entry bundle.
func (s *Sequencer) scanBundle(ctx context.Context, pos uint64, limit int) ([]*batch, error) {
	key := s.bundleKey(pos / ledger.TileWidth)
	rows, _, err := s.db.Page(ctx, tables.LedgerEntry.Name, tables.Range{
		Prefix: tables.Key{key}, Start: tables.Key{key, int64(pos)}, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("ledgerstore: sequenced %d: %w", pos, err)
	}
	out := make([]*batch, 0, len(rows))
	for _, row := range rows {
		b, err := batchFrom(row)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// State implements ledger.Sequencer.
func (s *Sequencer) State(ctx context.Context) (ledger.TreeState, error) {
	st, _, err := s.state(ctx)
	return st, err
}

func (s *Sequencer) state(ctx context.Context) (ledger.TreeState, int64, error) {
	if err := s.ensure(ctx); err != nil {
		return ledger.TreeState{}, 0, err
	}
	row, err := s.db.Get(ctx, tables.LedgerSeq.Name, s.seqKey())
	if err != nil {
		return ledger.TreeState{}, 0, fmt.Errorf("ledgerstore: state: %w", err)
	}
	st := ledger.TreeState{Size: uint64(row.Int(colSize)), Root: row.Bytes(colRoot)}
	s.remember(st, row.Ver())
	return st, row.Ver(), nil
}

// seenState is the state this Sequencer last read or wrote, with the
// LedgerSeq row's ver then.
type seenState struct {
	mu  sync.Mutex
	st  ledger.TreeState
	ver int64
}

func (s *Sequencer) remember(st ledger.TreeState, ver int64) {
	s.last.mu.Lock()
	defer s.last.mu.Unlock()
	if ver >= s.last.ver {
		s.last.st, s.last.ver = st, ver
	}
}

// knownVer returns the ver of the LedgerSeq row when this Sequencer last
// saw state st in it, or 0.
func (s *Sequencer) knownVer(st ledger.TreeState) int64 {
	s.last.mu.Lock()
	defer s.last.mu.Unlock()
	if s.last.ver == 0 || s.last.st.Size != st.Size || !bytes.Equal(s.last.st.Root, st.Root) {
		return 0
	}
	return s.last.ver
}

// SetState implements ledger.Sequencer with a ver-checked update. When this
// Sequencer last saw old in the row (Integrate reads the state first), the
// ver it saw then is checked and the row is not read again.
func (s *Sequencer) SetState(ctx context.Context, old, next ledger.TreeState) error {
	if next.Size < old.Size {
		return fmt.Errorf("ledgerstore: set state %d: below %d: %w",
			next.Size, old.Size, ledger.ErrConflict)
	}
	ver := s.knownVer(old)
	if ver == 0 {
		cur, v, err := s.state(ctx)
		if err != nil {
			return err
		}
		if cur.Size != old.Size || !bytes.Equal(cur.Root, old.Root) {
			return fmt.Errorf("ledgerstore: set state %d: state is %d: %w",
				next.Size, cur.Size, ledger.ErrConflict)
		}
		ver = v
	}
	root := bytes.Clone(next.Root)
	nver, err := s.db.Update(ctx, tables.LedgerSeq.Name, s.seqKey(), ver, tables.Change{
		Set: tables.Cols{colSize: int64(next.Size), colRoot: root}})
	if errors.Is(err, tables.ErrConflict) {
		return fmt.Errorf("ledgerstore: set state %d: %w: %w", next.Size, ledger.ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("ledgerstore: set state %d: %w", next.Size, err)
	}
	s.remember(ledger.TreeState{Size: next.Size, Root: root}, nver)
	s.recent.forget(next.Size)
	return nil
}

// RaisePublished implements ledger.Sequencer with one conditional update
// of the LedgerSeq row (applied unless the recorded size is larger) and a
// read of what it holds afterwards.
func (s *Sequencer) RaisePublished(ctx context.Context, size uint64, raw []byte) ([]byte,
	error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	pk := new(tablestore.PrimaryKey)
	pk.AddPrimaryKeyColumn(tables.LedgerSeq.PrimaryKey[0].Name, s.logKey)
	uc := &tablestore.UpdateRowChange{TableName: tables.LedgerSeq.Name, PrimaryKey: pk}
	uc.PutColumn(colPub, int64(size))
	uc.PutColumn(colCP, raw)
	uc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
	notLarger := tablestore.NewSingleColumnCondition(colPub, tablestore.CT_LESS_EQUAL,
		int64(size))
	notLarger.FilterIfMissing = false // None recorded yet: raise.
	notLarger.LatestVersionOnly = true
	uc.SetColumnCondition(notLarger)
	_, err := s.db.Client().UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: uc})
	err = tables.MapErr("raise published", strconv.FormatUint(size, 10), err)
	if err != nil && !errors.Is(err, tables.ErrConflict) { // Conflict: a larger one is there.
		return nil, fmt.Errorf("ledgerstore: %w", err)
	}
	return s.Published(ctx)
}

// Published implements ledger.Sequencer.
func (s *Sequencer) Published(ctx context.Context) ([]byte, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	row, err := s.db.Get(ctx, tables.LedgerSeq.Name, s.seqKey(), tables.Columns(colCP))
	if errors.Is(err, tables.ErrNotFound) {
		return nil, nil // The row holds no checkpoint yet: none is answered.
	}
	if err != nil {
		return nil, fmt.Errorf("ledgerstore: published: %w", err)
	}
	return row.Bytes(colCP), nil
}
