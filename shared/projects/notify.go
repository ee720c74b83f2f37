package projects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"

	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/runtime"
)

// after records the activity of a change that has been written, and logs
// (without failing the request, whose effect already stands) a failure of
// that or of an earlier derived write (summaryErr).
//
// TODO(#6): a reconciler should re-derive trail entries and summaries lost
// this way; today only the next write or a stale-summary read repairs them.
func (s *Service) after(ctx context.Context, c caller, p *plan.Plan, acts []plan.Activity,
	summaryErr error) {
	pr := p.Project()
	log := runtime.Logger(ctx)
	if summaryErr != nil {
		log.Warn("summary", "project", pr.ID, "error", summaryErr)
	}
	if err := s.store.Record(ctx, pr.Org.Corp, acts); err != nil {
		log.Warn("activity", "project", pr.ID, "actor", c.uid, "error", err)
	}
}

// notifyMembers enqueues one action-card notice per organization to the
// given members (through each member's own organization's app), deduped on
// kind, project, the members' organization and version. External contacts
// get no work notice.
//
// TODO(#6): reach external contacts (supplier "ext:" ids) through their
// company's own app or a group robot.
func (s *Service) notifyMembers(ctx context.Context, c caller, p *plan.Plan,
	to []plan.Member, kind, title, body, version string) {
	pr := p.Project()
	byCorp := map[string][]string{}
	for _, m := range to {
		corp, user, _ := strings.Cut(m.User, ":")
		if m.User == c.uid || strings.HasPrefix(user, directory.ExternalPrefix) {
			continue
		}
		byCorp[corp] = append(byCorp[corp], user)
	}
	link := s.cfg.AppURL + "/projects/" + url.PathEscape(pr.Org.Corp) + "/" +
		url.PathEscape(pr.ID)
	for corp, users := range byCorp {
		slices.Sort(users)
		sum := sha256.Sum256([]byte(strings.Join(users, ",")))
		key := kind + "/" + pr.Org.Corp + "/" + pr.ID + "/" + version + "/" +
			hex.EncodeToString(sum[:8])
		_, err := outbox.Enqueue(ctx, s.db, outbox.Message{Corp: corp, Users: users,
			Kind: outbox.KindActionCard, Title: clip(title, outbox.MaxTitle), Body: body,
			Link: link, DedupeKey: key})
		if err != nil {
			runtime.Logger(ctx).Warn("notify", "project", pr.ID, "kind", kind, "error", err)
		}
	}
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
