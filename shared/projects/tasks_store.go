package projects

// This file and the other tasks_*.go files belong to the tasks function
// (package tasksapi): the rows of work logs, comments, baselines and the
// per-user task mirror, kept apart from the projects function's own files.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// Counters on the project row that number work logs, comments and
// baselines (raised with NextNumber, like next_task_no).
const (
	ColNextWorkLog  = "next_worklog_no"
	ColNextComment  = "next_comment_no"
	ColNextBaseline = "next_baseline_no"
	// ColNextTask numbers tasks.
	ColNextTask = colNextTask
)

// Columns of work log, comment and baseline rows.
const (
	tkColUID      = "uid" // the worker (worklog_by_user leads with it)
	tkColDay      = "day" // YYYY-MM-DD
	tkColMinutes  = "minutes"
	tkColNote     = "note"
	tkColLoggedBy = "logged_by"
	tkColAtMS     = "at_ms"
	tkColProject  = "project_id"
	tkColTask     = "task"
	tkColTarget   = "target"
	tkColAuthor   = "author"
	tkColBody     = "body"
	tkColName     = "name"
	tkColSavedBy  = "saved_by"
	tkColSavedOn  = "saved_on"
	tkColTasks    = "tasks"      // JSON []plan.BaselineTask
	tkColMiles    = "milestones" // JSON []plan.BaselineMilestone
)

// recordKey is the second key part of work log and comment rows: the task
// id is unique only within its project, so it is qualified by it.
func recordKey(project, target string) string { return project + "/" + target }

// projectRecords bounds the work log or comment rows of one project.
func projectRecords(corp, project string) tables.Range {
	return tables.Range{Start: tables.Key{tenant(corp), project + "/"},
		End: tables.Key{tenant(corp), project + "0"}}
}

// LoadFull is LoadWith (adjust may be nil) that also reads the project's
// work logs, comments and baselines, so that the plan is complete. They are
// read before the tasks, so every record finds its task.
func (s *Store) LoadFull(ctx context.Context, corp, id string,
	adjust func(*plan.Snapshot)) (*Loaded, error) {
	logs, err := s.WorkLogs(ctx, corp, id)
	if err != nil {
		return nil, err
	}
	comments, err := s.Comments(ctx, corp, id)
	if err != nil {
		return nil, err
	}
	bases, err := s.Baselines(ctx, corp, id)
	if err != nil {
		return nil, err
	}
	return s.LoadWith(ctx, corp, id, func(sn *plan.Snapshot) {
		sn.WorkLogs, sn.Comments, sn.Baselines = logs, comments, bases
		for _, w := range logs {
			sn.Seq.WorkLog = max(sn.Seq.WorkLog, idNumber(w.ID))
		}
		for _, c := range comments {
			sn.Seq.Comment = max(sn.Seq.Comment, idNumber(c.ID))
		}
		for _, b := range bases {
			sn.Seq.Baseline = max(sn.Seq.Baseline, idNumber(b.ID))
		}
		if adjust != nil {
			adjust(sn)
		}
	})
}

// WorkLogs reads the work logs of project corp/id in the order logged.
func (s *Store) WorkLogs(ctx context.Context, corp, id string) ([]plan.WorkLog, error) {
	rows, _, err := s.db.Page(ctx, tables.Worklog.Name, projectRecords(corp, id))
	if err != nil {
		return nil, err
	}
	out := make([]plan.WorkLog, 0, len(rows))
	for _, r := range rows {
		w, err := workLogFrom(r)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b plan.WorkLog) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

func workLogFrom(r *tables.Row) (plan.WorkLog, error) {
	day, err := plan.ParseDate(r.String(tkColDay))
	if err != nil {
		return plan.WorkLog{}, fmt.Errorf("projects: read work log %q: %w", r.Key.String(), err)
	}
	return plan.WorkLog{ID: keyPart(r.Key, 2), Task: r.String(tkColTask),
		User: r.String(tkColUID), Minutes: r.Int(tkColMinutes), Date: day,
		Note: r.String(tkColNote), LoggedBy: r.String(tkColLoggedBy),
		At: fromMS(r.Int(tkColAtMS))}, nil
}

// SaveWorkLog creates the row of work log w of project corp/project.
func (s *Store) SaveWorkLog(ctx context.Context, corp, project string, w plan.WorkLog) error {
	_, err := s.db.Create(ctx, tables.Worklog.Name,
		tables.Key{tenant(corp), recordKey(project, w.Task), w.ID},
		tables.Cols{tkColUID: w.User, tkColDay: w.Date.String(), tkColMinutes: w.Minutes,
			tkColNote: w.Note, tkColLoggedBy: w.LoggedBy, tkColAtMS: ms(w.At),
			tkColProject: project, tkColTask: w.Task})
	return err
}

// UserLog is a work log found through the worklog_by_user index, with the
// project it belongs to.
type UserLog struct {
	Corp    string // the project's owning organization
	Project string
	plan.WorkLog
}

// UserWorkLogs lists the work done by uid (logged by them or for them) on
// the days from..to inclusive, across projects and organizations, by day.
func (s *Store) UserWorkLogs(ctx context.Context, uid string, from,
	to plan.Date) ([]UserLog, error) {
	ix := tables.Worklog.Indexes[0].Name
	keys, _, err := s.db.Page(ctx, ix, tables.Range{Start: tables.Key{uid, from.String()},
		End: tables.Key{uid, (to + 1).String()}})
	if err != nil {
		return nil, err
	}
	main := make([]tables.Key, len(keys))
	for i, k := range keys {
		main[i] = tables.Key{k.Key[2], k.Key[3], k.Key[4]}
	}
	res, err := s.db.BatchGet(ctx, tables.Worklog.Name, main)
	if err != nil {
		return nil, err
	}
	var out []UserLog
	for _, r := range res {
		if r.Row == nil || r.Row.String(tkColUID) != uid {
			continue // deleted, or the index lags
		}
		w, err := workLogFrom(r.Row)
		if err != nil {
			return nil, err
		}
		out = append(out, UserLog{Corp: corpOf(keyPart(r.Row.Key, 0)),
			Project: r.Row.String(tkColProject), WorkLog: w})
	}
	slices.SortStableFunc(out, func(a, b UserLog) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), a.At.Compare(b.At))
	})
	return out, nil
}

// Comments reads the comments of project corp/id in the order written.
func (s *Store) Comments(ctx context.Context, corp, id string) ([]plan.Comment, error) {
	rows, _, err := s.db.Page(ctx, tables.Comment.Name, projectRecords(corp, id))
	if err != nil {
		return nil, err
	}
	out := make([]plan.Comment, 0, len(rows))
	for _, r := range rows {
		out = append(out, plan.Comment{ID: keyPart(r.Key, 2), Target: r.String(tkColTarget),
			Author: r.String(tkColAuthor), Body: r.String(tkColBody),
			At: fromMS(r.Int(tkColAtMS))})
	}
	slices.SortFunc(out, func(a, b plan.Comment) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

// SaveComment creates the row of comment c of project corp/project.
func (s *Store) SaveComment(ctx context.Context, corp, project string, c plan.Comment) error {
	_, err := s.db.Create(ctx, tables.Comment.Name,
		tables.Key{tenant(corp), recordKey(project, c.Target), c.ID},
		tables.Cols{tkColTarget: c.Target, tkColAuthor: c.Author, tkColBody: c.Body,
			tkColAtMS: ms(c.At), tkColProject: project})
	return err
}

// Baselines reads the baselines of project corp/id, oldest first.
func (s *Store) Baselines(ctx context.Context, corp, id string) ([]plan.Baseline, error) {
	rows, _, err := s.db.Page(ctx, tables.Baseline.Name, tables.Range{Prefix: projectKey(corp, id)})
	if errors.Is(err, tables.ErrNotFound) {
		return nil, nil // the table is not created yet
	}
	if err != nil {
		return nil, err
	}
	out := make([]plan.Baseline, 0, len(rows))
	for _, r := range rows {
		b := plan.Baseline{ID: keyPart(r.Key, 2), Name: r.String(tkColName),
			SavedBy: r.String(tkColSavedBy)}
		errs := []error{json.Unmarshal([]byte(cmp.Or(r.String(tkColTasks), "[]")), &b.Tasks),
			json.Unmarshal([]byte(cmp.Or(r.String(tkColMiles), "[]")), &b.Milestones)}
		var err error
		b.SavedAt, err = plan.ParseDate(r.String(tkColSavedOn))
		if err := errors.Join(append(errs, err)...); err != nil {
			return nil, fmt.Errorf("projects: read baseline %q: %w", r.Key.String(), err)
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b plan.Baseline) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

// SaveBaseline creates the row of baseline b of project corp/project.
func (s *Store) SaveBaseline(ctx context.Context, corp, project string, b plan.Baseline) error {
	ts, err := json.Marshal(b.Tasks)
	if err != nil {
		return fmt.Errorf("projects: save baseline %q: %w", b.ID, err)
	}
	mst, err := json.Marshal(b.Milestones)
	if err != nil {
		return fmt.Errorf("projects: save baseline %q: %w", b.ID, err)
	}
	_, err = s.db.Create(ctx, tables.Baseline.Name, tables.Key{tenant(corp), project, b.ID},
		tables.Cols{tkColName: b.Name, tkColSavedBy: b.SavedBy, tkColSavedOn: b.SavedAt.String(),
			tkColTasks: string(ts), tkColMiles: string(mst)})
	return err
}

// UpdateTask writes task t of project corp/project over the row at version
// ver and returns the row's new version (t.Ver is ignored). A lost race is
// tables.ErrConflict, with the winning row in tables.Current.
func (s *Store) UpdateTask(ctx context.Context, corp, project string, t plan.Task,
	ver int64) (int64, error) {
	return s.db.Update(ctx, tables.Task.Name, tables.Key{tenant(corp), project, t.ID}, ver,
		tables.Change{Set: TaskCols(t)})
}

// DeleteTask removes the row of task id at version ver; it undoes a create
// that a concurrent change made invalid.
func (s *Store) DeleteTask(ctx context.Context, corp, project, id string, ver int64) error {
	return s.db.Delete(ctx, tables.Task.Name, tables.Key{tenant(corp), project, id}, ver)
}

// Task reads one task row of project corp/project.
func (s *Store) Task(ctx context.Context, corp, project, id string) (plan.Task, error) {
	row, err := s.db.Get(ctx, tables.Task.Name, tables.Key{tenant(corp), project, id})
	if err != nil {
		return plan.Task{}, err
	}
	return TaskFrom(row)
}

// InsertPlan writes a whole plan as new rows: project (created by
// createdBy at now), members, milestones, tasks, work logs, comments,
// baselines, the user task mirror and the summary as of now. It is for
// seeding demo data and tests; the APIs create objects one at a time.
func (s *Store) InsertPlan(ctx context.Context, p *plan.Plan, createdBy string,
	now time.Time) error {
	sn := p.Snapshot()
	pr := sn.Project
	corp := pr.Org.Corp
	now = now.UTC().Truncate(time.Millisecond)
	cols := projectCols(Record{Project: pr, CreatedBy: createdBy, CreatedAt: now,
		UpdatedAt: now})
	cols[colNextTask], cols[colNextMS] = int64(sn.Seq.Task), int64(sn.Seq.Milestone)
	cols[ColNextWorkLog], cols[ColNextComment] = int64(sn.Seq.WorkLog), int64(sn.Seq.Comment)
	cols[ColNextBaseline] = int64(sn.Seq.Baseline)
	cols[colRosterGen] = int64(1) // no roster until RebuildRoster below
	writes := []tables.Write{{Op: tables.OpCreate, Table: tables.Project.Name,
		Key: projectKey(corp, pr.ID), Cols: cols}}
	for _, m := range sn.Members {
		writes = append(writes, tables.Write{Op: tables.OpCreate, Table: tables.Member.Name,
			Key: memberKey(corp, pr.ID, m.User), Cols: memberCols(m)})
	}
	for _, m := range sn.Milestones {
		writes = append(writes, tables.Write{Op: tables.OpCreate, Table: tables.Milestone.Name,
			Key: tables.Key{tenant(corp), pr.ID, m.ID}, Cols: milestoneCols(m)})
	}
	for _, t := range sn.Tasks {
		writes = append(writes, tables.Write{Op: tables.OpCreate, Table: tables.Task.Name,
			Key: tables.Key{tenant(corp), pr.ID, t.ID}, Cols: TaskCols(t)})
	}
	if err := s.batch(ctx, writes); err != nil {
		return fmt.Errorf("projects: insert plan %q: %w", pr.ID, err)
	}
	if err := s.RebuildRoster(ctx, corp, pr.ID); err != nil {
		return err
	}
	if err := s.insertRecords(ctx, sn); err != nil {
		return err
	}
	for _, t := range sn.Tasks {
		if err := s.MirrorTask(ctx, corp, pr.ID, pr.Name, nil, &t); err != nil {
			return err
		}
	}
	return s.WriteSummary(ctx, corp, pr.ID, p.Summary(plan.DateOf(now)), plan.DateOf(now))
}

func (s *Store) insertRecords(ctx context.Context, sn plan.Snapshot) error {
	corp, id := sn.Project.Org.Corp, sn.Project.ID
	for _, w := range sn.WorkLogs {
		if err := s.SaveWorkLog(ctx, corp, id, w); err != nil {
			return err
		}
	}
	for _, c := range sn.Comments {
		if err := s.SaveComment(ctx, corp, id, c); err != nil {
			return err
		}
	}
	for _, b := range sn.Baselines {
		if err := s.SaveBaseline(ctx, corp, id, b); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) batch(ctx context.Context, writes []tables.Write) error {
	errs, err := s.db.BatchWrite(ctx, writes)
	if err != nil {
		return err
	}
	for _, e := range errs {
		if e != nil && !errors.Is(e, tables.ErrExists) {
			return e
		}
	}
	return nil
}

// uidParts splits a uid "corp:userid".
func uidParts(uid string) (corp, user string) {
	corp, user, _ = strings.Cut(uid, ":")
	return corp, user
}

// RecordTrail appends acts to the activity trail of corp, like Record, and
// also keeps OnBehalf (column on_behalf) for changes made for someone else.
func (s *Store) RecordTrail(ctx context.Context, corp string, acts []plan.Activity) error {
	for _, a := range acts {
		_, err := s.db.Create(ctx, tables.Activity.Name, tables.Key{tenant(corp), tables.AutoInc},
			tables.Cols{"actor": a.Actor, "on_behalf": a.OnBehalf, "verb": string(a.Verb),
				"object": a.Object, "object_id": a.ID, "project_id": a.Project,
				"before": a.Before, "after": a.After, "at_ms": a.At.UnixMilli()})
		if err != nil {
			return err
		}
	}
	return nil
}

// TrailEntry is one row of an organization's activity trail.
type TrailEntry struct {
	Seq int64
	plan.Activity
}

// Trail reads the newest limit entries of corp's activity trail, newest
// first.
func (s *Store) Trail(ctx context.Context, corp string, limit int) ([]TrailEntry, error) {
	rows, _, err := s.db.Page(ctx, tables.Activity.Name, tables.Range{
		Prefix: tables.Key{tenant(corp)}, Backward: true, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]TrailEntry, 0, len(rows))
	for _, r := range rows {
		seq, _ := r.Key[1].(int64)
		out = append(out, TrailEntry{Seq: seq, Activity: plan.Activity{
			At: fromMS(r.Int("at_ms")), Project: r.String("project_id"), Actor: r.String("actor"),
			OnBehalf: r.String("on_behalf"), Verb: plan.Verb(r.String("verb")),
			Object: r.String("object"), ID: r.String("object_id"), Before: r.String("before"),
			After: r.String("after")}})
	}
	return out, nil
}
