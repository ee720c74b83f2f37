package ledger

import (
	"context"
	"fmt"

	"github.com/transparency-dev/formats/proof"
	mproof "github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger/witness"
)

// Receipt is a c2sp.org/tlog-proof@v1 receipt: the index of an entry, its
// inclusion proof and the cosigned checkpoint the proof leads to.
type Receipt = proof.TLogProof

// Receipt returns the receipt of the entry at index against the latest
// published checkpoint, in its text encoding. An entry not yet covered by a
// checkpoint fails with an error wrapping ErrNotFound.
func (l *Log) Receipt(ctx context.Context, index uint64) ([]byte, error) {
	c, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt %d: %w", index, err)
	}
	if index >= c.Size {
		return nil, fmt.Errorf("ledger: receipt %d: not in checkpoint of size %d: %w",
			index, c.Size, ErrNotFound)
	}
	hashes, err := l.InclusionProof(ctx, index, c.Size)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt %d: %w", index, err)
	}
	r := Receipt{Index: index, Checkpoint: c.Raw}
	for _, h := range hashes {
		r.Hashes = append(r.Hashes, [HashSize]byte(h))
	}
	return r.Marshal(), nil
}

// VerifyReceipt checks, offline, that entry is in the log whose checkpoint
// key is logVerifier: the receipt's checkpoint must be signed by that key,
// name its origin and satisfy policy (nil for no witnesses), and the
// inclusion proof must lead from entry to its root. It returns the
// checkpoint. Errors wrap ErrCorrupt, ErrSignature, ErrOrigin,
// witness.ErrQuorum or ErrInclusion.
func VerifyReceipt(
	receipt, entry []byte, logVerifier note.Verifier, policy *witness.Policy,
) (*Checkpoint, error) {
	var r Receipt
	if err := r.Unmarshal(receipt); err != nil {
		return nil, fmt.Errorf("ledger: receipt: %w: %w", ErrCorrupt, err)
	}
	c, err := OpenCheckpoint(r.Checkpoint, logVerifier, policy)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt %d: %w", r.Index, err)
	}
	if r.Index >= c.Size {
		return nil, fmt.Errorf("ledger: receipt %d: beyond checkpoint size %d: %w",
			r.Index, c.Size, ErrInclusion)
	}
	hashes := make([][]byte, len(r.Hashes))
	for i := range r.Hashes {
		hashes[i] = r.Hashes[i][:]
	}
	err = mproof.VerifyInclusion(hasher, r.Index, c.Size, hasher.HashLeaf(entry), hashes, c.Hash)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt %d: %w: %w", r.Index, ErrInclusion, err)
	}
	return c, nil
}

// VerifyConsistency checks, offline, that the checkpoint newCP extends oldCP:
// both must open as in OpenCheckpoint, and cons must prove the old tree is a
// prefix of the new one. It returns the new checkpoint. A failed proof
// wraps ErrFork.
func VerifyConsistency(
	oldCP, newCP []byte,
	cons [][]byte,
	logVerifier note.Verifier,
	policy *witness.Policy,
) (*Checkpoint, error) {
	older, err := OpenCheckpoint(oldCP, logVerifier, policy)
	if err != nil {
		return nil, fmt.Errorf("ledger: old checkpoint: %w", err)
	}
	newer, err := OpenCheckpoint(newCP, logVerifier, policy)
	if err != nil {
		return nil, fmt.Errorf("ledger: new checkpoint: %w", err)
	}
	err = mproof.VerifyConsistency(hasher, older.Size, newer.Size, cons, older.Hash, newer.Hash)
	if err != nil {
		return nil, fmt.Errorf("ledger: consistency %d to %d: %w: %w",
			older.Size, newer.Size, ErrFork, err)
	}
	return newer, nil
}
