package ledgerstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/tables"
)

// Limits of one Assign: a batch is one Tablestore row, whose cells hold at
// most 2 MiB, and spans at most two entry bundles.
const (
	MaxBatchEntries = ledger.TileWidth
	MaxBatchBytes   = 1 << 20
)

// Columns of the LedgerSeq row and of LedgerEntry batch rows.
const (
	colNext = "next" // hint: a chain position at or before the chain's end
	colSize = "size" // integrated tree size
	colRoot = "root" // integrated root hash
	colPub  = "pub"  // size of the latest published checkpoint
	colCP   = "cp"   // the latest published checkpoint
	colN    = "n"    // entries in the batch
	colData = "data" // the entries, each with a big-endian uint16 length
	colToks = "toks" // the writers: "<entries> <token>\n" each, in order
)

// maxAttempts bounds the positions one Assign tries before giving up.
const maxAttempts = 10_000

// Sequencer is a ledger.Sequencer over Tablestore for one log. It is safe
// for concurrent use, by any number of processes sharing the tables.
type Sequencer struct {
	db     *tables.Store
	origin string
	logKey string
	seen   atomic.Uint64 // end of the latest batch row this Sequencer saw
	mine   atomic.Bool   // that row was this Sequencer's, placed at once
	ready  atomic.Bool
	init   sync.Mutex // held while ensure creates the LedgerSeq row
	group  committer
	recent recent    // rows written lately, for Sequenced
	last   seenState // the state last read or written, with its ver

	prefixOnce sync.Once
	prefix     string        // of plain Assigns' tokens
	count      atomic.Uint64 // plain Assigns so far
}

var _ ledger.Sequencer = (*Sequencer)(nil)

// NewSequencer returns the sequencer of the log named origin in db, which
// must declare tables.LedgerSeq and tables.LedgerEntry.
func NewSequencer(db *tables.Store, origin string) (*Sequencer, error) {
	for _, t := range []tables.Table{tables.LedgerSeq, tables.LedgerEntry} {
		if _, ok := db.Table(t.Name); !ok {
			return nil, fmt.Errorf("ledgerstore: new sequencer: table %q not declared", t.Name)
		}
	}
	if origin == "" {
		return nil, errors.New("ledgerstore: new sequencer: origin is required")
	}
	return &Sequencer{db: db, origin: origin, logKey: tables.SaltedKey(origin)}, nil
}

// Intent durably records the position a keyed assignment is being tried at,
// typically in the row of the request being sequenced.
type Intent interface {
	// Position returns the position last saved, with ok false if none.
	Position(ctx context.Context) (pos uint64, ok bool, err error)
	// Save records pos; it fails with an error wrapping ledger.ErrConflict
	// if another assigner saved a position since this one last read it.
	Save(ctx context.Context, pos uint64) error
}

// Assign implements ledger.Sequencer. Concurrent calls on one Sequencer
// are written together as one batch row when they fit (group commit); each
// caller still gets its own contiguous indexes.
func (s *Sequencer) Assign(ctx context.Context, entries [][]byte) (uint64, error) {
	return s.AssignOnce(ctx, s.newToken(), entries, new(memIntent))
}

// AssignOnce assigns entries as one batch, at most once for token: callers
// that pass the same token and intent (after a crash, or concurrently, in
// any process) get the same first index and the batch is stored once. The
// intent records the position of the batch row before the row is written
// there. Entries of a repeated call are ignored once the token's batch
// exists. Tokens must not contain white space. Concurrent calls on one
// Sequencer share batch rows, as Assign's do.
func (s *Sequencer) AssignOnce(
	ctx context.Context, token string, entries [][]byte, in Intent,
) (uint64, error) {
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return 0, fmt.Errorf("ledgerstore: assign: token %q: empty or with white space", token)
	}
	if _, err := checkBatch(entries); err != nil {
		return 0, err
	}
	if err := s.ensure(ctx); err != nil {
		return 0, err
	}
	m := &member{token: token, entries: entries, intent: in}
	return s.group.assign(ctx, m, s.place)
}

// member is one AssignOnce call in a batch row.
type member struct {
	token   string
	entries [][]byte
	intent  Intent
	first   uint64
	placed  bool // first is set
	err     error
	alone   bool // its intent moved under it: place it by itself
}

// place writes the members' entries as shared batch rows and sets each
// member's first index or error. Members whose intent already names a
// position (a rerun) are placed alone, starting there; so is a second
// member with a token already in the group, once the first is placed.
func (s *Sequencer) place(ctx context.Context, ms []*member) {
	var fresh []*member
	seen := make(map[string]bool)
	for _, m := range ms {
		pos, ok, err := m.intent.Position(ctx)
		switch {
		case err != nil:
			m.err = fmt.Errorf("ledgerstore: assign: intent: %w", err)
		case ok:
			s.placeAt(ctx, []*member{m}, pos, true)
		case seen[m.token]:
			m.alone = true
		default:
			seen[m.token] = true
			fresh = append(fresh, m)
		}
	}
	s.placeAt(ctx, fresh, 0, false)
	for _, m := range ms {
		for m.alone && m.err == nil {
			m.alone = false
			pos, ok, err := m.intent.Position(ctx)
			if err != nil {
				m.err = fmt.Errorf("ledgerstore: assign: intent: %w", err)
				break
			}
			s.placeAt(ctx, []*member{m}, pos, ok)
		}
		if !m.placed && m.err == nil {
			m.err = fmt.Errorf("ledgerstore: assign %q: left unplaced", m.token)
		}
	}
}

// placeAt writes ms as one batch row at pos (saved in their intents when
// known), moving on to the next chain position as rivals take them.
// Members found in a rival's row are done there.
func (s *Sequencer) placeAt(ctx context.Context, ms []*member, pos uint64, known bool) {
	for losses := 0; len(ms) > 0; losses++ {
		if losses >= maxAttempts {
			setErr(ms, fmt.Errorf("ledgerstore: assign: no free position after %d tries: %w",
				maxAttempts, ledger.ErrConflict))
			return
		}
		if !known {
			var err error
			switch {
			case losses == 0 && s.mine.Load() && s.seen.Load() >= pos:
				// This Sequencer wrote the latest row it knows of, on its
				// first try: most likely no rival has written since.
				pos = s.seen.Load()
			case losses%4 == 0: // Walk, and consult the hint now and then.
				if pos, err = s.candidate(ctx, pos); err != nil {
					setErr(ms, err)
					return
				}
			}
			if ms = saveAll(ctx, ms, pos); len(ms) == 0 {
				return
			}
		}
		row, err := s.claim(ctx, pos, ms)
		if err != nil {
			setErr(ms, err)
			return
		}
		rest := settle(ms, row)
		s.see(row.end())
		s.mine.Store(losses == 0 && len(rest) == 0 && len(ms) > 0)
		ms, pos, known = rest, row.end(), false
	}
}

// saveAll records pos in the members' intents, in parallel, and returns the
// members that now hold it; the others are set aside (alone, or failed).
func saveAll(ctx context.Context, ms []*member, pos uint64) []*member {
	var wg sync.WaitGroup
	for _, m := range ms {
		if in, ok := m.intent.(*memIntent); ok {
			in.pos, in.ok = pos, true // A plain Assign's: nothing to wait for.
			continue
		}
		wg.Go(func() {
			err := m.intent.Save(ctx, pos)
			switch {
			case errors.Is(err, ledger.ErrConflict):
				m.alone = true
			case err != nil:
				m.err = fmt.Errorf("ledgerstore: assign: intent: %w", err)
			}
		})
	}
	wg.Wait()
	kept := ms[:0:0]
	for _, m := range ms {
		if !m.alone && m.err == nil {
			kept = append(kept, m)
		}
	}
	return kept
}

// settle marks the members whose token is in row done and returns the rest.
func settle(ms []*member, row *batch) []*member {
	var rest []*member
	firsts := row.firsts()
	for _, m := range ms {
		if first, ok := firsts[m.token]; ok {
			m.first, m.placed = first, true
		} else {
			rest = append(rest, m)
		}
	}
	return rest
}

func setErr(ms []*member, err error) {
	for _, m := range ms {
		m.err = err
	}
}

// candidate returns the next position to try after a taken one that ends at
// after: the latest of it, the end of the last row this Sequencer saw, and
// the end of the row at the hint. All are chain positions, and chain
// positions are ordered, so the latest is one too.
func (s *Sequencer) candidate(ctx context.Context, after uint64) (uint64, error) {
	next, err := s.head(ctx)
	if err != nil {
		return 0, err
	}
	pos := max(after, s.seen.Load())
	if next <= pos {
		return pos, nil
	}
	// The hint is usually the start of the latest row: step over it.
	row, err := s.db.Get(ctx, tables.LedgerEntry.Name, s.entryKey(next), tables.Columns(colN))
	if errors.Is(err, tables.ErrNotFound) {
		return next, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledgerstore: head %d: %w", next, err)
	}
	return next + uint64(row.Int(colN)), nil
}

// see records that a row ends at end.
func (s *Sequencer) see(end uint64) {
	for old := s.seen.Load(); end > old && !s.seen.CompareAndSwap(old, end); {
		old = s.seen.Load()
	}
}

// claim tries to write the members' batch at pos and returns the row that
// holds pos afterwards: theirs, or a rival's.
func (s *Sequencer) claim(ctx context.Context, pos uint64, ms []*member) (*batch, error) {
	var all [][]byte
	var toks strings.Builder
	for _, m := range ms {
		all = append(all, m.entries...)
		fmt.Fprintf(&toks, "%d %s\n", len(m.entries), m.token)
	}
	data, err := encodeBatch(all)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		cerr := s.create(pos, len(all), data, toks.String())
		if cerr == nil {
			return s.hold(pos, len(all), data, toks.String())
		}
		b, gerr := s.batchAt(ctx, pos)
		if gerr == nil {
			return b, nil // Ours after all (an earlier attempt), or a rival's.
		}
		// The create's outcome is unclear and the row is not readable (or
		// not there): write again, the tokens settle who wrote it.
		if try >= 8 || ctx.Err() != nil {
			return nil, fmt.Errorf("ledgerstore: assign %d: %w", pos, errors.Join(cerr, gerr))
		}
		pause(ctx, try)
	}
}

// create writes the batch row at pos, if no row is there, and in the same
// request raises the hint to pos: one round trip and, in Tablestore, one
// commit. The rows of a batch succeed or fail on their own, so the hint
// names the row's start, a chain position whatever became of the row, and
// not its end, which is one only if the row was written. The hint is best
// effort; only the row's outcome is returned (nil when written).
func (s *Sequencer) create(pos uint64, n int, data []byte, toks string) error {
	names := tables.LedgerEntry.PrimaryKey
	pk := new(tablestore.PrimaryKey)
	pk.AddPrimaryKeyColumn(names[0].Name, s.bundleKey(pos/ledger.TileWidth))
	pk.AddPrimaryKeyColumn(names[1].Name, int64(pos))
	row := &tablestore.PutRowChange{TableName: tables.LedgerEntry.Name, PrimaryKey: pk}
	row.AddColumn(colN, int64(n))
	row.AddColumn(colData, data)
	row.AddColumn(colToks, toks)
	row.AddColumn(tables.VerColumn, int64(1))
	row.SetCondition(tablestore.RowExistenceExpectation_EXPECT_NOT_EXIST)
	req := &tablestore.BatchWriteRowRequest{}
	req.AddRowChange(row)
	req.AddRowChange(s.raise(pos))
	resp, err := s.db.Client().BatchWriteRow(req)
	if err != nil {
		return fmt.Errorf("ledgerstore: assign %d: %w", pos, err)
	}
	for _, r := range resp.TableToRowsResult[tables.LedgerEntry.Name] {
		if r.IsSucceed {
			return nil
		}
		return fmt.Errorf("ledgerstore: assign %d: %s: %s", pos, r.Error.Code, r.Error.Message)
	}
	return fmt.Errorf("ledgerstore: assign %d: no result for the batch row", pos)
}

// hold keeps the row just written at pos in s.recent and returns it. Its
// entries are split from data, the encoding sent, so that callers changing
// their entry slices afterwards cannot change what Sequenced returns.
func (s *Sequencer) hold(pos uint64, n int, data []byte, toks string) (*batch, error) {
	entries, err := decodeBatch(data, n)
	if err != nil {
		return nil, fmt.Errorf("ledgerstore: batch %d: %w", pos, err)
	}
	b, err := newBatch(pos, entries, toks)
	if err != nil {
		return nil, err
	}
	s.recent.add(b)
	return b, nil
}

// head returns the hint of the chain's end.
func (s *Sequencer) head(ctx context.Context) (uint64, error) {
	row, err := s.db.Get(ctx, tables.LedgerSeq.Name, s.seqKey(), tables.Columns(colNext))
	if err != nil {
		return 0, fmt.Errorf("ledgerstore: head: %w", err)
	}
	return uint64(row.Int(colNext)), nil
}

// raise is the change that raises the hint to to, if it is below. An SDK
// retry of a raise that landed fails the condition, which is harmless.
func (s *Sequencer) raise(to uint64) *tablestore.UpdateRowChange {
	pk := new(tablestore.PrimaryKey)
	pk.AddPrimaryKeyColumn(tables.LedgerSeq.PrimaryKey[0].Name, s.logKey)
	uc := &tablestore.UpdateRowChange{TableName: tables.LedgerSeq.Name, PrimaryKey: pk}
	uc.PutColumn(colNext, int64(to))
	uc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
	below := tablestore.NewSingleColumnCondition(colNext, tablestore.CT_LESS_THAN, int64(to))
	below.FilterIfMissing = true
	below.LatestVersionOnly = true
	uc.SetColumnCondition(below)
	return uc
}

// ensure creates the log's LedgerSeq row once; concurrent first callers
// wait for one attempt instead of each making their own.
func (s *Sequencer) ensure(ctx context.Context) error {
	if s.ready.Load() {
		return nil
	}
	s.init.Lock()
	defer s.init.Unlock()
	if s.ready.Load() {
		return nil
	}
	_, err := s.db.Create(ctx, tables.LedgerSeq.Name, s.seqKey(),
		tables.Cols{colNext: int64(0), colSize: int64(0)})
	if err != nil && !errors.Is(err, tables.ErrExists) {
		return fmt.Errorf("ledgerstore: init %q: %w", s.origin, err)
	}
	s.ready.Store(true)
	return nil
}

func (s *Sequencer) seqKey() tables.Key { return tables.Key{s.logKey} }

// bundleKey is the partition of the batch rows that start in entry bundle b.
func (s *Sequencer) bundleKey(b uint64) string {
	return tables.SaltedKey(s.origin + "/" + strconv.FormatUint(b, 10))
}

func (s *Sequencer) entryKey(pos uint64) tables.Key {
	return tables.Key{s.bundleKey(pos / ledger.TileWidth), int64(pos)}
}

// memIntent is the intent of a plain Assign, which lives as long as the call.
type memIntent struct {
	pos uint64
	ok  bool
}

// Position returns the saved position, if any.
func (m *memIntent) Position(context.Context) (uint64, bool, error) { return m.pos, m.ok, nil }

// Save records the position.
func (m *memIntent) Save(_ context.Context, pos uint64) error {
	m.pos, m.ok = pos, true
	return nil
}

// newToken returns a writer token for a plain Assign: this Sequencer's
// random prefix and a count. Tokens go into every batch row, one per
// writer, so they are kept short; two Sequencers share a prefix with odds
// of one in 2^64.
func (s *Sequencer) newToken() string {
	s.prefixOnce.Do(func() {
		var b [8]byte
		_, _ = rand.Read(b[:]) // never fails since Go 1.24
		s.prefix = hex.EncodeToString(b[:]) + "."
	})
	return s.prefix + strconv.FormatUint(s.count.Add(1), 36)
}

// pause waits before retry try+1 of a request whose outcome was unclear.
func pause(ctx context.Context, try int) {
	t := time.NewTimer(time.Duration(5<<min(try, 6)) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// checkBatch checks a batch against the limits and returns its encoded size.
func checkBatch(entries [][]byte) (int, error) {
	if len(entries) == 0 || len(entries) > MaxBatchEntries {
		return 0, fmt.Errorf("ledgerstore: assign: %d entries, want 1 to %d: %w",
			len(entries), MaxBatchEntries, ledger.ErrTooLarge)
	}
	size := 0
	for i, e := range entries {
		if len(e) > ledger.MaxEntrySize {
			return 0, fmt.Errorf("ledgerstore: assign: entry %d: %d bytes: %w",
				i, len(e), ledger.ErrTooLarge)
		}
		size += 2 + len(e)
	}
	if size > MaxBatchBytes {
		return 0, fmt.Errorf("ledgerstore: assign: batch of %d bytes above %d: %w",
			size, MaxBatchBytes, ledger.ErrTooLarge)
	}
	return size, nil
}

// encodeBatch checks a batch against the limits and encodes it as an entry
// bundle would hold it.
func encodeBatch(entries [][]byte) ([]byte, error) {
	size, err := checkBatch(entries)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, size)
	for _, e := range entries {
		buf = append(buf, byte(len(e)>>8), byte(len(e)))
		buf = append(buf, e...)
	}
	return buf, nil
}

// decodeBatch splits a batch row's data into n entries.
func decodeBatch(data []byte, n int) ([][]byte, error) {
	out := make([][]byte, 0, n)
	for len(data) > 0 {
		if len(data) < 2 || len(data) < 2+(int(data[0])<<8|int(data[1])) {
			return nil, fmt.Errorf("truncated entry: %w", ledger.ErrCorrupt)
		}
		l := int(data[0])<<8 | int(data[1])
		out = append(out, data[2:2+l])
		data = data[2+l:]
	}
	if len(out) != n {
		return nil, fmt.Errorf("%d entries, row says %d: %w", len(out), n, ledger.ErrCorrupt)
	}
	return out, nil
}
