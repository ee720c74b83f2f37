package ledgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/xietong/xietong/shared/ledger"
)

// TestConcurrentAssignWithFaults has 20 writers append 50 entries each,
// through four Sequencers with their own SDK clients (four function
// instances), while the emulator throttles 10% of requests and drops the
// answer of 10% of writes after applying them: indexes 0..999 are each used
// exactly once, by the entry that was told it. Every fifth writer assigns
// with a token and sends each entry twice at once, through two instances
// sharing one intent, as a retried request would.
func TestConcurrentAssignWithFaults(t *testing.T) {
	ctx := context.Background()
	db, env := newDB(t)
	seq := newSequencer(t, db)
	instances := []*Sequencer{seq}
	for range 3 {
		instances = append(instances, newSeqClient(t, env.NewClient(), seq.origin))
	}
	env.Server.Faults().SetThrottleRate(0.1)
	env.Server.Faults().SetDropAfterCommitRate(0.1)
	const writers, each = 20, 50
	got := make([][]uint64, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := fmt.Appendf(nil, "w%d/%d", w, i)
				var idx uint64
				var err error
				if w%5 == 0 {
					idx, err = assignTwice(ctx, instances, w, string(e), e)
				} else {
					idx, err = instances[w%len(instances)].Assign(ctx, [][]byte{e})
				}
				if err != nil {
					t.Errorf("writer %d entry %d: %v", w, i, err)
					return
				}
				got[w] = append(got[w], idx)
			}
		})
	}
	wg.Wait()
	env.Server.Faults().Reset()
	if t.Failed() {
		return
	}
	all, err := seq.Sequenced(ctx, 0, 2*writers*each)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers*each {
		t.Fatalf("sequenced %d entries, want %d", len(all), writers*each)
	}
	used := make(map[uint64]string)
	for w, idxs := range got {
		for i, idx := range idxs {
			want := fmt.Sprintf("w%d/%d", w, i)
			if prev, dup := used[idx]; dup {
				t.Fatalf("index %d given to %s and %s", idx, prev, want)
			}
			used[idx] = want
			if idx >= uint64(len(all)) || string(all[idx]) != want {
				t.Errorf("entry %d = %q, want %q", idx, all[min(idx, uint64(len(all)-1))], want)
			}
		}
	}
}

// assignTwice assigns e under token through two instances at once, with one
// shared intent, and checks that both get the same index.
func assignTwice(ctx context.Context, instances []*Sequencer, w int, token string,
	e []byte) (uint64, error) {
	in := new(sharedIntent)
	var idx [2]uint64
	var errs [2]error
	var wg sync.WaitGroup
	for k := range 2 {
		wg.Go(func() {
			seq := instances[(w+k)%len(instances)]
			idx[k], errs[k] = seq.AssignOnce(ctx, token, [][]byte{e}, &intentView{s: in})
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return 0, err
	}
	if idx[0] != idx[1] {
		return 0, fmt.Errorf("token %s: indexes %d and %d", token, idx[0], idx[1])
	}
	return idx[0], nil
}

// TestSequencedBatches appends batches of many sizes, crossing bundle
// boundaries, and reads them back from every kind of starting index.
func TestSequencedBatches(t *testing.T) {
	for name, seq := range sequencers(t) {
		t.Run(name, func(t *testing.T) { testSequencedBatches(t, seq) })
	}
}

// sequencers returns a fresh log of each Sequencer implementation, so that
// the Tablestore driver is held to the in-memory one's behaviour.
func sequencers(t *testing.T) map[string]ledger.Sequencer {
	t.Helper()
	db, _ := newDB(t)
	return map[string]ledger.Sequencer{"mem": new(ledger.MemSequencer),
		"tablestore": newSequencer(t, db)}
}

func testSequencedBatches(t *testing.T, seq ledger.Sequencer) {
	ctx := context.Background()
	var want [][]byte
	for i, n := range []int{1, 200, 100, 256, 3, 1, 57, 256, 2} {
		batch := make([][]byte, n)
		for j := range batch {
			batch[j] = entry(len(want) + j)
		}
		first, err := seq.Assign(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if first != uint64(len(want)) {
			t.Fatalf("batch %d: first = %d, want %d", i, first, len(want))
		}
		want = append(want, batch...)
	}
	for _, tc := range []struct{ from, max int }{
		{0, 10_000}, {0, 1}, {1, 5}, {150, 300}, {255, 2}, {256, 1}, {301, 256},
		{511, 600}, {700, 10}, {len(want) - 1, 5}, {len(want), 5}, {len(want) + 300, 5},
	} {
		got, err := seq.Sequenced(ctx, uint64(tc.from), tc.max)
		if err != nil {
			t.Fatalf("Sequenced(%d, %d): %v", tc.from, tc.max, err)
		}
		end := min(tc.from+tc.max, len(want))
		var exp [][]byte
		if tc.from < len(want) {
			exp = want[tc.from:end]
		}
		if len(got) != len(exp) {
			t.Fatalf("Sequenced(%d, %d) = %d entries, want %d", tc.from, tc.max, len(got), len(exp))
		}
		for i := range got {
			if !bytes.Equal(got[i], exp[i]) {
				t.Fatalf("Sequenced(%d, %d)[%d] = %q, want %q", tc.from, tc.max, i, got[i], exp[i])
			}
		}
	}
}

func TestAssignRefusesBadBatches(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	seq := newSequencer(t, db)
	big := make([][]byte, 20)
	for i := range big {
		big[i] = make([]byte, 60_000)
	}
	for name, batch := range map[string][][]byte{
		"empty":         nil,
		"too many":      make([][]byte, MaxBatchEntries+1),
		"entry too big": {make([]byte, ledger.MaxEntrySize+1)},
		"batch too big": big,
	} {
		if _, err := seq.Assign(ctx, batch); !errors.Is(err, ledger.ErrTooLarge) {
			t.Errorf("%s: Assign error = %v, want ErrTooLarge", name, err)
		}
	}
	if got, _ := seq.Sequenced(ctx, 0, 10); len(got) != 0 {
		t.Errorf("refused batches left %d entries", len(got))
	}
}

// sharedIntent is an Intent shared by callers, with a version like a row's.
type sharedIntent struct {
	mu  sync.Mutex
	pos uint64
	ok  bool
	ver int
}

type intentView struct {
	s   *sharedIntent
	ver int
}

func (v *intentView) Position(context.Context) (uint64, bool, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	v.ver = v.s.ver
	return v.s.pos, v.s.ok, nil
}

func (v *intentView) Save(_ context.Context, pos uint64) error {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	if v.s.ver != v.ver {
		return fmt.Errorf("intent moved: %w", ledger.ErrConflict)
	}
	v.s.pos, v.s.ok = pos, true
	v.s.ver++
	v.ver = v.s.ver
	return nil
}

// TestAssignOnce runs the same keyed assignment from eight callers at once
// while others append: all get one index, and the batch is stored once.
func TestAssignOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	seq := newSequencer(t, db)
	in := new(sharedIntent)
	firsts := make([]uint64, 8)
	var wg sync.WaitGroup
	for i := range firsts {
		wg.Go(func() {
			var err error
			firsts[i], err = seq.AssignOnce(ctx, "request-1", [][]byte{[]byte("once")},
				&intentView{s: in})
			if err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := seq.Assign(ctx, [][]byte{entry(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, err := seq.Sequenced(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, e := range all {
		if string(e) == "once" {
			count++
		}
	}
	if count != 1 || len(all) != 9 {
		t.Fatalf("keyed entry stored %d times among %d entries, want once among 9", count, len(all))
	}
	for i, f := range firsts {
		if f != firsts[0] || string(all[f]) != "once" {
			t.Errorf("caller %d got index %d (%q), caller 0 got %d", i, f, all[f], firsts[0])
		}
	}
}

// TestAssignOnceResumes covers the reruns after a crash: the intent names a
// position whose row was never written (it is written there), and one that
// a rival took meanwhile (the batch moves on).
func TestAssignOnceResumes(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	seq := newSequencer(t, db)
	if _, err := seq.Assign(ctx, [][]byte{entry(0), entry(1)}); err != nil {
		t.Fatal(err)
	}
	// Crashed after saving position 2, before writing there.
	in := &sharedIntent{pos: 2, ok: true}
	first, err := seq.AssignOnce(ctx, "tok-a", [][]byte{[]byte("a")}, &intentView{s: in})
	if err != nil || first != 2 {
		t.Fatalf("resume at free position: %d, %v; want 2", first, err)
	}
	// Crashed after saving position 3; a rival took it.
	if _, err := seq.Assign(ctx, [][]byte{entry(3), entry(4)}); err != nil {
		t.Fatal(err)
	}
	in = &sharedIntent{pos: 3, ok: true}
	first, err = seq.AssignOnce(ctx, "tok-b", [][]byte{[]byte("b")}, &intentView{s: in})
	if err != nil || first != 5 || in.pos != 5 {
		t.Fatalf("resume at taken position: %d (intent %d), %v; want 5", first, in.pos, err)
	}
	// A finished assignment asked again returns the same index.
	first, err = seq.AssignOnce(ctx, "tok-b", [][]byte{[]byte("b")}, &intentView{s: in})
	if err != nil || first != 5 {
		t.Fatalf("repeat: %d, %v; want 5", first, err)
	}
	all, _ := seq.Sequenced(ctx, 0, 100)
	if len(all) != 6 || string(all[2]) != "a" || string(all[5]) != "b" {
		t.Fatalf("log = %q", all)
	}
}

func TestSetStateIsVerChecked(t *testing.T) {
	for name, seq := range sequencers(t) {
		t.Run(name, func(t *testing.T) { testSetState(t, seq) })
	}
}

func testSetState(t *testing.T, seq ledger.Sequencer) {
	ctx := context.Background()
	for i := range 20 {
		if _, err := seq.Assign(ctx, [][]byte{entry(i)}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := seq.State(ctx)
	if err != nil || st.Size != 0 {
		t.Fatalf("new log state = %+v, %v", st, err)
	}
	a := ledger.TreeState{Size: 3, Root: bytes.Repeat([]byte{1}, 32)}
	b := ledger.TreeState{Size: 4, Root: bytes.Repeat([]byte{2}, 32)}
	if err := seq.SetState(ctx, st, a); err != nil {
		t.Fatal(err)
	}
	if err := seq.SetState(ctx, st, b); !errors.Is(err, ledger.ErrConflict) {
		t.Errorf("SetState from a stale state: %v, want ErrConflict", err)
	}
	if err := seq.SetState(ctx, a, ledger.TreeState{Size: 2}); !errors.Is(err, ledger.ErrConflict) {
		t.Errorf("SetState shrinking: %v, want ErrConflict", err)
	}
	got, _ := seq.State(ctx)
	if got.Size != a.Size || !bytes.Equal(got.Root, a.Root) {
		t.Errorf("state = %+v, want %+v", got, a)
	}
	var wg sync.WaitGroup
	var wins sync.Map
	for i := range 5 {
		wg.Go(func() {
			next := ledger.TreeState{Size: uint64(10 + i), Root: bytes.Repeat([]byte{byte(i)}, 32)}
			if err := seq.SetState(ctx, a, next); err == nil {
				wins.Store(i, true)
			} else if !errors.Is(err, ledger.ErrConflict) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	wins.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d concurrent SetStates from the same state won, want 1", n)
	}
}

// TestSetStateAfterAnotherInstance checks that an instance which read the
// state, and so skips reading it again in SetState, still loses to another
// instance that moved the state meanwhile, and wins once it reads again.
func TestSetStateAfterAnotherInstance(t *testing.T) {
	ctx := context.Background()
	seqs := instances(t, 2)
	a, b := seqs[0], seqs[1]
	st, err := a.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	moved := ledger.TreeState{Size: 5, Root: bytes.Repeat([]byte{5}, 32)}
	if err := b.SetState(ctx, st, moved); err != nil {
		t.Fatal(err)
	}
	stale := ledger.TreeState{Size: 7, Root: bytes.Repeat([]byte{7}, 32)}
	if err := a.SetState(ctx, st, stale); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("SetState from a state another instance moved: %v, want ErrConflict", err)
	}
	cur, err := a.State(ctx)
	if err != nil || cur.Size != moved.Size {
		t.Fatalf("state = %+v, %v; want size %d", cur, err, moved.Size)
	}
	if err := a.SetState(ctx, cur, stale); err != nil {
		t.Fatalf("SetState from the state read again: %v", err)
	}
	err = b.SetState(ctx, moved, ledger.TreeState{Size: 9})
	if !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("the other instance's stale SetState: %v, want ErrConflict", err)
	}
}

// TestRaisePublished checks the published checkpoint recorded in the
// LedgerSeq row: never lowered, replaced at the same size, the largest of
// concurrent raises from two instances, and seen by both.
func TestRaisePublished(t *testing.T) {
	ctx := context.Background()
	seqs := instances(t, 2)
	a, b := seqs[0], seqs[1]
	if got, err := a.Published(ctx); err != nil || got != nil {
		t.Fatalf("new log: published %q, %v; want none", got, err)
	}
	steps := []struct {
		size      uint64
		raw, want string
	}{
		{10, "cp10", "cp10"},
		{5, "cp5", "cp10"},       // Smaller: not lowered.
		{10, "cp10+w", "cp10+w"}, // Same size, more cosignatures: replaced.
		{12, "cp12", "cp12"},
	}
	for _, s := range steps {
		got, err := a.RaisePublished(ctx, s.size, []byte(s.raw))
		if err != nil || string(got) != s.want {
			t.Fatalf("RaisePublished(%d, %s) = %q, %v; want %s", s.size, s.raw, got, err, s.want)
		}
	}
	var wg sync.WaitGroup
	for i := range 40 {
		seq := []*Sequencer{a, b}[i%2]
		wg.Go(func() {
			raw := fmt.Appendf(nil, "cp%d", 13+i)
			if _, err := seq.RaisePublished(ctx, uint64(13+i), raw); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, seq := range []*Sequencer{a, b} {
		if got, err := seq.Published(ctx); err != nil || string(got) != "cp52" {
			t.Errorf("after concurrent raises: published %q, %v; want cp52", got, err)
		}
	}
}
