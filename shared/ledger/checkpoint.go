package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	flog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger/witness"
)

// Checkpoint is a parsed, verified checkpoint with the note it came from.
type Checkpoint struct {
	flog.Checkpoint
	Note *note.Note
	// Raw is the signed note, with every cosignature it carries.
	Raw []byte
}

// OpenCheckpoint verifies the log signature on a signed checkpoint note with
// logVerifier, checks that its origin is the verifier's name and that policy
// (nil for none) is met, and parses it.
func OpenCheckpoint(
	raw []byte, logVerifier note.Verifier, policy *witness.Policy,
) (*Checkpoint, error) {
	c, err := openCheckpoint(raw, logVerifier, policy)
	if err != nil {
		return nil, err
	}
	if err := policy.Check(c.Note); err != nil {
		return nil, fmt.Errorf("ledger: checkpoint %d: %w", c.Size, err)
	}
	return c, nil
}

// openCheckpoint is OpenCheckpoint without the policy check; the note's
// verified signatures include the policy's witnesses.
func openCheckpoint(
	raw []byte, logVerifier note.Verifier, policy *witness.Policy,
) (*Checkpoint, error) {
	n, err := note.Open(raw, policy.VerifierList(logVerifier))
	if err != nil {
		return nil, fmt.Errorf("ledger: checkpoint: %w: %w", ErrSignature, err)
	}
	if !signedBy(n, logVerifier) {
		return nil, fmt.Errorf("ledger: checkpoint: no signature by %q: %w",
			logVerifier.Name(), ErrSignature)
	}
	c := &Checkpoint{Note: n, Raw: raw}
	if _, err := c.Unmarshal([]byte(n.Text)); err != nil {
		return nil, fmt.Errorf("ledger: checkpoint: %w: %w", ErrCorrupt, err)
	}
	if c.Origin != logVerifier.Name() {
		return nil, fmt.Errorf("ledger: checkpoint: origin %q, want %q: %w",
			c.Origin, logVerifier.Name(), ErrOrigin)
	}
	if len(c.Hash) != HashSize {
		return nil, fmt.Errorf("ledger: checkpoint: %d-byte root: %w", len(c.Hash), ErrCorrupt)
	}
	return c, nil
}

func signedBy(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}

// Checkpoint returns the latest published checkpoint; a log that has never
// published fails with an error wrapping ErrNotFound.
func (l *Log) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	raw, err := l.store.Get(ctx, CheckpointPath)
	if err != nil {
		return nil, fmt.Errorf("ledger: checkpoint: %w", err)
	}
	return OpenCheckpoint(raw, l.verifier, l.policy)
}

// published returns the stored checkpoint checked for the log's signature
// only, so that a policy stricter than the one it was published under does
// not stop the log from publishing again.
func (l *Log) published(ctx context.Context) (*Checkpoint, error) {
	raw, err := l.store.Get(ctx, CheckpointPath)
	if err != nil {
		return nil, fmt.Errorf("ledger: checkpoint: %w", err)
	}
	return openCheckpoint(raw, l.verifier, l.policy)
}

// Publish signs a checkpoint for the integrated tree, has it cosigned by the
// witnesses until the policy is met, and stores it as the latest checkpoint.
// It refuses (ErrFork) to sign a tree that is not a consistent extension of
// the checkpoint already published; if that one already covers the tree, it
// is returned unchanged.
func (l *Log) Publish(ctx context.Context) (*Checkpoint, error) {
	// The published checkpoint is read before the state: state only grows
	// and is recorded before any checkpoint covers it, so st extends prev
	// unless the storage lies.
	prev, err := l.latest(ctx)
	if err != nil {
		return nil, err
	}
	st, err := l.seq.State(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger: publish: %w", err)
	}
	if st.Size == 0 {
		st.Root = hasher.EmptyRoot()
	}
	if prev != nil {
		same := prev.Size == st.Size && bytes.Equal(prev.Hash, st.Root)
		if same && l.policy.Check(prev.Note) == nil {
			return prev, nil
		}
		if err := l.checkExtends(ctx, prev, st); err != nil {
			return nil, err
		}
	}
	cp, err := l.sign(st)
	if err != nil {
		return nil, err
	}
	if cp, err = l.witness(ctx, cp, st.Size); err != nil {
		return nil, err
	}
	c, err := OpenCheckpoint(cp, l.verifier, l.policy)
	if err != nil {
		return nil, fmt.Errorf("ledger: publish %d: %w", st.Size, err)
	}
	return l.storeLatest(ctx, c)
}

// latest returns the published checkpoint, or nil if there is none.
func (l *Log) latest(ctx context.Context) (*Checkpoint, error) {
	prev, err := l.published(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: publish: %w", err)
	}
	return prev, nil
}

// storeLatest stores c as the latest checkpoint unless a concurrent Publish has
// stored a larger one meanwhile, which is then returned instead.
//
// The sequencer's record decides: c is raised there (unless larger is
// recorded), then the recorded checkpoint is put, and put again while the
// record moves on under it. Whoever puts last read the record after its put
// and found what it put, and the record only grows, so the stored checkpoint
// ends as the largest recorded.
func (l *Log) storeLatest(ctx context.Context, c *Checkpoint) (*Checkpoint, error) {
	raw, err := l.seq.RaisePublished(ctx, c.Size, c.Raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: publish %d: %w", c.Size, err)
	}
	for range maxRepublish {
		if err := l.store.Put(ctx, CheckpointPath, raw, false); err != nil {
			return nil, fmt.Errorf("ledger: publish %d: %w", c.Size, err)
		}
		now, err := l.seq.Published(ctx)
		if err != nil {
			return nil, fmt.Errorf("ledger: publish %d: %w", c.Size, err)
		}
		if bytes.Equal(now, raw) {
			return openCheckpoint(raw, l.verifier, l.policy)
		}
		raw = now
	}
	return nil, fmt.Errorf("ledger: publish %d: the recorded checkpoint kept moving: %w",
		c.Size, ErrConflict)
}

// maxRepublish bounds the puts of one storeLatest while others publish.
const maxRepublish = 16

// checkExtends verifies, from the tiles, that st extends the published prev.
func (l *Log) checkExtends(ctx context.Context, prev *Checkpoint, st TreeState) error {
	if st.Size < prev.Size {
		return fmt.Errorf("ledger: publish %d: published size %d is larger: %w",
			st.Size, prev.Size, ErrFork)
	}
	cons, err := l.ConsistencyProof(ctx, prev.Size, st.Size)
	if err != nil {
		return fmt.Errorf("ledger: publish %d: %w", st.Size, err)
	}
	err = proof.VerifyConsistency(hasher, prev.Size, st.Size, cons, prev.Hash, st.Root)
	if err != nil {
		return fmt.Errorf("ledger: publish %d: from %d: %w: %w", st.Size, prev.Size, ErrFork, err)
	}
	return nil
}

func (l *Log) sign(st TreeState) ([]byte, error) {
	text := flog.Checkpoint{Origin: l.Origin(), Size: st.Size, Hash: st.Root}.Marshal()
	cp, err := note.Sign(&note.Note{Text: string(text)}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign %d: %w", st.Size, err)
	}
	return cp, nil
}

// witness asks every witness to cosign cp (of the given size) and returns cp
// with the cosignatures that came back appended.
func (l *Log) witness(ctx context.Context, cp []byte, size uint64) ([]byte, error) {
	sigs := make([][]byte, len(l.witnesses))
	errs := make([]error, len(l.witnesses))
	var wg sync.WaitGroup
	for i, w := range l.witnesses {
		wg.Go(func() { sigs[i], errs[i] = l.cosign(ctx, i, w, cp, size) })
	}
	wg.Wait()
	known := l.policy.VerifierList(l.verifier)
	out := bytes.Clone(cp)
	for i, s := range sigs {
		if s == nil {
			continue
		}
		if err := checkCosignature(cp, s, known); err != nil {
			errs[i] = fmt.Errorf("ledger: witness %d: %w", i, err)
			continue
		}
		out = append(out, s...)
	}
	if l.policy == nil || l.policy.K == 0 {
		return out, nil
	}
	n, err := note.Open(out, known)
	if err == nil {
		err = l.policy.Check(n)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: publish %d: %w",
			size, errors.Join(append([]error{err}, errs...)...))
	}
	return out, nil
}

// checkCosignature accepts a witness's answer to join the note only if every
// line in it is a valid signature by a known key (a policy witness), so that
// a broken or unknown witness cannot spoil or clutter the checkpoint.
func checkCosignature(cp, sig []byte, known note.Verifiers) error {
	n, err := note.Open(append(bytes.Clone(cp), sig...), known)
	if err != nil {
		return fmt.Errorf("bad cosignature: %w", err)
	}
	if len(n.UnverifiedSigs) > 0 || len(n.Sigs) < 2 {
		return errors.New("cosignature by a key outside the policy")
	}
	return nil
}

// cosign submits cp to one witness, retrying once from the size the witness
// reports if the log's idea of it was stale.
func (l *Log) cosign(
	ctx context.Context, i int, w Cosigner, cp []byte, size uint64,
) ([]byte, error) {
	l.mu.Lock()
	old := l.known[i]
	l.mu.Unlock()
	for try := 0; ; try++ {
		if old > size {
			return nil, fmt.Errorf("ledger: witness %d holds size %d above %d: %w",
				i, old, size, ErrFork)
		}
		cons, err := l.ConsistencyProof(ctx, old, size)
		if err != nil {
			return nil, err
		}
		sig, err := w.AddCheckpoint(ctx, old, cons, cp)
		var conflict *witness.ConflictError
		if errors.As(err, &conflict) && try == 0 {
			old = conflict.Size
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: witness %d: %w", i, err)
		}
		l.mu.Lock()
		l.known[i] = size
		l.mu.Unlock()
		return sig, nil
	}
}
