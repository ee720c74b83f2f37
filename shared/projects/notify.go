package projects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
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

// ChatKey is the outbox chat key of project corp/id's group chat.
func ChatKey(corp, id string) string { return "project/" + corp + "/" + id }

// colChatID is the project row's column holding its DingTalk chat id,
// written by the notify function once the chat exists.
const colChatID = "chat_id"

// syncChat asks the notify function to bring the project's group chat in
// step with its members (creating it the first time) and then to post
// title and body there, when body is not empty; event makes the request
// unique, and a repeat of it is a no-op.
func (s *Service) syncChat(ctx context.Context, pr plan.Project, event, title, body string) {
	m := outbox.Message{Corp: pr.Org.Corp, Kind: outbox.KindChatSync,
		ChatKey:   ChatKey(pr.Org.Corp, pr.ID),
		DedupeKey: "chat-sync/" + pr.Org.Corp + "/" + pr.ID + "/" + event}
	if body != "" {
		m.Title, m.Body, m.Link = clip(title, outbox.MaxTitle), body, s.projectLink(pr)
	}
	_, err := outbox.Enqueue(ctx, s.db, m)
	if err != nil {
		runtime.Logger(ctx).Warn("chat sync", "project", pr.ID, "error", err)
	}
}

// announce posts a message to the project's group chat, once the chat
// exists; key identifies the announcement.
func (s *Service) announce(ctx context.Context, pr plan.Project, title, body, key string) {
	_, err := outbox.Enqueue(ctx, s.db, outbox.Message{Corp: pr.Org.Corp,
		Kind: outbox.KindChat, ChatKey: ChatKey(pr.Org.Corp, pr.ID),
		Title: clip(title, outbox.MaxTitle), Body: body, Link: s.projectLink(pr),
		DedupeKey: "announce/" + pr.Org.Corp + "/" + pr.ID + "/" + key})
	if err != nil {
		runtime.Logger(ctx).Warn("announce", "project", pr.ID, "error", err)
	}
}

// Source is the notify function's view of projects: what each project's
// group chat and each milestone review's calendar event should be. A
// project's chat belongs to its organization's app and holds the project's
// members of that organization, owned by the project's owner (or its first
// lead); a milestone review is an all-day event on the due date, organized
// by the same person, with those members as attendees.
//
// TODO(#6): members of partner organizations and external contacts are not
// in the chat or the event (DingTalk's chat/create takes userids of one
// organization); archiving a project stops the syncs but neither dissolves
// its chat nor deletes its review events.
type Source struct {
	store *Store
	dir   *directory.Directory
}

var (
	_ outbox.ChatSource  = Source{}
	_ outbox.EventSource = Source{}
)

// NewSource returns the Source over db (built with tables.All).
func NewSource(db *tables.Store) (Source, error) {
	st, err := NewStore(db)
	if err != nil {
		return Source{}, err
	}
	dir, err := directory.New(db)
	return Source{store: st, dir: dir}, err
}

// ChatSpec implements outbox.ChatSource.
func (cs Source) ChatSpec(ctx context.Context, corp, key string) (outbox.ChatSpec,
	error) {
	id, ok := strings.CutPrefix(key, "project/"+corp+"/")
	if !ok {
		return outbox.ChatSpec{}, outbox.ErrNoChat
	}
	rec, err := cs.store.Project(ctx, corp, id)
	if errors.Is(err, tables.ErrNotFound) {
		return outbox.ChatSpec{}, outbox.ErrNoChat
	}
	if err != nil {
		return outbox.ChatSpec{}, err
	}
	ms, err := cs.store.members(ctx, corp, id, map[string]int64{})
	if err != nil {
		return outbox.ChatSpec{}, err
	}
	return chatSpec(rec.Project, ms)
}

func chatSpec(pr plan.Project, ms []plan.Member) (outbox.ChatSpec, error) {
	spec := outbox.ChatSpec{Name: clip(pr.Name, dingtalk.MaxChatName)}
	for _, m := range ms {
		corp, user, _ := strings.Cut(m.User, ":")
		if corp != pr.Org.Corp || strings.HasPrefix(user, directory.ExternalPrefix) {
			continue
		}
		spec.Members = append(spec.Members, user)
		if m.User == pr.Owner || (spec.Owner == "" && m.Role == plan.RoleLead) {
			spec.Owner = user
		}
	}
	slices.Sort(spec.Members)
	if len(spec.Members) == 0 || pr.Status == plan.ProjectArchived {
		return spec, outbox.ErrNoChat
	}
	if spec.Owner == "" {
		spec.Owner = spec.Members[0]
	}
	return spec, nil
}

// ChatCreated implements outbox.ChatSource: it writes the chat id on the
// project row without changing the row's version, so that no client's
// expected version goes stale.
func (cs Source) ChatCreated(ctx context.Context, corp, key, chatID string) error {
	id, ok := strings.CutPrefix(key, "project/"+corp+"/")
	if !ok {
		return fmt.Errorf("projects: chat %q: not a project chat key", key)
	}
	pk := new(tablestore.PrimaryKey)
	pk.AddPrimaryKeyColumn("tid", tenant(corp))
	pk.AddPrimaryKeyColumn("project_id", id)
	uc := &tablestore.UpdateRowChange{TableName: tables.Project.Name, PrimaryKey: pk}
	uc.PutColumn(colChatID, chatID)
	uc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
	_, err := cs.store.db.Client().UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: uc})
	if errors.Is(tables.MapErr("chat id", tables.Project.Name+"/"+id, err), tables.ErrNotFound) {
		return nil // the project is gone; nothing to record
	}
	return tables.MapErr("chat id", tables.Project.Name+"/"+id, err)
}

// EventKey is the outbox event key of milestone mid's review.
func EventKey(corp, project, mid string) string {
	return "milestone/" + corp + "/" + project + "/" + mid
}

// syncEvent asks the notify function to bring milestone m's review event in
// step with the milestone (creating it the first time).
func (s *Service) syncEvent(ctx context.Context, pr plan.Project, m plan.Milestone,
	event string) {
	_, err := outbox.Enqueue(ctx, s.db, outbox.Message{Corp: pr.Org.Corp,
		Kind: outbox.KindCalendar, EventKey: EventKey(pr.Org.Corp, pr.ID, m.ID),
		DedupeKey: "event/" + pr.Org.Corp + "/" + pr.ID + "/" + m.ID + "/" + event})
	if err != nil {
		runtime.Logger(ctx).Warn("calendar", "project", pr.ID, "milestone", m.ID, "error", err)
	}
}

// EventSpec implements outbox.EventSource.
func (cs Source) EventSpec(ctx context.Context, corp, key string) (outbox.EventSpec, error) {
	rest, ok := strings.CutPrefix(key, "milestone/"+corp+"/")
	id, mid, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return outbox.EventSpec{}, outbox.ErrNoEvent
	}
	rec, err := cs.store.Project(ctx, corp, id)
	if errors.Is(err, tables.ErrNotFound) {
		return outbox.EventSpec{}, outbox.ErrNoEvent
	}
	if err != nil {
		return outbox.EventSpec{}, err
	}
	mss, err := cs.store.milestones(ctx, corp, id)
	if err != nil {
		return outbox.EventSpec{}, err
	}
	i := slices.IndexFunc(mss, func(m plan.Milestone) bool { return m.ID == mid })
	if i < 0 || mss[i].Due.IsZero() || rec.Project.Status == plan.ProjectArchived {
		return outbox.EventSpec{}, outbox.ErrNoEvent
	}
	ms, err := cs.store.members(ctx, corp, id, map[string]int64{})
	if err != nil {
		return outbox.EventSpec{}, err
	}
	spec, err := chatSpec(rec.Project, ms)
	if err != nil {
		return outbox.EventSpec{}, outbox.ErrNoEvent
	}
	return cs.eventSpec(ctx, corp, rec.Project, mss[i], spec)
}

// eventSpec turns the chat's people into unionIds and the milestone into an
// all-day review.
func (cs Source) eventSpec(ctx context.Context, corp string, pr plan.Project,
	m plan.Milestone, people outbox.ChatSpec) (outbox.EventSpec, error) {
	var out outbox.EventSpec
	for _, user := range people.Members {
		u, err := cs.dir.Lookup(ctx, corp, user)
		if errors.Is(err, tables.ErrNotFound) || (err == nil && u.UnionID == "") {
			continue
		}
		if err != nil {
			return out, err
		}
		out.Event.Attendees = append(out.Event.Attendees, dingtalk.Attendee{ID: u.UnionID})
		if user == people.Owner || out.Organizer == "" {
			out.Organizer = u.UnionID
		}
	}
	if out.Organizer == "" {
		return out, outbox.ErrNoEvent
	}
	day := m.Due.String()
	out.Event.Summary = clip("里程碑评审："+m.Title, 2048)
	out.Event.Description = pr.Name + " · 截止 " + day
	out.Event.AllDay = true
	out.Event.Start = dingtalk.EventTime{Date: day}
	out.Event.End = dingtalk.EventTime{Date: m.Due.Time().AddDate(0, 0, 1).Format("2006-01-02")}
	return out, nil
}

// projectLink is the micro-app page of pr.
func (s *Service) projectLink(pr plan.Project) string {
	return s.cfg.AppURL + "/projects/" + url.PathEscape(pr.Org.Corp) + "/" +
		url.PathEscape(pr.ID)
}
