package ledgerverify

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/witness"
)

// CheckCheckpoint verifies a signed checkpoint note: the log's signature,
// its origin and the witness policy of keys.
func CheckCheckpoint(keys Keys, cp []byte) (*Report, error) {
	if keys.Log == nil {
		return nil, errors.New("ledgerverify: checkpoint: a log key is required")
	}
	c, err := ledger.OpenCheckpoint(cp, keys.Log, keys.Policy)
	if err != nil {
		return nil, diagnoseCheckpoint(keys, cp, err)
	}
	r := &Report{Kind: "checkpoint"}
	r.setCheckpoint(keys, c)
	return r, nil
}

func (r *Report) setCheckpoint(keys Keys, c *ledger.Checkpoint) {
	r.Origin, r.Size, r.Root = c.Origin, c.Size, c.Hash
	r.Cosigners = cosigners(keys.Policy, c.Note)
	if keys.Policy != nil {
		r.Required = keys.Policy.K
	}
}

// cosigners names the policy witnesses with a verified signature on n.
func cosigners(p *witness.Policy, n *note.Note) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, v := range p.Verifiers {
		for _, s := range n.Sigs {
			if s.Name == v.Name() && s.Hash == v.KeyHash() {
				out = append(out, v.Name())
				break
			}
		}
	}
	return out
}

// diagnoseCheckpoint turns an error of ledger.OpenCheckpoint on cp into an
// *Error naming what failed.
func diagnoseCheckpoint(keys Keys, cp []byte, err error) *Error {
	var unverified *note.UnverifiedNoteError
	if _, perr := note.Open(cp, note.VerifierList()); !errors.As(perr, &unverified) {
		return failure(Malformed, err, "checkpoint is not a signed note")
	}
	var invalid *note.InvalidSignatureError
	switch {
	case errors.Is(err, ledger.ErrCorrupt):
		return failure(Malformed, err, "checkpoint body is not a tlog-checkpoint")
	case errors.Is(err, ledger.ErrOrigin):
		return failure(Origin, err, "checkpoint is of another log than key %q", keys.Log.Name())
	case errors.Is(err, witness.ErrQuorum):
		return quorumFailure(keys, cp, err)
	case errors.As(err, &invalid) && invalid.Name == keys.Log.Name() &&
		invalid.Hash == keys.Log.KeyHash():
		return failure(TamperedCheckpoint, err,
			"the log's signature does not verify: the checkpoint was changed after signing")
	case errors.As(err, &invalid):
		return failure(TamperedCosignature, err,
			"the cosignature of witness %q does not verify", invalid.Name)
	case errors.Is(err, ledger.ErrSignature):
		return failure(WrongKey, err, "%s", wrongKey(keys.Log, unverified.Note))
	}
	return failure(Malformed, err, "checkpoint")
}

// wrongKey says which keys did sign a note that the log key did not.
func wrongKey(log note.Verifier, n *note.Note) string {
	var names []string
	for _, s := range n.UnverifiedSigs {
		if s.Name == log.Name() {
			return fmt.Sprintf("signed by key %08x of %q, not by the key given (%08x)",
				s.Hash, s.Name, log.KeyHash())
		}
		names = append(names, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return fmt.Sprintf("no signature by %q; signed by %s", log.Name(), strings.Join(names, ", "))
}

// quorumFailure names the witnesses that cosigned and those missing.
func quorumFailure(keys Keys, cp []byte, err error) *Error {
	n, oerr := note.Open(cp, keys.Policy.VerifierList(keys.Log))
	if oerr != nil {
		return failure(Quorum, err, "too few witness cosignatures")
	}
	have := cosigners(keys.Policy, n)
	var missing []string
	for _, v := range keys.Policy.Verifiers {
		if !slices.Contains(have, v.Name()) {
			missing = append(missing, v.Name())
		}
	}
	return failure(Quorum, err, "%d of %d required witnesses cosigned (have: %s; missing: %s)",
		len(have), keys.Policy.K, listOrNone(have), listOrNone(missing))
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
