package witness

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// ErrQuorum means a checkpoint carries fewer valid cosignatures than a
// policy requires.
var ErrQuorum = errors.New("witness quorum not met")

// Policy says that a checkpoint counts as published once at least K of the
// witnesses in Verifiers have cosigned it. The zero Policy requires nothing.
type Policy struct {
	K         int
	Verifiers []note.Verifier
}

// NewPolicy returns a k-of-n policy over the cosignature/v1 verifier keys.
func NewPolicy(k int, vkeys ...string) (*Policy, error) {
	if k < 0 || k > len(vkeys) {
		return nil, fmt.Errorf("witness: policy %d of %d: threshold out of range", k, len(vkeys))
	}
	p := &Policy{K: k}
	seen := make(map[string]bool)
	for _, vk := range vkeys {
		v, err := NewVerifier(vk)
		if err != nil {
			return nil, err
		}
		if seen[v.Name()] {
			return nil, fmt.Errorf("witness: policy: witness %q listed twice", v.Name())
		}
		seen[v.Name()] = true
		p.Verifiers = append(p.Verifiers, v)
	}
	return p, nil
}

// Check reports whether n, a note opened with verifiers that include the
// policy's (see [Policy.VerifierList]), has K valid witness cosignatures, and
// fails with an error wrapping ErrQuorum otherwise. A nil policy is met.
func (p *Policy) Check(n *note.Note) error {
	if p == nil || p.K == 0 {
		return nil
	}
	if got := p.Count(n); got < p.K {
		return fmt.Errorf("witness: %d of %d required cosignatures: %w", got, p.K, ErrQuorum)
	}
	return nil
}

// Count returns how many of the policy's witnesses have a verified signature
// on n.
func (p *Policy) Count(n *note.Note) int {
	if p == nil {
		return 0
	}
	count := 0
	for _, v := range p.Verifiers {
		for _, s := range n.Sigs {
			if s.Name == v.Name() && s.Hash == v.KeyHash() {
				count++
				break
			}
		}
	}
	return count
}

// VerifierList returns a note.Verifiers with the log's verifier and the
// policy's witnesses, for note.Open.
func (p *Policy) VerifierList(logVerifier note.Verifier) note.Verifiers {
	vs := []note.Verifier{logVerifier}
	if p != nil {
		vs = append(vs, p.Verifiers...)
	}
	return note.VerifierList(vs...)
}
