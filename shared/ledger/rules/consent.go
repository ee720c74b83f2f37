package rules

import (
	"errors"
	"fmt"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// ErrNoConsent means a data use has no live consent grant of the asset's
// owner.
var ErrNoConsent = errors.New("no live consent grant")

// Grant is a consent grant logged at Index; RevokedBy is the index of the
// revocation that withdrew it, 0 if none has.
type Grant struct {
	Index     uint64
	Body      *envelope.ConsentGrant
	RevokedBy uint64
}

// CheckConsent returns the earliest of grants that lets use, by org at time
// at (Unix seconds), go ahead: the grant of the use's owner for its asset,
// to its consumer, for its purpose, not expired at at and not revoked. It
// fails with an error wrapping ErrNoConsent that says why the closest grant
// does not count.
func CheckConsent(grants []Grant, org string, use *envelope.DataUse, at int64) (Grant, error) {
	owner := use.OwnerOr(org)
	var best *Grant
	why := "none given"
	for i := range grants {
		g := &grants[i]
		b := g.Body
		if b.Owner != owner || b.Asset != use.Asset || b.Party != use.Consumer ||
			b.Purpose != use.Purpose {
			continue
		}
		switch {
		case g.RevokedBy != 0:
			why = fmt.Sprintf("grant at entry %d was revoked at entry %d", g.Index, g.RevokedBy)
		case !b.Covers(owner, use.Asset, use.Consumer, use.Purpose, at):
			why = fmt.Sprintf("grant at entry %d expired at %d, before %d", g.Index, b.Expires, at)
		case best == nil || g.Index < best.Index:
			best = g
		}
	}
	if best == nil {
		return Grant{}, fmt.Errorf("rules: use %q of %q by %q for %q: %s: %w",
			use.UseID, use.Asset, use.Consumer, use.Purpose, why, ErrNoConsent)
	}
	return *best, nil
}
