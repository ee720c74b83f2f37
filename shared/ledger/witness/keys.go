package witness

import (
	"crypto/rand"
	"fmt"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// GenerateKey returns a new Ed25519 witness key named name: the private key in
// note encoding ("PRIVATE+KEY+..."), and the cosignature/v1 verifier key
// (signature type 0x04) that logs and policies use to check its cosignatures.
func GenerateKey(name string) (skey, vkey string, err error) {
	skey, plain, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", "", fmt.Errorf("witness: generate key %q: %w", name, err)
	}
	vkey, err = fnote.VKeyToCosignatureV1(plain)
	if err != nil {
		return "", "", fmt.Errorf("witness: generate key %q: %w", name, err)
	}
	return skey, vkey, nil
}

// NewVerifier parses a cosignature/v1 verifier key.
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, fmt.Errorf("witness: verifier key: %w", err)
	}
	return v, nil
}
