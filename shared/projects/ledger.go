package projects

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// Milestone acceptances go into the verifiable ledger: accepting a milestone
// queues a ledger record request in the Outbox (ledgerreq.Kind, as the
// contracts function does for contract versions), which the ledger
// function's timer turns into a milestone.acceptance entry. The entry
// commits to the acceptor with a salt kept on the milestone row
// (ledgerreq.ColAcceptorSalt), so the owning organization can later prove who
// accepted without the log naming anyone.

// saveAcceptance writes the accepted milestone m over the row at version
// ver, with the acceptor salt, queues the acceptance's ledger request, and
// answers with the milestone.
func (s *Service) saveAcceptance(w http.ResponseWriter, r *http.Request, c caller,
	l *Loaded, m plan.Milestone, ver int64, acts []plan.Activity) error {
	ctx, pr := r.Context(), l.Plan.Project()
	key := tables.Key{tenant(pr.Org.Corp), pr.ID, m.ID}
	salt, err := s.acceptorSalt(ctx, key)
	if err != nil {
		return err
	}
	cols := milestoneCols(m)
	cols[ledgerreq.ColAcceptorSalt] = salt
	_, err = s.db.Update(ctx, tables.Milestone.Name, key, ver, tables.Change{Set: cols})
	if row, ok := tables.Current(err); ok {
		m.Ver = row.Ver()
		return httpapi.Conflict(milestoneJSON(m, 0))
	}
	if err != nil {
		return err
	}
	if err := s.requestLedger(ctx, pr.Org.Corp, pr.ID, m); err != nil {
		// TODO(#7): a request lost here is not recreated; a reconciler
		// could queue one for every accepted milestone without one.
		runtime.Logger(ctx).Warn("ledger_request", "project", pr.ID, "milestone", m.ID,
			"error", err)
	}
	s.milestoneChanged(r, c, l, acts, m, "里程碑已验收")
	httpapi.WriteJSON(w, http.StatusOK, milestoneJSON(m, l.Plan.Rollup().Milestones[m.ID]))
	return nil
}

// acceptorSalt returns the salt already on the milestone row, so that an
// entry logged earlier stays provable, or a new random one.
func (s *Service) acceptorSalt(ctx context.Context, key tables.Key) (string, error) {
	row, err := s.db.Get(ctx, tables.Milestone.Name, key, tables.Columns(ledgerreq.ColAcceptorSalt))
	if err != nil && !errors.Is(err, tables.ErrNotFound) {
		return "", err
	}
	if row != nil && row.String(ledgerreq.ColAcceptorSalt) != "" {
		return row.String(ledgerreq.ColAcceptorSalt), nil
	}
	b := make([]byte, ledgerreq.AcceptorSaltSize)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b), nil
}

// requestLedger queues the ledger record request of the acceptance of m,
// once: a repeated call finds the row there.
func (s *Service) requestLedger(ctx context.Context, corp, project string,
	m plan.Milestone) error {
	return ledgerreq.Queue(ctx, s.db, tenant(corp),
		ledgerreq.MilestoneMsgID(project, m.ID, m.Ver), ledgerreq.MilestoneAcceptance{
			Type: ledgerreq.TypeMilestoneAcceptance, Corp: corp, ProjectID: project,
			MilestoneID: m.ID, AcceptedBy: m.AcceptedBy, AcceptedMS: m.AcceptedAt.UnixMilli(),
			Note: m.Override, N: m.Ver}, s.now())
}
