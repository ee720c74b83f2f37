package ledgerapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/rules"
	"github.com/xietong/xietong/shared/tables"
)

// Kinds of the business index rows this file writes (tables.LedgerIndex).
// Rows of an organization's records are under its tenant key; rows of the
// contracts' shared state (first to file, revenue pools) under the
// service's.
const (
	kindContract   = "contract.version"    // submitter: contract/version (as the timer's)
	kindGrant      = "consent.grant"       // owner: asset/party/purpose/index
	kindUse        = "data.use"            // owner: index
	kindEvaluation = "supplier.evaluation" // evaluator: supplier/index
	kindWork       = "ip.work"             // service: work digest
	kindPool       = "revenue.pool"        // service: asset
	kindSettle     = "revenue.settle"      // service: use index
)

// serviceTID is the tenant key of the contracts' shared state.
var serviceTID = tables.TenantKey(rules.ServiceOrg)

// admission is what the contracts decided before an entry is sequenced.
type admission struct {
	grant    uint64 // the grant a data use relies on
	existing *uint64
}

// computed are the types only the contracts write.
var computed = map[envelope.Type]bool{
	envelope.TypeRevenueSettlement: true, envelope.TypePaymentRelease: true,
	envelope.TypeIPPriority: true,
}

// admit runs the checks a record must pass before it is logged: consent
// for data uses, ownership for grants and revocations, first to file for
// registrations. existing is set when an identical registration is logged
// already.
func (s *Service) admit(ctx context.Context, signed *envelope.Signed,
	entry []byte) (admission, error) {
	env := &signed.Envelope
	if computed[env.Type] {
		return admission{}, fail(http.StatusUnprocessableEntity, "computed_record",
			"%s entries are written by the ledger's contracts, not submitted", env.Type)
	}
	body, err := env.Decode()
	if err != nil {
		return admission{}, fail(http.StatusUnprocessableEntity, "invalid_envelope", "%v", err)
	}
	switch b := body.(type) {
	case *envelope.ConsentGrant:
		if b.Owner != env.Org {
			return admission{}, fail(http.StatusForbidden, "not_owner",
				"%q cannot grant consent for the data of %q", env.Org, b.Owner)
		}
	case *envelope.ConsentRevocation:
		return admission{}, s.admitRevocation(ctx, env.Org, b)
	case *envelope.DataUse:
		g, err := s.consent(ctx, env, b)
		return admission{grant: g.Index}, err
	case *envelope.IPRegistration:
		return s.claimWork(ctx, b.Work, entry)
	}
	return admission{}, nil
}

// grantAt returns the consent grant logged at index.
func (s *Service) grantAt(ctx context.Context, index uint64) (*envelope.ConsentGrant, error) {
	entry, _, err := s.entryAt(ctx, index)
	if err != nil {
		return nil, err
	}
	rec, err := rules.NewRecord(index, entry)
	if err != nil {
		return nil, err
	}
	g, ok := rec.Body().(*envelope.ConsentGrant)
	if !ok {
		return nil, fail(http.StatusUnprocessableEntity, "not_a_grant",
			"entry %d is a %s, not a consent grant", index, rec.Type())
	}
	return g, nil
}

func grantKey(owner string, g *envelope.ConsentGrant, index uint64) tables.Key {
	return tables.Key{tables.TenantKey(owner), kindGrant,
		fmt.Sprintf("%s/%s/%s/%020d", g.Asset, g.Party, g.Purpose, index)}
}

func (s *Service) admitRevocation(ctx context.Context, org string,
	b *envelope.ConsentRevocation) error {
	g, err := s.grantAt(ctx, b.Grant)
	if err != nil {
		return err
	}
	if g.Owner != org {
		return fail(http.StatusForbidden, "not_owner",
			"%q cannot revoke the grant of %q at entry %d", org, g.Owner, b.Grant)
	}
	row, err := s.db.Get(ctx, tables.LedgerIndex.Name, grantKey(org, g, b.Grant))
	if err == nil && row.Has("revoked_by") {
		return fail(http.StatusConflict, "already_revoked",
			"grant at entry %d was revoked at entry %d", b.Grant, row.Int("revoked_by"))
	}
	if err != nil && !errors.Is(err, tables.ErrNotFound) {
		return err
	}
	return nil
}

// consent returns the live grant a data use relies on, from the owner's
// grant rows, or a 403 naming why there is none.
// TODO(#7): a revocation sequenced while a use of its grant is being
// admitted may land before the use in the log; replay then reports the use.
func (s *Service) consent(ctx context.Context, env *envelope.Envelope,
	u *envelope.DataUse) (rules.Grant, error) {
	owner := u.OwnerOr(env.Org)
	tid := tables.TenantKey(owner)
	prefix := fmt.Sprintf("%s/%s/%s/", u.Asset, u.Consumer, u.Purpose)
	rows, _, err := s.db.Page(ctx, tables.LedgerIndex.Name, tables.Range{
		Start: tables.Key{tid, kindGrant, prefix},
		End:   tables.Key{tid, kindGrant, strings.TrimSuffix(prefix, "/") + "0"},
	})
	if err != nil {
		return rules.Grant{}, err
	}
	grants := make([]rules.Grant, 0, len(rows))
	for _, r := range rows {
		grants = append(grants, rules.Grant{Index: uint64(r.Int("index")),
			RevokedBy: uint64(r.Int("revoked_by")),
			Body: &envelope.ConsentGrant{Owner: owner, Party: u.Consumer, Purpose: u.Purpose,
				Asset: u.Asset, Expires: r.Int("expires")}})
	}
	g, err := rules.CheckConsent(grants, env.Org, u, env.Time)
	if err != nil {
		return g, fail(http.StatusForbidden, "no_consent", "%v", err)
	}
	return g, nil
}

// claimWork claims a work digest for the registration entry, first to
// file: a registration of the same work by another entry is refused with
// a 409 naming the first; the same entry again finds its index.
func (s *Service) claimWork(ctx context.Context, work envelope.Digest,
	entry []byte) (admission, error) {
	key := tables.Key{serviceTID, kindWork, string(work)}
	digest := string(envelope.DigestOf(entry))
	_, err := s.db.Create(ctx, tables.LedgerIndex.Name, key, tables.Cols{"entry": digest})
	if err == nil {
		return admission{}, nil
	}
	if !errors.Is(err, tables.ErrExists) {
		return admission{}, err
	}
	row, err := s.db.Get(ctx, tables.LedgerIndex.Name, key)
	if err != nil {
		return admission{}, err
	}
	switch {
	case row.String("entry") != digest && row.Has("index"):
		return admission{}, fail(http.StatusConflict, "already_registered",
			"work %s was registered first at entry %d by %q", work, row.Int("index"),
			row.String("org"))
	case row.String("entry") != digest:
		return admission{}, fail(http.StatusConflict, "already_registered",
			"work %s is being registered by entry %s; retry to learn its index",
			work, row.String("entry"))
	case row.Has("index"):
		index := uint64(row.Int("index"))
		return admission{existing: &index}, nil
	}
	// TODO(#7): the same registration retried after a crash between the
	// claim and its index, without an Idempotency-Key, is logged twice
	// (replay reports the second).
	return admission{}, nil
}
