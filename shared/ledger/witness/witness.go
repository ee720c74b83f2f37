package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Errors a witness refuses a checkpoint with; [Handler] maps each onto the
// HTTP status C2SP tlog-witness gives it.
var (
	// ErrUnknownLog means the checkpoint's origin is not a log the witness
	// follows (404).
	ErrUnknownLog = errors.New("unknown log")
	// ErrBadSignature means no trusted log key signed the checkpoint (403).
	ErrBadSignature = errors.New("checkpoint not signed by the log")
	// ErrBadRequest means the request is malformed or its old size exceeds
	// the checkpoint's size (400).
	ErrBadRequest = errors.New("bad request")
	// ErrInconsistent means the consistency proof does not prove the
	// checkpoint extends the last one the witness cosigned (422).
	ErrInconsistent = errors.New("checkpoint inconsistent with previous")
)

// ConflictError means the request's old size is not the size the witness last
// cosigned for the log (409); Size is that size, so the log can retry with a
// proof from it.
type ConflictError struct {
	Origin string
	Size   uint64
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness: log %q: known size is %d", e.Origin, e.Size)
}

// Witness checks checkpoints of the logs it follows and cosigns each one that
// is consistent with the last it cosigned. It is safe for concurrent use.
type Witness struct {
	signer note.Signer
	logs   map[string]note.Verifier
	state  State
	mu     sync.Mutex
}

// New returns a witness that signs with skey (a note-encoded Ed25519 private
// key, see GenerateKey), keeps its state in state, and follows the logs whose
// Ed25519 verifier keys are given; a log's origin is its key name.
func New(skey string, state State, logVKeys ...string) (*Witness, error) {
	signer, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("witness: signer key: %w", err)
	}
	w := &Witness{signer: signer, logs: make(map[string]note.Verifier), state: state}
	for _, vk := range logVKeys {
		v, err := note.NewVerifier(vk)
		if err != nil {
			return nil, fmt.Errorf("witness: log key %q: %w", vk, err)
		}
		w.logs[v.Name()] = v
	}
	return w, nil
}

// Name returns the witness's key name.
func (w *Witness) Name() string { return w.signer.Name() }

// AddCheckpoint checks the signed checkpoint cp against the last checkpoint
// the witness cosigned for its log, using the consistency proof from oldSize,
// and returns the witness's cosignature lines in signed-note form.
func (w *Witness) AddCheckpoint(
	ctx context.Context, oldSize uint64, cons [][]byte, cp []byte,
) ([]byte, error) {
	n, c, err := w.open(cp)
	if err != nil {
		return nil, err
	}
	if oldSize > c.Size {
		return nil, fmt.Errorf("witness: old size %d above checkpoint size %d: %w",
			oldSize, c.Size, ErrBadRequest)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	prev, ok, err := w.state.Latest(c.Origin)
	if err != nil {
		return nil, fmt.Errorf("witness: add %q: %w", c.Origin, err)
	}
	if !ok {
		prev = Latest{Root: rfc6962.DefaultHasher.EmptyRoot()}
	}
	if oldSize != prev.Size {
		return nil, &ConflictError{Origin: c.Origin, Size: prev.Size}
	}
	if err := checkConsistency(prev, c, cons); err != nil {
		return nil, err
	}
	if !ok {
		prev = Latest{}
	}
	if err := w.state.Advance(c.Origin, prev, Latest{Size: c.Size, Root: c.Hash}); err != nil {
		return nil, fmt.Errorf("witness: add %q: %w", c.Origin, err)
	}
	return w.cosign(n)
}

// open verifies the log's signature on cp and parses its checkpoint.
func (w *Witness) open(cp []byte) (*note.Note, *flog.Checkpoint, error) {
	origin, _, _ := strings.Cut(string(cp), "\n")
	v, ok := w.logs[origin]
	if !ok {
		return nil, nil, fmt.Errorf("witness: origin %q: %w", origin, ErrUnknownLog)
	}
	n, err := note.Open(cp, note.VerifierList(v))
	if err != nil {
		return nil, nil, fmt.Errorf("witness: origin %q: %w: %w", origin, ErrBadSignature, err)
	}
	c := new(flog.Checkpoint)
	if _, err := c.Unmarshal([]byte(n.Text)); err != nil {
		return nil, nil, fmt.Errorf("witness: origin %q: %w: %w", origin, ErrBadRequest, err)
	}
	if len(c.Hash) != rfc6962.DefaultHasher.Size() {
		return nil, nil, fmt.Errorf("witness: origin %q: %d-byte root: %w",
			origin, len(c.Hash), ErrBadRequest)
	}
	return n, c, nil
}

func checkConsistency(prev Latest, c *flog.Checkpoint, cons [][]byte) error {
	h := rfc6962.DefaultHasher
	if c.Size == 0 && !bytes.Equal(c.Hash, h.EmptyRoot()) {
		return fmt.Errorf("witness: origin %q: empty tree with wrong root: %w",
			c.Origin, ErrInconsistent)
	}
	err := proof.VerifyConsistency(h, prev.Size, c.Size, cons, prev.Root, c.Hash)
	if err != nil {
		return fmt.Errorf("witness: origin %q: %d to %d: %w: %w",
			c.Origin, prev.Size, c.Size, ErrInconsistent, err)
	}
	return nil
}

// cosign returns the witness's cosignature line for the note.
func (w *Witness) cosign(n *note.Note) ([]byte, error) {
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, fmt.Errorf("witness: cosign: %w", err)
	}
	return signed[len(n.Text)+1:], nil
}
