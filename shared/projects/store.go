package projects

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// Columns of the project, member, milestone and task rows.
const (
	colName       = "name"
	colCorp       = "corp"
	colOrgName    = "org_name"
	colPartners   = "partners" // JSON [{"corp","name"}]
	colDept       = "department"
	colOwner      = "owner" // uid
	colYear       = "year"
	colBudget     = "budget" // fen
	colRisk       = "risk"
	colStatus     = "status"
	colStart      = "start" // YYYY-MM-DD or ""
	colEnd        = "end"
	colCreatedBy  = "created_by"
	colCreatedMS  = "created_ms"
	colUpdatedMS  = "updated_ms"
	colSummary    = "summary"     // JSON plan.Summary, written without ver
	colSummaryDay = "summary_day" // the day the summary was computed for
	colNextMS     = "next_milestone_no"
	colNextTask   = "next_task_no"
	colSeq        = "seq" // JSON plan.Seq of the other counters

	colRole     = "role"
	colUIDH     = "uidh"
	colUserID   = "user_id"
	memberState = "active"

	colTitle      = "title"
	colDue        = "due"
	colAcceptedBy = "accepted_by"
	colAcceptedMS = "accepted_ms"
	colOverride   = "override"

	colParent    = "parent"
	colMilestone = "milestone"
	colDesc      = "description"
	colAssignees = "assignees" // JSON []uid
	colPriority  = "priority"
	colEstimate  = "estimate"
	colAfter     = "after" // JSON []task id
	colProgress  = "progress"
	colStartedMS = "started_ms"
	colDoneMS    = "finished_ms"
)

// Store maps plans onto the project, member, milestone and task tables:
//
//   - project (tid, project_id): the plan.Project fields, the counters that
//     number milestones and tasks (next_milestone_no, next_task_no, raised
//     with Increment so they never move ver), and the portfolio summary
//     (written without ver, recomputed from the other rows when stale), and
//     the roster: a copy of the member and milestone rows, also written
//     without ver and guarded by its own columns (see roster.go).
//   - member (tid, project_id, uid): role, status "active", uidh, corp,
//     user_id, name; uid is "corp:userid" and is the plan's user id.
//   - milestone (tid, project_id, milestone_id) and task (tid, project_id,
//     task_id): one row per object, whose ver is the object's plan Ver.
//
// Every row write is conditional on ver; a lost race is tables.ErrConflict.
// It is safe for concurrent use.
type Store struct {
	db *tables.Store
	// beforeRosterWrite, when set (by tests), runs in each roster rebuild
	// between reading the rows and writing the roster.
	beforeRosterWrite func()
}

// NewStore returns a Store over db, which must know tables.All.
func NewStore(db *tables.Store) (*Store, error) {
	for _, t := range []tables.Table{tables.Project, tables.Member, tables.Milestone,
		tables.Task, tables.Activity, tables.Idem, tables.User} {
		if _, ok := db.Table(t.Name); !ok {
			return nil, fmt.Errorf("projects: new store: table %q unknown (use tables.All)",
				t.Name)
		}
	}
	return &Store{db: db}, nil
}

// Tables returns the underlying typed store.
func (s *Store) Tables() *tables.Store { return s.db }

// Record is a project row: the project, who created it, and its version.
type Record struct {
	Project   plan.Project
	CreatedBy string // uid
	CreatedAt time.Time
	UpdatedAt time.Time
	Summary   *plan.Summary // nil until computed
	SummaryOn plan.Date     // the day Summary was computed for
	// Roster is the row's copy of the project's members and milestones;
	// nil when the row has none or it may be behind the member and
	// milestone rows, which readers then read instead.
	Roster *Roster
	// ChatID is the project's DingTalk group chat, "" until it exists.
	ChatID string
	Ver    int64
}

// Loaded is a plan read from storage with the versions of its rows.
type Loaded struct {
	Plan   *plan.Plan
	Record Record
	// MemberVer is the ver of each member row, by uid.
	MemberVer map[string]int64
}

func tenant(corp string) string { return tables.TenantKey(corp) }

func projectKey(corp, id string) tables.Key { return tables.Key{tenant(corp), id} }

func projectCols(r Record) tables.Cols {
	pr := r.Project
	partners, _ := json.Marshal(orgsJSON(pr.Partners))
	return tables.Cols{colName: pr.Name, colCorp: pr.Org.Corp, colOrgName: pr.Org.Name,
		colPartners: string(partners), colDept: pr.Department, colOwner: pr.Owner,
		colYear: int64(pr.Year), colBudget: pr.Budget, colRisk: string(pr.Risk),
		colStatus: string(pr.Status), colStart: pr.Start.String(), colEnd: pr.End.String(),
		colCreatedBy: r.CreatedBy, colCreatedMS: r.CreatedAt.UnixMilli(),
		colUpdatedMS: r.UpdatedAt.UnixMilli()}
}

func recordFrom(row *tables.Row) (Record, error) {
	id := keyPart(row.Key, 1)
	bad := func(what string, err error) (Record, error) {
		return Record{}, fmt.Errorf("projects: read project %q: %s: %w", id, what, err)
	}
	pr := plan.Project{ID: id, Name: row.String(colName),
		Org:        plan.Organization{Corp: row.String(colCorp), Name: row.String(colOrgName)},
		Department: row.String(colDept), Owner: row.String(colOwner),
		Year: int(row.Int(colYear)), Budget: row.Int(colBudget),
		Risk: plan.Risk(row.String(colRisk)), Status: plan.ProjectStatus(row.String(colStatus))}
	var partners []OrgRef
	if err := json.Unmarshal([]byte(cmp.Or(row.String(colPartners), "[]")), &partners); err != nil {
		return bad("partners", err)
	}
	for _, o := range partners {
		pr.Partners = append(pr.Partners, plan.Organization{Corp: o.Corp, Name: o.Name})
	}
	var err error
	if pr.Start, err = plan.ParseDate(row.String(colStart)); err != nil {
		return bad("start", err)
	}
	if pr.End, err = plan.ParseDate(row.String(colEnd)); err != nil {
		return bad("end", err)
	}
	r := Record{Project: pr, CreatedBy: row.String(colCreatedBy),
		CreatedAt: fromMS(row.Int(colCreatedMS)), UpdatedAt: fromMS(row.Int(colUpdatedMS)),
		Roster: rosterFrom(row), ChatID: row.String(colChatID), Ver: row.Ver()}
	if js := row.String(colSummary); js != "" {
		var sum plan.Summary
		if err := json.Unmarshal([]byte(js), &sum); err == nil {
			r.Summary = &sum
			r.SummaryOn, _ = plan.ParseDate(row.String(colSummaryDay))
		}
	}
	return r, nil
}

func fromMS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

func keyPart(k tables.Key, i int) string {
	if i < len(k) {
		s, _ := k[i].(string)
		return s
	}
	return ""
}

// Project reads the project row corp/id.
func (s *Store) Project(ctx context.Context, corp, id string) (Record, error) {
	row, err := s.db.Get(ctx, tables.Project.Name, projectKey(corp, id))
	if err != nil {
		return Record{}, err
	}
	return recordFrom(row)
}

// Load reads project corp/id with its members, milestones and tasks and
// rebuilds the plan. Work logs, comments and baselines are not loaded (see
// LoadFull); Summary(l) keeps the logged time of the stored summary.
func (s *Store) Load(ctx context.Context, corp, id string) (*Loaded, error) {
	return s.LoadWith(ctx, corp, id, nil)
}

// LoadWith is Load with a hook that may adjust the snapshot before the plan
// is rebuilt, for example to set Seq from a counter just raised with
// NextNumber so that the next object gets that number.
func (s *Store) LoadWith(ctx context.Context, corp, id string,
	adjust func(*plan.Snapshot)) (*Loaded, error) {
	row, err := s.db.Get(ctx, tables.Project.Name, projectKey(corp, id))
	if err != nil {
		return nil, err
	}
	rec, err := recordFrom(row)
	if err != nil {
		return nil, err
	}
	snap := plan.Snapshot{Project: rec.Project, Seq: seqOf(row)}
	l := &Loaded{Record: rec, MemberVer: map[string]int64{}}
	if snap.Members, err = s.members(ctx, corp, id, l.MemberVer); err != nil {
		return nil, err
	}
	if snap.Milestones, err = s.milestones(ctx, corp, id); err != nil {
		return nil, err
	}
	if snap.Tasks, err = s.tasks(ctx, corp, id); err != nil {
		return nil, err
	}
	if adjust != nil {
		adjust(&snap)
	}
	raiseSeq(&snap)
	if l.Plan, err = plan.Restore(snap); err != nil {
		return nil, fmt.Errorf("projects: load %q: %w", id, err)
	}
	return l, nil
}

func seqOf(row *tables.Row) plan.Seq {
	var q plan.Seq
	_ = json.Unmarshal([]byte(cmp.Or(row.String(colSeq), "{}")), &q)
	q.Milestone = int(row.Int(colNextMS))
	q.Task = int(row.Int(colNextTask))
	return q
}

// raiseSeq keeps the counters past every stored id, in case a counter
// increment was lost.
func raiseSeq(s *plan.Snapshot) {
	for _, m := range s.Milestones {
		s.Seq.Milestone = max(s.Seq.Milestone, idNumber(m.ID))
	}
	for _, t := range s.Tasks {
		s.Seq.Task = max(s.Seq.Task, idNumber(t.ID))
	}
}

// idNumber returns n of an id "X-n", 0 if it has none.
func idNumber(id string) int {
	_, n, _ := strings.Cut(id, "-")
	v, _ := strconv.Atoi(n)
	return v
}

func byNumber(a, b string) int {
	return cmp.Or(cmp.Compare(idNumber(a), idNumber(b)), cmp.Compare(a, b))
}

func (s *Store) members(ctx context.Context, corp, id string,
	vers map[string]int64) ([]plan.Member, error) {
	rows, _, err := s.db.Page(ctx, tables.Member.Name,
		tables.Range{Prefix: projectKey(corp, id)})
	if err != nil {
		return nil, err
	}
	var out []plan.Member
	for _, r := range rows {
		if r.String(colStatus) != memberState {
			continue
		}
		m := plan.Member{User: keyPart(r.Key, 2), Corp: r.String(colCorp),
			Name: r.String(colName), Role: plan.Role(r.String(colRole))}
		out = append(out, m)
		vers[m.User] = r.Ver()
	}
	return out, nil
}

func memberKey(corp, project, uid string) tables.Key {
	return tables.Key{tenant(corp), project, uid}
}

func memberCols(m plan.Member) tables.Cols {
	_, user, _ := strings.Cut(m.User, ":")
	return tables.Cols{colRole: string(m.Role), colStatus: memberState,
		colUIDH: tables.SaltedKey(m.User), colCorp: m.Corp, colUserID: user, colName: m.Name}
}

func milestoneCols(m plan.Milestone) tables.Cols {
	c := tables.Cols{colTitle: m.Title, colDue: m.Due.String(), colAcceptedBy: m.AcceptedBy,
		colOverride: m.Override, colAcceptedMS: int64(0)}
	if !m.AcceptedAt.IsZero() {
		c[colAcceptedMS] = m.AcceptedAt.UnixMilli()
	}
	return c
}

func (s *Store) milestones(ctx context.Context, corp, id string) ([]plan.Milestone, error) {
	rows, _, err := s.db.Page(ctx, tables.Milestone.Name,
		tables.Range{Prefix: projectKey(corp, id)})
	if err != nil {
		return nil, err
	}
	out := make([]plan.Milestone, 0, len(rows))
	for _, r := range rows {
		due, err := plan.ParseDate(r.String(colDue))
		if err != nil {
			return nil, fmt.Errorf("projects: read milestone %q: %w", r.Key.String(), err)
		}
		out = append(out, plan.Milestone{ID: keyPart(r.Key, 2), Title: r.String(colTitle),
			Due: due, AcceptedBy: r.String(colAcceptedBy),
			AcceptedAt: fromMS(r.Int(colAcceptedMS)), Override: r.String(colOverride),
			Ver: r.Ver()})
	}
	slices.SortFunc(out, func(a, b plan.Milestone) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

// TaskCols returns the columns of t's row in the task table (key tid,
// project_id, task_id = t.ID). The row's ver is t's Ver.
func TaskCols(t plan.Task) tables.Cols {
	as, _ := json.Marshal(nonNil(t.Assignees))
	after, _ := json.Marshal(nonNil(t.After))
	return tables.Cols{colParent: t.Parent, colMilestone: t.Milestone, colTitle: t.Title,
		colDesc: t.Description, colAssignees: string(as), colPriority: string(t.Priority),
		colEstimate: t.Estimate, colStart: t.Start.String(), colDue: t.Due.String(),
		colAfter: string(after), colStatus: string(t.Status), colProgress: int64(t.Progress),
		colStartedMS: ms(t.StartedAt), colDoneMS: ms(t.FinishedAt), colCreatedBy: t.CreatedBy,
		colCreatedMS: ms(t.CreatedAt)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// TaskFrom decodes a task row written with TaskCols.
func TaskFrom(r *tables.Row) (plan.Task, error) {
	t := plan.Task{ID: keyPart(r.Key, 2), Parent: r.String(colParent),
		Milestone: r.String(colMilestone), Title: r.String(colTitle),
		Description: r.String(colDesc), Priority: plan.Priority(r.String(colPriority)),
		Estimate: r.Int(colEstimate), Status: plan.Status(r.String(colStatus)),
		Progress: int(r.Int(colProgress)), StartedAt: fromMS(r.Int(colStartedMS)),
		FinishedAt: fromMS(r.Int(colDoneMS)), CreatedBy: r.String(colCreatedBy),
		CreatedAt: fromMS(r.Int(colCreatedMS)), Ver: r.Ver()}
	errs := []error{
		json.Unmarshal([]byte(cmp.Or(r.String(colAssignees), "[]")), &t.Assignees),
		json.Unmarshal([]byte(cmp.Or(r.String(colAfter), "[]")), &t.After),
	}
	var err error
	t.Start, err = plan.ParseDate(r.String(colStart))
	errs = append(errs, err)
	t.Due, err = plan.ParseDate(r.String(colDue))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return plan.Task{}, fmt.Errorf("projects: read task %q: %w", r.Key.String(), err)
	}
	return t, nil
}

func (s *Store) tasks(ctx context.Context, corp, id string) ([]plan.Task, error) {
	rows, _, err := s.db.Page(ctx, tables.Task.Name, tables.Range{Prefix: projectKey(corp, id)})
	if err != nil {
		return nil, err
	}
	out := make([]plan.Task, 0, len(rows))
	for _, r := range rows {
		t, err := TaskFrom(r)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b plan.Task) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

// SaveTask writes task t of project corp/project: a create when t.Ver is 1,
// otherwise an update of the row at version t.Ver-1 (the plan raised Ver by
// one for the change). A lost race is tables.ErrConflict.
func (s *Store) SaveTask(ctx context.Context, corp, project string, t plan.Task) error {
	key := tables.Key{tenant(corp), project, t.ID}
	if t.Ver <= 1 {
		_, err := s.db.Create(ctx, tables.Task.Name, key, TaskCols(t))
		return err
	}
	_, err := s.db.Update(ctx, tables.Task.Name, key, t.Ver-1, tables.Change{Set: TaskCols(t)})
	return err
}

// NextNumber raises counter col ("next_milestone_no" or "next_task_no") of
// project corp/id and returns it. Gaps (from a retried increment) are
// harmless: numbers only need to be new.
func (s *Store) NextNumber(ctx context.Context, corp, id, col string) (int, error) {
	n, err := s.db.Increment(ctx, tables.Project.Name, projectKey(corp, id), col, 1)
	return int(n), err
}

// Role returns uid's role in project corp/id, NotMember without an active
// membership.
func (s *Store) Role(ctx context.Context, corp, id, uid string) (access.ProjectRole, error) {
	row, err := s.db.Get(ctx, tables.Member.Name, memberKey(corp, id, uid),
		tables.Columns(colRole, colStatus))
	if errors.Is(err, tables.ErrNotFound) {
		return access.NotMember, nil
	}
	if err != nil {
		return access.NotMember, err
	}
	role := access.ProjectRole(row.String(colRole))
	if row.String(colStatus) != memberState || !role.Valid() {
		return access.NotMember, nil
	}
	return role, nil
}

// Membership is one active project membership of a user.
type Membership struct {
	Corp    string // the organization owning the project
	Project string
	Role    access.ProjectRole
}

// Memberships lists uid's projects across organizations through the
// member_by_user index.
func (s *Store) Memberships(ctx context.Context, uid string) ([]Membership, error) {
	ix := tables.Member.Indexes[0].Name
	rows, _, err := s.db.Page(ctx, ix, tables.Range{Prefix: tables.Key{tables.SaltedKey(uid)}})
	if err != nil {
		return nil, err
	}
	var out []Membership
	for _, r := range rows {
		if keyPart(r.Key, 3) != uid {
			continue // a salted-key collision
		}
		role := access.ProjectRole(r.String(colRole))
		if !role.Valid() {
			continue
		}
		out = append(out, Membership{Corp: corpOf(keyPart(r.Key, 1)),
			Project: keyPart(r.Key, 2), Role: role})
	}
	return out, nil
}

// corpOf returns the corp of a tenant key "hhhh:corp".
func corpOf(tid string) string {
	_, corp, _ := strings.Cut(tid, ":")
	return corp
}

// Projects lists the project rows of corp in id order.
func (s *Store) Projects(ctx context.Context, corp string) ([]Record, error) {
	var out []Record
	for row, err := range s.db.Scan(ctx, tables.Project.Name,
		tables.Range{Prefix: tables.Key{tenant(corp)}}) {
		if err != nil {
			return nil, err
		}
		rec, err := recordFrom(row)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// StoredSummary is the summary column of one project row.
type StoredSummary struct {
	Project string
	Summary *plan.Summary // nil when never computed or unreadable
	On      plan.Date     // the day it was computed for
}

// Summaries reads only the summary columns of corp's project rows, in id
// order: one range read per page of up to 5,000 projects.
func (s *Store) Summaries(ctx context.Context, corp string) ([]StoredSummary, error) {
	var out []StoredSummary
	for row, err := range s.db.Scan(ctx, tables.Project.Name, tables.Range{
		// name is asked for too, so that rows without a summary still come.
		Prefix: tables.Key{tenant(corp)}, Columns: []string{colSummary, colSummaryDay,
			colName}}) {
		if err != nil {
			return nil, err
		}
		ss := StoredSummary{Project: keyPart(row.Key, 1)}
		var sum plan.Summary
		if js := row.String(colSummary); js != "" && json.Unmarshal([]byte(js), &sum) == nil {
			ss.Summary = &sum
			ss.On, _ = plan.ParseDate(row.String(colSummaryDay))
		}
		out = append(out, ss)
	}
	return out, nil
}

// Records reads the project rows of refs (corp, project pairs); missing
// projects are left out.
func (s *Store) Records(ctx context.Context, refs []Membership) ([]Record, error) {
	keys := make([]tables.Key, len(refs))
	for i, m := range refs {
		keys[i] = projectKey(m.Corp, m.Project)
	}
	res, err := s.db.BatchGet(ctx, tables.Project.Name, keys)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, r := range res {
		if r.Row == nil {
			continue
		}
		rec, err := recordFrom(r.Row)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// WriteSummary stores sum as the portfolio summary of project corp/id as of
// day, and keeps the project's entry of the organization's portfolio up to
// date. Neither write moves the project row's ver: the summary is derived
// data that any writer (or a reader finding it stale) recomputes from the
// plan. Callers write it after the change it reflects.
func (s *Store) WriteSummary(ctx context.Context, corp, id string, sum plan.Summary,
	day plan.Date) error {
	if err := s.writeSummaryColumn(ctx, corp, id, sum, day); err != nil {
		return err
	}
	return s.putSummary(ctx, corp, id, sum, day)
}

func (s *Store) writeSummaryColumn(ctx context.Context, corp, id string, sum plan.Summary,
	day plan.Date) error {
	js, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("projects: summary %q: %w", id, err)
	}
	pk := new(tablestore.PrimaryKey)
	pk.AddPrimaryKeyColumn("tid", tenant(corp))
	pk.AddPrimaryKeyColumn("project_id", id)
	uc := &tablestore.UpdateRowChange{TableName: tables.Project.Name, PrimaryKey: pk}
	uc.PutColumn(colSummary, string(js))
	uc.PutColumn(colSummaryDay, day.String())
	uc.SetCondition(tablestore.RowExistenceExpectation_EXPECT_EXIST)
	_, err = s.db.Client().UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: uc})
	return tables.MapErr("write summary", tables.Project.Name+"/"+id, err)
}

// RefreshSummary recomputes the summary of project corp/id as of day from
// all its rows (LoadFull) and stores it (WriteSummary); it is the repair
// for a stale or missing summary.
func (s *Store) RefreshSummary(ctx context.Context, corp, id string,
	day plan.Date) (plan.Summary, error) {
	sum, err := s.refreshColumn(ctx, corp, id, day)
	if err != nil {
		return sum, err
	}
	return sum, s.putSummary(ctx, corp, id, sum, day)
}

// refreshColumn is RefreshSummary without the portfolio entry, for a
// rebuild that writes every entry at the end.
func (s *Store) refreshColumn(ctx context.Context, corp, id string,
	day plan.Date) (plan.Summary, error) {
	l, err := s.LoadFull(ctx, corp, id, nil)
	if err != nil {
		return plan.Summary{}, err
	}
	sum := l.Plan.Summary(day)
	return sum, s.writeSummaryColumn(ctx, corp, id, sum, day)
}

// Summary is l's portfolio summary as of day. A plan loaded without its work
// logs (Load) keeps the logged minutes of the stored summary, which changes
// to projects and milestones do not move.
func (l *Loaded) Summary(day plan.Date) plan.Summary {
	sum := l.Plan.Summary(day)
	if len(l.Plan.WorkLogs()) == 0 && l.Record.Summary != nil {
		sum.Logged = l.Record.Summary.Logged
	}
	return sum
}

// Record appends acts to the activity trail of corp. An SDK retry may
// append one twice (tables.AutoInc); the trail tolerates that.
func (s *Store) Record(ctx context.Context, corp string, acts []plan.Activity) error {
	for _, a := range acts {
		_, err := s.db.Create(ctx, tables.Activity.Name, tables.Key{tenant(corp), tables.AutoInc},
			tables.Cols{"actor": a.Actor, "verb": string(a.Verb), "object": a.Object,
				"object_id": a.ID, "project_id": a.Project, "before": a.Before,
				"after": a.After, "at_ms": a.At.UnixMilli()})
		if err != nil {
			return err
		}
	}
	return nil
}
