package ledgerverify

import (
	"fmt"
	"sync"

	mproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
)

// Verifier verifies many receipts against a few checkpoints, as an auditor
// checking every receipt of a period does: it keeps each checkpoint it has
// verified (signature, origin, policy), so that a further receipt against
// it costs only its inclusion proof, which is transparency-dev/merkle's
// proof.VerifyInclusion. A failure is diagnosed as CheckReceipt does. It is
// safe for concurrent use.
type Verifier struct {
	keys Keys
	mu   sync.Mutex
	seen map[string]*ledger.Checkpoint // by the note's bytes
}

// NewVerifier returns a Verifier trusting keys (keys.Envelopes is not used).
func NewVerifier(keys Keys) *Verifier {
	return &Verifier{keys: keys, seen: make(map[string]*ledger.Checkpoint)}
}

// Checkpoint verifies the checkpoint note cp, once, and returns it.
func (v *Verifier) Checkpoint(cp []byte) (*ledger.Checkpoint, error) {
	v.mu.Lock()
	c, ok := v.seen[string(cp)]
	v.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := ledger.OpenCheckpoint(cp, v.keys.Log, v.keys.Policy)
	if err != nil {
		return nil, diagnoseCheckpoint(v.keys, cp, err)
	}
	v.mu.Lock()
	v.seen[string(cp)] = c
	v.mu.Unlock()
	return c, nil
}

// Receipt verifies receipt for entry as CheckReceipt does, without
// describing the envelope, and returns the entry's index. digest, when not
// empty, is the entry digest the submitter was given.
func (v *Verifier) Receipt(receipt, entry []byte, digest envelope.Digest) (uint64, error) {
	var rc ledger.Receipt
	if err := rc.Unmarshal(receipt); err != nil {
		return 0, failure(Malformed, err, "not a c2sp.org/tlog-proof receipt")
	}
	c, err := v.Checkpoint(rc.Checkpoint)
	if err != nil {
		return 0, err
	}
	hashes := make([][]byte, len(rc.Hashes))
	for i := range rc.Hashes {
		hashes[i] = rc.Hashes[i][:]
	}
	if err := v.inclusion(c, rc.Index, entry, hashes); err != nil {
		return 0, diagnoseInclusion(v.keys, &rc, entry, digest, err)
	}
	if digest != "" && envelope.DigestOf(entry) != digest {
		return 0, failure(TamperedEntry, nil, "entry %d is in the log, but its digest %s is "+
			"not the %s expected", rc.Index, envelope.DigestOf(entry), digest)
	}
	return rc.Index, nil
}

// Inclusion verifies that entry is at index in the tree of the checkpoint
// note cp, by the proof hashes (as GET /api/ledger/proof/inclusion answers
// them for the checkpoint's size).
func (v *Verifier) Inclusion(cp []byte, index uint64, entry []byte, hashes [][]byte) error {
	c, err := v.Checkpoint(cp)
	if err != nil {
		return err
	}
	if err := v.inclusion(c, index, entry, hashes); err != nil {
		return failure(Mismatch, err, "entry and the proof of index %d do not lead to the "+
			"root of size %d", index, c.Size)
	}
	return nil
}

func (v *Verifier) inclusion(c *ledger.Checkpoint, index uint64, entry []byte,
	hashes [][]byte) error {
	h := rfc6962.DefaultHasher
	err := mproof.VerifyInclusion(h, index, c.Size, h.HashLeaf(entry), hashes, c.Hash)
	if err != nil {
		return fmt.Errorf("ledgerverify: inclusion %d at size %d: %w: %w",
			index, c.Size, ledger.ErrInclusion, err)
	}
	return nil
}
