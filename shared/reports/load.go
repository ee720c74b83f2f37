package reports

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	Names    map[string]string          // uid → name, from the member rows
	// Contracts lists the organization's contracts, by project.
	Contracts map[string][]contractRow
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

// counter counts the Tablestore rows a run reads.
type counter struct{ n atomic.Int64 }

func (c *counter) add(n int) { c.n.Add(int64(n)) }

// loader reads one organization's rows in a few range reads per table
// (every project at once), then rebuilds each plan.
//
// TODO(#8): the member, milestone, work log and baseline columns are
// decoded here as shared/projects writes them; a bulk loader exported by
// projects.Store would keep one decoder per row.
type loader struct {
	db    *tables.Store
	store *projects.Store
	rows  *counter
}

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
	l.rows.add(len(recs))
	o := &orgData{Corp: corp, Today: today, LogsFrom: logsFrom,
		Records: map[string]projects.Record{}, Names: map[string]string{}}
	by := map[string]*parts{}
	for _, r := range recs {
		o.Records[r.Project.ID] = r
		by[r.Project.ID] = &parts{}
	}
	steps := []func(context.Context, string, map[string]*parts, *orgData) error{
		l.members, l.milestones, l.tasks, l.workLogs, l.baselines}
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
			return nil, fmt.Errorf("reports: load %q: %w", r.Project.ID, err)
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
		l.rows.add(1)
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

func (l *loader) members(ctx context.Context, corp string, by map[string]*parts,
	o *orgData) error {
	return l.scan(ctx, tables.Member.Name, tenantRange(corp), func(r *tables.Row) error {
		pt := by[keyPart(r.Key, 1)]
		if pt == nil || r.String("status") != "active" {
			return nil
		}
		m := plan.Member{User: keyPart(r.Key, 2), Corp: r.String("corp"),
			Name: r.String("name"), Role: plan.Role(r.String("role"))}
		pt.members = append(pt.members, m)
		if m.Name != "" {
			o.Names[m.User] = m.Name
		}
		return nil
	})
}

func (l *loader) milestones(ctx context.Context, corp string, by map[string]*parts,
	_ *orgData) error {
	return l.scan(ctx, tables.Milestone.Name, tenantRange(corp), func(r *tables.Row) error {
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
