package ledgerapi

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/httpapi"
)

// PublicKeys is the answer of GET /api/ledger/keys: everything a partner
// needs to verify the log offline (with ledger-verify): the log's origin
// and note verifier key, the service's envelope key (it signs on members'
// behalf and signs the contracts' results), and the witnesses' cosignature
// verifier keys with the k-of-n policy.
type PublicKeys struct {
	Origin     string   `json:"origin"`
	LogKey     string   `json:"log_key"`
	ServiceKey string   `json:"service_key"`
	Witnesses  []string `json:"witnesses"`
	K          int      `json:"k"`
	N          int      `json:"n"`
}

// VerifierKey returns the note verifier key of a note-encoded Ed25519
// private key (as ledger.GenerateKey returns them).
func VerifierKey(skey string) (string, error) {
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", fmt.Errorf("ledgerapi: verifier key: not a note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", fmt.Errorf("ledgerapi: verifier key %q: not an Ed25519 key", parts[2])
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		return "", fmt.Errorf("ledgerapi: verifier key %q: %w", parts[2], err)
	}
	return vkey, nil
}

// keys answers the public keys; it needs no authorization.
func (s *Service) publicKeys(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Cache-Control", "max-age=300")
	httpapi.WriteJSON(w, http.StatusOK, s.public)
	return nil
}
