package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrSignature means an envelope's signature is missing, made by a key not
// entitled to sign for its organization, or invalid.
var ErrSignature = errors.New("bad envelope signature")

// signContext separates envelope signatures from any other use of a key.
const signContext = "xietong/envelope/v1\n"

// Signed is a signed envelope; its canonical encoding (Entry) is what the log
// stores.
type Signed struct {
	Envelope  Envelope  `json:"envelope"`
	Signature Signature `json:"signature"`
}

// Signature is an Ed25519 signature over signContext and the canonical
// envelope. Signer is the organization that signed, or the service when
// OnBehalfOf names the member organization it signed for.
type Signature struct {
	Signer     string `json:"signer"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
	KeyID      string `json:"key_id"`
	Sig        []byte `json:"sig"`
}

// Key is a signing key of an organization or of the service.
type Key struct {
	Signer  string
	Private ed25519.PrivateKey
}

// KeyID returns the identifier of a public key: the hex of the first 8 bytes
// of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign signs e as its own organization; k.Signer must be e.Org.
func (k Key) Sign(e *Envelope) (*Signed, error) {
	if k.Signer != e.Org {
		return nil, fmt.Errorf("envelope: sign: key of %q cannot sign for %q: %w",
			k.Signer, e.Org, ErrSignature)
	}
	return k.sign(e, "")
}

// SignFor signs e as the service on behalf of its organization.
func (k Key) SignFor(e *Envelope) (*Signed, error) { return k.sign(e, e.Org) }

func (k Key) sign(e *Envelope, onBehalfOf string) (*Signed, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	msg, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(k.Private, append([]byte(signContext), msg...))
	pub := k.Private.Public().(ed25519.PublicKey)
	return &Signed{
		Envelope:  *e,
		Signature: Signature{Signer: k.Signer, OnBehalfOf: onBehalfOf, KeyID: KeyID(pub), Sig: sig},
	}, nil
}

// KeyRing holds the public keys of organizations and the service.
type KeyRing struct {
	// Service is the signer name allowed to sign on a member's behalf.
	Service string
	keys    map[string]ed25519.PublicKey // signer + "/" + key id
}

// Add registers pub as a key of signer.
func (r *KeyRing) Add(signer string, pub ed25519.PublicKey) {
	if r.keys == nil {
		r.keys = make(map[string]ed25519.PublicKey)
	}
	r.keys[signer+"/"+KeyID(pub)] = pub
}

// Verify checks s's signature against the ring: the signer must be the
// envelope's organization, or the ring's service signing on its behalf.
func (r *KeyRing) Verify(s *Signed) error {
	sig, org := s.Signature, s.Envelope.Org
	switch {
	case sig.OnBehalfOf == "" && sig.Signer != org:
		return fmt.Errorf("envelope: signer %q is not org %q: %w", sig.Signer, org, ErrSignature)
	case sig.OnBehalfOf != "" &&
		(sig.OnBehalfOf != org || sig.Signer != r.Service || r.Service == ""):
		return fmt.Errorf("envelope: %q may not sign on behalf of %q: %w",
			sig.Signer, org, ErrSignature)
	}
	pub, ok := r.keys[sig.Signer+"/"+sig.KeyID]
	if !ok {
		return fmt.Errorf("envelope: signer %q key %q: unknown: %w",
			sig.Signer, sig.KeyID, ErrSignature)
	}
	msg, err := s.Envelope.Canonical()
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, append([]byte(signContext), msg...), sig.Sig) {
		return fmt.Errorf("envelope: signer %q: signature does not verify: %w",
			sig.Signer, ErrSignature)
	}
	return nil
}

// Entry returns the canonical encoding of s, the bytes appended to the log.
func (s *Signed) Entry() ([]byte, error) { return Canonical(s) }

// Parse decodes a log entry into a signed envelope. It refuses bytes that
// are not canonical (ErrNotCanonical), so every envelope has exactly one
// entry encoding, and envelopes that fail validation. It does not check the
// signature; use KeyRing.Verify.
func Parse(entry []byte) (*Signed, error) {
	s := new(Signed)
	dec := json.NewDecoder(bytes.NewReader(entry))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return nil, fmt.Errorf("envelope: parse: %w: %w", ErrInvalid, err)
	}
	canon, err := s.Entry()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, entry) {
		return nil, fmt.Errorf("envelope: parse: %w", ErrNotCanonical)
	}
	if err := s.Envelope.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}
