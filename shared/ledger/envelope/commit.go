package envelope

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sync"
)

// SaltSize is the size of a commitment salt.
const SaltSize = 32

// Errors of digests and commitments.
var (
	// ErrBadDigest means a digest or commitment is not "sha256:" followed by
	// 64 lowercase hex digits.
	ErrBadDigest = errors.New("malformed digest")
	// ErrCommitment means an opening does not match its commitment.
	ErrCommitment = errors.New("opening does not match commitment")
)

var digestRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
})

// Digest is the SHA-256 of a document kept off the log, as "sha256:<hex>".
type Digest string

// DigestOf returns the digest of data.
func DigestOf(data []byte) Digest {
	sum := sha256.Sum256(data)
	return Digest("sha256:" + hex.EncodeToString(sum[:]))
}

// Validate reports whether d is well formed.
func (d Digest) Validate() error {
	if !digestRE().MatchString(string(d)) {
		return fmt.Errorf("envelope: digest %q: %w", d, ErrBadDigest)
	}
	return nil
}

// Commitment is SHA-256(salt || value) for a secret 32-byte salt, as
// "sha256:<hex>". It binds the envelope to a value (a person, a document
// title) without revealing it, even when the value is guessable.
type Commitment string

// Validate reports whether c is well formed.
func (c Commitment) Validate() error {
	if !digestRE().MatchString(string(c)) {
		return fmt.Errorf("envelope: commitment %q: %w", c, ErrBadDigest)
	}
	return nil
}

// Opening is what the owner of a commitment discloses to show what was
// committed: the salt and the value.
type Opening struct {
	Salt  []byte `json:"salt"`
	Value []byte `json:"value"`
}

// Commit returns a commitment to value and the opening the owner must keep;
// the salt is never written to the log.
func Commit(value []byte) (Commitment, Opening, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return "", Opening{}, fmt.Errorf("envelope: commit: %w", err)
	}
	o := Prove(salt, value)
	return o.Commitment(), o, nil
}

// Prove returns the opening for value committed with salt.
func Prove(salt, value []byte) Opening {
	return Opening{Salt: append([]byte(nil), salt...), Value: append([]byte(nil), value...)}
}

// Commitment returns the commitment the opening opens.
func (o Opening) Commitment() Commitment {
	h := sha256.New()
	h.Write(o.Salt)
	h.Write(o.Value)
	return Commitment("sha256:" + hex.EncodeToString(h.Sum(nil)))
}

// Open checks that o opens c, and fails with an error wrapping ErrCommitment
// otherwise.
func Open(c Commitment, o Opening) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if len(o.Salt) != SaltSize {
		return fmt.Errorf("envelope: open: %d-byte salt, want %d: %w",
			len(o.Salt), SaltSize, ErrCommitment)
	}
	if subtle.ConstantTimeCompare([]byte(o.Commitment()), []byte(c)) != 1 {
		return fmt.Errorf("envelope: open %s: %w", c, ErrCommitment)
	}
	return nil
}
