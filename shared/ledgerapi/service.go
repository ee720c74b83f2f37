// Package ledgerapi is the ledger function: its HTTP API under /api/ledger
// (submissions, entries, proofs, checkpoints, receipts and the tiles for
// offline verifiers) and its timer, which turns the contracts function's
// ledger record requests into entries, integrates waiting entries and
// publishes a new checkpoint.
package ledgerapi

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"time"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/ledgerstore"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// Config wires a Service. Log, Sequencer (the log's), DB and Keys are
// required.
type Config struct {
	Log       *ledger.Log
	Sequencer *ledgerstore.Sequencer
	// DB holds idempotency keys (tables.Idem) and the ledger record
	// requests (tables.Outbox); the contract rows they name are read too.
	DB *tables.Store
	// Keys verifies submitted signatures; Keys.Service names Service.
	Keys *envelope.KeyRing
	// Service signs envelopes on a member organization's behalf: HTTP
	// submissions of a signed-in member and drained record requests.
	Service envelope.Key
	// Sessions authenticates members submitting unsigned envelopes; nil
	// refuses them.
	Sessions *session.Signer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Public is what GET /api/ledger/keys answers; FromEnv fills it. Origin
	// and ServiceKey default to the log's and Service's.
	Public PublicKeys
}

// Service serves the ledger API and runs its timer. It is safe for
// concurrent use.
type Service struct {
	log      *ledger.Log
	seq      *ledgerstore.Sequencer
	db       *tables.Store
	keys     *envelope.KeyRing
	service  envelope.Key
	sessions *session.Signer
	now      func() time.Time
	public   PublicKeys
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Log == nil || cfg.Sequencer == nil || cfg.DB == nil || cfg.Keys == nil {
		return nil, errors.New("ledgerapi: new: log, sequencer, tables and keys are required")
	}
	if cfg.Service.Private == nil || cfg.Service.Signer != cfg.Keys.Service {
		return nil, errors.New("ledgerapi: new: service key must be the key ring's service")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	pub := cfg.Public
	if pub.Origin == "" {
		pub.Origin = cfg.Log.Origin()
	}
	if pub.ServiceKey == "" {
		pub.ServiceKey = base64.StdEncoding.EncodeToString(
			cfg.Service.Private.Public().(ed25519.PublicKey))
	}
	if pub.Witnesses == nil {
		pub.Witnesses = []string{}
	}
	pub.N = len(pub.Witnesses)
	return &Service{log: cfg.Log, seq: cfg.Sequencer, db: cfg.DB, keys: cfg.Keys,
		service: cfg.Service, sessions: cfg.Sessions, now: now, public: pub}, nil
}
