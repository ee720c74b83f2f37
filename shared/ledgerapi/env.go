package ledgerapi

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/ledgerstore"
	"github.com/xietong/xietong/shared/ledger/rules"
	"github.com/xietong/xietong/shared/ledger/witness"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// Environment variables the ledger function reads besides the Tablestore
// and OSS ones (see tables.StoreFromEnv and blob.StoreFromEnv).
const (
	// EnvLogKey is the log's note-encoded Ed25519 private key (required);
	// its name is the log's origin. The service's envelope key is derived
	// from it.
	EnvLogKey = "XT_LEDGER_KEY"
	// EnvOrgKeys is optional JSON {"<org>": ["<base64 Ed25519 public key>"]}:
	// the keys organizations sign their submissions with.
	EnvOrgKeys = "XT_LEDGER_ORG_KEYS"
	// EnvWitnesses is optional JSON [{"url": "...", "vkey": "..."}]: the
	// tlog-witness endpoints asked to cosign, with their verifier keys.
	EnvWitnesses = "XT_LEDGER_WITNESSES"
	// EnvWitnessK is how many witnesses must cosign (default: all).
	EnvWitnessK = "XT_LEDGER_WITNESS_K"
)

// witnessTimeout bounds one cosigning request.
const witnessTimeout = 5 * time.Second

// ObjectPrefix is where the log's objects live in the bucket.
const ObjectPrefix = "ledger/"

// Witness is one entry of EnvWitnesses.
type Witness struct {
	URL  string `json:"url"`
	VKey string `json:"vkey"`
}

// FromEnv builds a Service from the function's environment. XT_SESSION_KEY
// is optional here: without it, only signed envelopes are accepted.
func FromEnv(getenv func(string) string) (*Service, error) {
	db, err := tables.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	files, err := blob.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	cfg := Config{DB: db}
	if raw := getenv(session.EnvKey); raw != "" {
		key, err := session.ParseKey(raw)
		if err == nil {
			cfg.Sessions, err = session.New(key)
		}
		if err != nil {
			return nil, fmt.Errorf("ledgerapi: config: %s: %w", session.EnvKey, err)
		}
	}
	if err := logFromEnv(getenv, &cfg,
		ledgerstore.NewObjectStore(files, ObjectPrefix)); err != nil {
		return nil, err
	}
	return New(cfg)
}

// logFromEnv builds the log, its sequencer, the key ring and the service
// key into cfg.
func logFromEnv(getenv func(string) string, cfg *Config, store ledger.ObjectStore) error {
	skey := getenv(EnvLogKey)
	if skey == "" {
		return fmt.Errorf("ledgerapi: config: %s is required", EnvLogKey)
	}
	lcfg := ledger.Config{Store: store, Key: skey}
	if err := witnessesFromEnv(getenv, &lcfg); err != nil {
		return err
	}
	keys, err := orgKeysFromEnv(getenv(EnvOrgKeys))
	if err != nil {
		return err
	}
	if cfg.Public.LogKey, err = VerifierKey(skey); err != nil {
		return fmt.Errorf("ledgerapi: config: %s: %w", EnvLogKey, err)
	}
	cfg.Public.Witnesses, cfg.Public.K = witnessKeys(lcfg.Policy, getenv(EnvWitnesses))
	cfg.Keys, cfg.Service = keys, ServiceKey(skey)
	keys.Add(cfg.Service.Signer, cfg.Service.Private.Public().(ed25519.PublicKey))
	probe, err := ledger.New(ledger.Config{Store: store, Sequencer: new(ledger.MemSequencer),
		Key: skey})
	if err != nil {
		return fmt.Errorf("ledgerapi: config: %s: %w", EnvLogKey, err)
	}
	if cfg.Sequencer, err = ledgerstore.NewSequencer(cfg.DB, probe.Origin()); err != nil {
		return err
	}
	lcfg.Sequencer = cfg.Sequencer
	cfg.Log, err = ledger.New(lcfg)
	return err
}

// ServiceKey derives the service's envelope signing key from the log key,
// so that one secret configures both.
func ServiceKey(logKey string) envelope.Key {
	seed := sha256.Sum256([]byte("xietong/ledger/service-envelope-key\n" + logKey))
	return envelope.Key{Signer: rules.ServiceOrg, Private: ed25519.NewKeyFromSeed(seed[:])}
}

func orgKeysFromEnv(raw string) (*envelope.KeyRing, error) {
	ring := &envelope.KeyRing{Service: rules.ServiceOrg}
	if raw == "" {
		return ring, nil
	}
	var orgs map[string][]string
	if err := json.Unmarshal([]byte(raw), &orgs); err != nil {
		return nil, fmt.Errorf("ledgerapi: config: %s: %w", EnvOrgKeys, err)
	}
	for org, keys := range orgs {
		for _, k := range keys {
			pub, err := base64.StdEncoding.DecodeString(k)
			if err != nil || len(pub) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("ledgerapi: config: %s: key of %q: want base64 of %d bytes",
					EnvOrgKeys, org, ed25519.PublicKeySize)
			}
			ring.Add(org, ed25519.PublicKey(pub))
		}
	}
	return ring, nil
}

func witnessesFromEnv(getenv func(string) string, lcfg *ledger.Config) error {
	raw := getenv(EnvWitnesses)
	if raw == "" {
		return nil
	}
	var ws []Witness
	if err := json.Unmarshal([]byte(raw), &ws); err != nil {
		return fmt.Errorf("ledgerapi: config: %s: %w", EnvWitnesses, err)
	}
	vkeys := make([]string, len(ws))
	for i, w := range ws {
		vkeys[i] = w.VKey
		lcfg.Witnesses = append(lcfg.Witnesses,
			&witness.Client{URL: w.URL, HTTP: &http.Client{Timeout: witnessTimeout}})
	}
	k := len(ws)
	if v := getenv(EnvWitnessK); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("ledgerapi: config: %s %q: want an integer", EnvWitnessK, v)
		}
		k = n
	}
	policy, err := witness.NewPolicy(k, vkeys...)
	if err != nil {
		return fmt.Errorf("ledgerapi: config: %w", err)
	}
	lcfg.Policy = policy
	return nil
}

// witnessKeys returns the verifier keys of the configured witnesses and
// the policy's threshold.
func witnessKeys(p *witness.Policy, raw string) ([]string, int) {
	var ws []Witness
	if p == nil || json.Unmarshal([]byte(raw), &ws) != nil {
		return []string{}, 0
	}
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.VKey
	}
	return out, p.K
}
