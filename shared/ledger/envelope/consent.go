package envelope

import "fmt"

// The consent envelope types: a data owner's grant and its revocation.
const (
	TypeConsentGrant      Type = "consent.grant"
	TypeConsentRevocation Type = "consent.revocation"
)

// ConsentGrant is a data owner's consent that a party may use one of the
// owner's personal data assets for a purpose until Expires (Unix seconds,
// exclusive). Subject commits to the person the data is about; the salt
// stays with the owner. Owner must be the envelope's organization.
type ConsentGrant struct {
	Owner   string     `json:"owner"`
	Party   string     `json:"party"`
	Purpose string     `json:"purpose"`
	Asset   string     `json:"asset"`
	Expires int64      `json:"expires"`
	Subject Commitment `json:"subject"`
}

// Type implements Body.
func (*ConsentGrant) Type() Type { return TypeConsentGrant }

// Validate implements Body.
func (b *ConsentGrant) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"owner", b.Owner}, {"party", b.Party}, {"purpose", b.Purpose}, {"asset", b.Asset},
	} {
		if err := checkID(f.name, f.v); err != nil {
			return err
		}
	}
	if b.Expires <= 0 {
		return fmt.Errorf("envelope: expires %d: want Unix seconds: %w", b.Expires, ErrInvalid)
	}
	return checkCommitment("subject", b.Subject, false)
}

// Covers reports whether the grant, as a body, is for a use of asset of
// owner by party for purpose at time at (Unix seconds). Revocation is the
// log's business, not the body's.
func (b *ConsentGrant) Covers(owner, asset, party, purpose string, at int64) bool {
	return b.Owner == owner && b.Asset == asset && b.Party == party &&
		b.Purpose == purpose && at < b.Expires
}

// ConsentRevocation withdraws the grant logged at index Grant; only the
// grant's owner may revoke it.
type ConsentRevocation struct {
	Grant uint64 `json:"grant"`
}

// Type implements Body.
func (*ConsentRevocation) Type() Type { return TypeConsentRevocation }

// Validate implements Body.
func (b *ConsentRevocation) Validate() error { return nil }
