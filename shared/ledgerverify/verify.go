package ledgerverify

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/witness"
)

// Failure names what a verification found wrong.
type Failure string

// The failures a check reports.
const (
	// Malformed: a receipt, checkpoint or proof does not parse.
	Malformed Failure = "malformed"
	// WrongKey: the checkpoint carries no signature by the log key given.
	WrongKey Failure = "wrong key"
	// TamperedCheckpoint: the log key's signature is there but does not
	// verify, so the checkpoint text was changed after signing.
	TamperedCheckpoint Failure = "tampered checkpoint"
	// TamperedCosignature: a policy witness's cosignature does not verify.
	TamperedCosignature Failure = "tampered cosignature"
	// Origin: the checkpoint names another log than the key's.
	Origin Failure = "origin"
	// Quorum: fewer policy witnesses cosigned than the policy requires.
	Quorum Failure = "quorum"
	// TamperedEntry: the entry bytes are not what was logged.
	TamperedEntry Failure = "tampered entry"
	// BadProof: the entry is authentic but the inclusion proof (or its
	// index) does not lead from it to the checkpoint's root.
	BadProof Failure = "bad proof"
	// Mismatch: entry and proof do not lead to the root, and nothing given
	// tells which of the two was altered.
	Mismatch Failure = "entry or proof"
	// EntrySignature: the entry is in the log but its envelope signature
	// does not verify with the organization keys given.
	EntrySignature Failure = "entry signature"
	// Inconsistent: the newer checkpoint does not extend the older one.
	Inconsistent Failure = "inconsistent"
)

// Error is a failed verification: Failure names what failed, Err is the
// underlying error (the ledger's, wrapping its sentinel errors).
type Error struct {
	Failure Failure
	Detail  string
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	msg := "ledgerverify: " + string(e.Failure) + ": " + e.Detail
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func failure(f Failure, err error, format string, args ...any) *Error {
	return &Error{Failure: f, Detail: fmt.Sprintf(format, args...), Err: err}
}

// FailureOf returns the Failure of err, or "" if err is not an *Error.
func FailureOf(err error) Failure {
	var e *Error
	if errors.As(err, &e) {
		return e.Failure
	}
	return ""
}

// Keys are what a verifier trusts. Log is required.
type Keys struct {
	// Log verifies the log's checkpoint signatures; its name is the origin.
	Log note.Verifier
	// Policy says which witnesses must have cosigned; nil requires none.
	Policy *witness.Policy
	// Envelopes, when set, checks entries' envelope signatures.
	Envelopes *envelope.KeyRing
}

// ParseKeys builds Keys from a log verifier key, the cosignature/v1 verifier
// keys of witnesses and how many of them must cosign (k < 0: all of them).
func ParseKeys(logVKey string, witnessVKeys []string, k int) (Keys, error) {
	v, err := note.NewVerifier(strings.TrimSpace(logVKey))
	if err != nil {
		return Keys{}, fmt.Errorf("ledgerverify: log key: %w", err)
	}
	keys := Keys{Log: v}
	if len(witnessVKeys) == 0 && k <= 0 {
		return keys, nil
	}
	if k < 0 {
		k = len(witnessVKeys)
	}
	trimmed := make([]string, len(witnessVKeys))
	for i, w := range witnessVKeys {
		trimmed[i] = strings.TrimSpace(w)
	}
	if keys.Policy, err = witness.NewPolicy(k, trimmed...); err != nil {
		return Keys{}, fmt.Errorf("ledgerverify: %w", err)
	}
	return keys, nil
}

// Report says what a successful verification established.
type Report struct {
	// What was checked: "receipt", "checkpoint", "consistency" or "replay".
	Kind   string
	Origin string
	Size   uint64
	Root   []byte
	// Index is the entry's index (receipts only).
	Index uint64
	// OldSize and OldRoot are the older checkpoint's (consistency only).
	OldSize uint64
	OldRoot []byte
	// Cosigners are the policy witnesses whose cosignatures verified, and
	// Required how many the policy asks for.
	Cosigners []string
	Required  int
	// Entry describes the entry (receipts only): its digest, and its
	// envelope when it parses as one.
	Entry       envelope.Digest
	Envelope    *envelope.Signed
	EnvelopeSig bool // the envelope signature was checked and verified
}

// String returns the report as the lines the command prints.
func (r *Report) String() string {
	var b strings.Builder
	b.WriteString("OK " + r.Kind + "\n")
	line := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "  %-11s %s\n", k+":", fmt.Sprintf(format, args...))
	}
	line("origin", "%s", r.Origin)
	if r.Kind == "consistency" {
		line("old", "size %d root %s", r.OldSize, b64(r.OldRoot))
	}
	line("checkpoint", "size %d root %s", r.Size, b64(r.Root))
	line("witnesses", "%s", r.witnessLine())
	if r.Kind == "replay" {
		line("entries", "%d replayed, every contract result reproduced", r.Size)
	}
	if r.Kind != "receipt" {
		return b.String()
	}
	line("index", "%d", r.Index)
	line("entry", "%s", r.Entry)
	if e := r.Envelope; e != nil {
		sig := "signature not checked (no organization keys given)"
		if r.EnvelopeSig {
			sig = "signature verified"
		}
		by := e.Signature.Signer
		if e.Signature.OnBehalfOf != "" {
			by += " on behalf of " + e.Signature.OnBehalfOf
		}
		line("envelope", "%s of %s, signed by %s, %s", e.Envelope.Type, e.Envelope.Org, by, sig)
	}
	return b.String()
}

func (r *Report) witnessLine() string {
	if r.Required == 0 && len(r.Cosigners) == 0 {
		return "none required"
	}
	return fmt.Sprintf("%d cosigned, %d required (%s)", len(r.Cosigners), r.Required,
		strings.Join(r.Cosigners, ", "))
}

func b64(h []byte) string { return base64.StdEncoding.EncodeToString(h) }
