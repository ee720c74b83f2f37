package ledger

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger/witness"
)

// DefaultMaxBatch is how many sequenced entries one Integrate run takes when
// Config.MaxBatch is zero.
const DefaultMaxBatch = 1 << 14

// Cosigner is a witness the log submits its checkpoints to, following C2SP
// tlog-witness: oldSize is the size the log believes the witness last
// cosigned, cons the consistency proof from it. It returns the witness's
// cosignature lines, or a *witness.ConflictError naming the size it knows.
// *witness.Witness and *witness.Client implement it.
type Cosigner interface {
	AddCheckpoint(ctx context.Context, oldSize uint64, cons [][]byte, cp []byte) ([]byte, error)
}

// Config configures a Log. Store, Sequencer and Key are required.
type Config struct {
	Store     ObjectStore
	Sequencer Sequencer
	// Key is the log's note-encoded Ed25519 private key (see GenerateKey);
	// its name is the log's origin.
	Key string
	// Witnesses are asked to cosign every checkpoint Publish signs, and
	// Policy decides how many must have done so before it is stored. Only
	// cosignatures by witnesses the policy lists are kept.
	Witnesses []Cosigner
	Policy    *witness.Policy
	// MaxBatch bounds the entries one Integrate run takes (DefaultMaxBatch
	// when zero).
	MaxBatch int
}

// Log is a tiled transparency log. It is safe for concurrent use; several
// Logs (in several processes) may share one store and sequencer.
type Log struct {
	Reader
	store     ObjectStore
	seq       Sequencer
	signer    note.Signer
	verifier  note.Verifier
	witnesses []Cosigner
	policy    *witness.Policy
	maxBatch  int

	// TODO(#7): the sizes witnesses hold are kept in memory only; a
	// restarted log relearns each through one 409 answer.
	mu    sync.Mutex
	known map[int]uint64 // last size each witness is believed to hold
	tail  *tail          // left by the last Integrate run, for the next
}

// New returns a Log for cfg.
func New(cfg Config) (*Log, error) {
	if cfg.Store == nil || cfg.Sequencer == nil {
		return nil, errors.New("ledger: new: store and sequencer are required")
	}
	signer, verifier, err := fnote.NewEd25519SignerVerifier(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("ledger: new: log key: %w", err)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	return &Log{
		Reader:    Reader{Store: cfg.Store},
		store:     cfg.Store,
		seq:       cfg.Sequencer,
		signer:    signer,
		verifier:  verifier,
		witnesses: cfg.Witnesses,
		policy:    cfg.Policy,
		maxBatch:  cfg.MaxBatch,
		known:     make(map[int]uint64),
	}, nil
}

// Origin returns the log's origin, the name of its key.
func (l *Log) Origin() string { return l.signer.Name() }

// Verifier returns the verifier of the log's checkpoint signatures.
func (l *Log) Verifier() note.Verifier { return l.verifier }

// GenerateKey returns a new Ed25519 log key for origin: the private key and
// the verifier key, both in signed-note encoding.
func GenerateKey(origin string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("ledger: generate key %q: %w", origin, err)
	}
	return skey, vkey, nil
}
