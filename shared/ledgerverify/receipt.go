package ledgerverify

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
)

// CheckReceipt verifies, offline, that entry is in the log of keys.Log as
// receipt (a c2sp.org/tlog-proof) says. digest, when not empty, is the
// entry digest the submitter was given ("entry" in the submission answer);
// it, or envelope keys in keys.Envelopes, lets a failed proof be blamed on
// the entry or on the proof.
func CheckReceipt(keys Keys, receipt, entry []byte, digest envelope.Digest) (*Report, error) {
	if keys.Log == nil {
		return nil, errors.New("ledgerverify: receipt: a log key is required")
	}
	if digest != "" {
		if err := digest.Validate(); err != nil {
			return nil, fmt.Errorf("ledgerverify: receipt: %w", err)
		}
	}
	var rc ledger.Receipt
	if err := rc.Unmarshal(receipt); err != nil {
		return nil, failure(Malformed, err, "not a c2sp.org/tlog-proof receipt")
	}
	c, err := ledger.VerifyReceipt(receipt, entry, keys.Log, keys.Policy)
	switch {
	case errors.Is(err, ledger.ErrInclusion):
		return nil, diagnoseInclusion(keys, &rc, entry, digest, err)
	case err != nil:
		return nil, diagnoseCheckpoint(keys, rc.Checkpoint, err)
	}
	r := &Report{Kind: "receipt", Index: rc.Index, Entry: envelope.DigestOf(entry)}
	r.setCheckpoint(keys, c)
	if digest != "" && digest != r.Entry {
		// The entry is in the log, but not the one the submitter was told.
		return nil, failure(TamperedEntry, nil,
			"entry %d is in the log, but its digest %s is not the %s expected",
			rc.Index, r.Entry, digest)
	}
	if signed, err := envelope.Parse(entry); err == nil {
		r.Envelope = signed
		if keys.Envelopes != nil {
			if err := keys.Envelopes.Verify(signed); err != nil {
				return nil, failure(EntrySignature, err,
					"entry %d is in the log, but its envelope signature does not verify", rc.Index)
			}
			r.EnvelopeSig = true
		}
	}
	return r, nil
}

// diagnoseInclusion says whether the entry or the proof is to blame for an
// inclusion failure, from what the caller gave besides the receipt.
func diagnoseInclusion(keys Keys, rc *ledger.Receipt, entry []byte, digest envelope.Digest,
	err error) *Error {
	c, cerr := ledger.OpenCheckpoint(rc.Checkpoint, keys.Log, keys.Policy)
	if cerr != nil {
		return diagnoseCheckpoint(keys, rc.Checkpoint, cerr)
	}
	if rc.Index >= c.Size {
		return failure(BadProof, err, "index %d is not below the checkpoint's size %d",
			rc.Index, c.Size)
	}
	if want := inclusionLen(rc.Index, c.Size); len(rc.Hashes) != want {
		return failure(BadProof, err, "%d proof hashes; an inclusion proof of index %d "+
			"at size %d has %d", len(rc.Hashes), rc.Index, c.Size, want)
	}
	got := envelope.DigestOf(entry)
	if digest != "" {
		if got != digest {
			return failure(TamperedEntry, err, "entry digest %s, the submitter was given %s",
				got, digest)
		}
		return failure(BadProof, err, "the entry has the digest expected, but the proof of "+
			"index %d does not lead from it to the root of size %d", rc.Index, c.Size)
	}
	signed, perr := envelope.Parse(entry)
	if perr != nil {
		return failure(TamperedEntry, err,
			"entry %s is not a canonical signed envelope, as the log stores (%v)", got, perr)
	}
	if keys.Envelopes == nil {
		return failure(Mismatch, err, "entry %s and the proof of index %d do not lead to the "+
			"root of size %d; give the entry digest or the organization keys to tell which "+
			"was altered", got, rc.Index, c.Size)
	}
	if verr := keys.Envelopes.Verify(signed); verr != nil {
		return failure(TamperedEntry, err, "entry %s: %v", got, verr)
	}
	return failure(BadProof, err, "entry %s is a validly signed envelope, but the proof of "+
		"index %d does not lead from it to the root of size %d (an altered proof, or the "+
		"entry of another index)", got, rc.Index, c.Size)
}

// inclusionLen is the number of hashes in an inclusion proof of index in a
// tree of size (RFC 9162 section 2.1.3): the levels below the point where
// the paths to index and to the last leaf part, plus the left siblings on
// the path above it.
func inclusionLen(index, size uint64) int {
	inner := bits.Len64(index ^ (size - 1))
	return inner + bits.OnesCount64(index>>inner)
}
