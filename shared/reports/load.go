package reports

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tables"
)

// orgData is what a run knows of one organization: its plans (with their
// latest baseline and the work logs since LogsFrom), member names and
// contracts.
type orgData struct {
	Corp     string
	Today    plan.Date
	LogsFrom plan.Date
	Plans    []*plan.Plan               // by project id
	Records  map[string]projects.Record // by project id
	Names    map[string]string          // uid → name, from the members
	// Contracts lists the organization's contracts, by project.
	Contracts map[string][]contractRow
	// Evaluations are the organization's supplier evaluations in the
	// ledger, read for monthly reports only.
	Evaluations []evaluation
	// Chats are the group chats of projects that have one, by project id,
	// from the chat_id column of the project rows.
	Chats map[string]string
	// Unreadable lists the projects whose rows do not make a valid plan,
	// with the reason; reports leave them out.
	Unreadable []string
}

// contractRow is what reports read of a contract row.
type contractRow struct {
	ID         string
	Project    string
	Title      string
	AmountFen  int64
	Status     string
	Parties    []string // corps
	Milestones []string
}

// counter counts the Tablestore rows a run reads, in all and by table.
type counter struct {
	n       atomic.Int64
	mu      sync.Mutex
	byTable map[string]int64
}

func (c *counter) add(table string, n int) {
	c.n.Add(int64(n))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byTable == nil {
		c.byTable = map[string]int64{}
	}
	c.byTable[table] += int64(n)
}

// tables returns the rows read by table.
func (c *counter) tables() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.byTable)
}

// loader reads one organization's rows in a few range reads per table
// (every project at once), then rebuilds each plan. Members and milestones
// come from the roster on each project row (projects.Record.Roster); only
// projects whose row has no current roster cost their member and
// milestone rows.
//
// TODO(#8): the task, work log and baseline columns are decoded here as
// shared/projects writes them; a bulk loader exported by projects.Store
// would keep one decoder per row.
type loader struct {
	db    *tables.Store
	store *projects.Store
	rows  *counter
}

// fallbackPerProject is how many projects without a current roster are
// read one range each; more than that read the organization's member and
// milestone tables whole.
const fallbackPerProject = 16

type parts struct {
	members    []plan.Member
	milestones []plan.Milestone
	tasks      []plan.Task
	logs       []plan.WorkLog
	baseline   *plan.Baseline
}

// load reads corp's projects as of today with the work logs of the days
// from logsFrom on.
func (l *loader) load(ctx context.Context, corp string, today,
	logsFrom plan.Date) (*orgData, error) {
	recs, err := l.store.Projects(ctx, corp)
	if err != nil {
		return nil, err
	}
	l.rows.add(tables.Project.Name, len(recs))
	o := &orgData{Corp: corp, Today: today, LogsFrom: logsFrom,
		Records: map[string]projects.Record{}, Names: map[string]string{},
		Chats: map[string]string{}}
	by, stale := map[string]*parts{}, map[string]*parts{}
	for _, r := range recs {
		id, pt := r.Project.ID, &parts{}
		o.Records[id], by[id] = r, pt
		if r.ChatID != "" {
			o.Chats[id] = r.ChatID
		}
		if r.Roster == nil {
			stale[id] = pt
			continue
		}
		pt.members = slices.Clone(r.Roster.Members)
		pt.milestones = slices.Clone(r.Roster.Milestones)
		for _, m := range pt.members {
			o.name(m)
		}
	}
	if err := l.fromRows(ctx, corp, stale, o); err != nil {
		return nil, err
	}
	steps := []func(context.Context, string, map[string]*parts, *orgData) error{
		l.tasks, l.workLogs, l.baselines}
	for _, step := range steps {
		if err := step(ctx, corp, by, o); err != nil {
			return nil, err
		}
	}
	if o.Contracts, err = l.contracts(ctx, corp); err != nil {
		return nil, err
	}
	for _, r := range recs {
		p, err := restore(r.Project, by[r.Project.ID])
		if err != nil {
			// One broken project must not stop every report of the organization.
			o.Unreadable = append(o.Unreadable, fmt.Sprintf("%s: %v", r.Project.ID, err))
			continue
		}
		o.Plans = append(o.Plans, p)
	}
	return o, nil
}

func (l *loader) scan(ctx context.Context, table string, r tables.Range,
	each func(*tables.Row) error) error {
	for row, err := range l.db.Scan(ctx, table, r) {
		if err != nil {
			return err
		}
		l.rows.add(table, 1)
		if err := each(row); err != nil {
			return err
		}
	}
	return nil
}

func tenantRange(corp string) tables.Range {
	return tables.Range{Prefix: tables.Key{tables.TenantKey(corp)}}
}

func keyPart(k tables.Key, i int) string {
	if i < len(k) {
		s, _ := k[i].(string)
		return s
	}
	return ""
}

func (o *orgData) name(m plan.Member) {
	if m.Name != "" {
		o.Names[m.User] = m.Name
	}
}

// fromRows reads the member and milestone rows of the projects in stale,
// whose project rows carry no current roster: a range per project when
// they are few, the organization's whole tables otherwise.
func (l *loader) fromRows(ctx context.Context, corp string, stale map[string]*parts,
	o *orgData) error {
	if len(stale) == 0 {
		return nil
	}
	ranges := []tables.Range{tenantRange(corp)}
	if len(stale) <= fallbackPerProject {
		ranges = ranges[:0]
		for _, id := range slices.Sorted(maps.Keys(stale)) {
			ranges = append(ranges, tables.Range{Prefix: tables.Key{tables.TenantKey(corp), id}})
		}
	}
	for _, rg := range ranges {
		if err := l.members(ctx, rg, stale, o); err != nil {
			return err
		}
		if err := l.milestones(ctx, rg, stale); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) members(ctx context.Context, rg tables.Range, by map[string]*parts,
	o *orgData) error {
	return l.scan(ctx, tables.Member.Name, rg, func(r *tables.Row) error {
		pt := by[keyPart(r.Key, 1)]
		if pt == nil || r.String("status") != "active" {
			return nil
		}
		m := plan.Member{User: keyPart(r.Key, 2), Corp: r.String("corp"),
			Name: r.String("name"), Role: plan.Role(r.String("role"))}
		pt.members = append(pt.members, m)
		o.name(m)
		return nil
	})
}

func (l *loader) milestones(ctx context.Context, rg tables.Range, by map[string]*parts) error {
	return l.scan(ctx, tables.Milestone.Name, rg, func(r *tables.Row) error {
		pt := by[keyPart(r.Key, 1)]
		if pt == nil {
			return nil
		}
		due, err := plan.ParseDate(r.String("due"))
		if err != nil {
			return fmt.Errorf("reports: milestone %q: %w", r.Key.String(), err)
		}
		pt.milestones = append(pt.milestones, plan.Milestone{ID: keyPart(r.Key, 2),
			Title: r.String("title"), Due: due, AcceptedBy: r.String("accepted_by"),
			AcceptedAt: fromMS(r.Int("accepted_ms")), Override: r.String("override"),
			Ver: r.Ver()})
		return nil
	})
}

func (l *loader) tasks(ctx context.Context, corp string, by map[string]*parts, _ *orgData) error {
	return l.scan(ctx, tables.Task.Name, tenantRange(corp), func(r *tables.Row) error {
		pt := by[keyPart(r.Key, 1)]
		if pt == nil {
			return nil
		}
		t, err := projects.TaskFrom(r)
		if err != nil {
			return err
		}
		pt.tasks = append(pt.tasks, t)
		return nil
	})
}

// workLogs reads the logs of the days from o.LogsFrom on, filtered by the
// server so that older logs are not returned.
func (l *loader) workLogs(ctx context.Context, corp string, by map[string]*parts,
	o *orgData) error {
	rg := tenantRange(corp)
	rg.Filter = tablestore.NewSingleColumnCondition("day", tablestore.CT_GREATER_EQUAL,
		o.LogsFrom.String())
	return l.scan(ctx, tables.Worklog.Name, rg, func(r *tables.Row) error {
		pt := by[r.String("project_id")]
		if pt == nil {
			return nil
		}
		day, err := plan.ParseDate(r.String("day"))
		if err != nil {
			return fmt.Errorf("reports: work log %q: %w", r.Key.String(), err)
		}
		pt.logs = append(pt.logs, plan.WorkLog{ID: keyPart(r.Key, 2), Task: r.String("task"),
			User: r.String("uid"), Minutes: r.Int("minutes"), Date: day,
			Note: r.String("note"), LoggedBy: r.String("logged_by"), At: fromMS(r.Int("at_ms"))})
		return nil
	})
}

// baselines keeps the latest baseline of each project.
func (l *loader) baselines(ctx context.Context, corp string, by map[string]*parts,
	_ *orgData) error {
	err := l.scan(ctx, tables.Baseline.Name, tenantRange(corp), func(r *tables.Row) error {
		pt := by[keyPart(r.Key, 1)]
		if pt == nil {
			return nil
		}
		b := plan.Baseline{ID: keyPart(r.Key, 2), Name: r.String("name"),
			SavedBy: r.String("saved_by")}
		if pt.baseline != nil && idNumber(pt.baseline.ID) > idNumber(b.ID) {
			return nil
		}
		err := json.Unmarshal([]byte(cmp.Or(r.String("tasks"), "[]")), &b.Tasks)
		if err == nil {
			err = json.Unmarshal([]byte(cmp.Or(r.String("milestones"), "[]")), &b.Milestones)
		}
		if err != nil {
			return fmt.Errorf("reports: baseline %q: %w", r.Key.String(), err)
		}
		b.SavedAt, _ = plan.ParseDate(r.String("saved_on"))
		pt.baseline = &b
		return nil
	})
	return err
}

func (l *loader) contracts(ctx context.Context, corp string) (map[string][]contractRow, error) {
	out := map[string][]contractRow{}
	rg := tenantRange(corp)
	rg.Columns = []string{"project_id", "title", "amount_fen", "status", "parties",
		"milestones"}
	err := l.scan(ctx, tables.Contract.Name, rg, func(r *tables.Row) error {
		c := contractRow{ID: keyPart(r.Key, 1), Project: r.String("project_id"),
			Title: r.String("title"), AmountFen: r.Int("amount_fen"),
			Status: r.String("status")}
		var parties []struct{ Corp string }
		_ = json.Unmarshal([]byte(cmp.Or(r.String("parties"), "[]")), &parties)
		for _, p := range parties {
			c.Parties = append(c.Parties, p.Corp)
		}
		_ = json.Unmarshal([]byte(cmp.Or(r.String("milestones"), "[]")), &c.Milestones)
		out[c.Project] = append(out[c.Project], c)
		return nil
	})
	return out, err
}

// restore rebuilds a plan from its rows; the counters are raised past
// every id read.
func restore(pr plan.Project, pt *parts) (*plan.Plan, error) {
	sn := plan.Snapshot{Project: pr, Members: pt.members, Milestones: pt.milestones}
	slices.SortFunc(pt.tasks, func(a, b plan.Task) int { return byNumber(a.ID, b.ID) })
	slices.SortFunc(sn.Milestones, func(a, b plan.Milestone) int { return byNumber(a.ID, b.ID) })
	sn.Tasks = pt.tasks
	known := map[string]bool{}
	for _, t := range pt.tasks {
		known[t.ID] = true
		sn.Seq.Task = max(sn.Seq.Task, idNumber(t.ID))
	}
	for _, m := range sn.Milestones {
		sn.Seq.Milestone = max(sn.Seq.Milestone, idNumber(m.ID))
	}
	for _, w := range pt.logs {
		if known[w.Task] {
			sn.WorkLogs = append(sn.WorkLogs, w)
			sn.Seq.WorkLog = max(sn.Seq.WorkLog, idNumber(w.ID))
		}
	}
	slices.SortFunc(sn.WorkLogs, func(a, b plan.WorkLog) int { return byNumber(a.ID, b.ID) })
	if pt.baseline != nil {
		sn.Baselines = []plan.Baseline{*pt.baseline}
		sn.Seq.Baseline = idNumber(pt.baseline.ID)
	}
	return plan.Restore(sn)
}

func idNumber(id string) int {
	_, n, _ := strings.Cut(id, "-")
	v, _ := strconv.Atoi(n)
	return v
}

func byNumber(a, b string) int {
	return cmp.Or(cmp.Compare(idNumber(a), idNumber(b)), cmp.Compare(a, b))
}

func fromMS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}
