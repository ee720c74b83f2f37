package projects

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// Columns of a user_task mirror row.
const (
	tkColTaskVer  = "task_ver"
	tkColCorp     = "corp"
	tkColProjName = "project_name"
)

// noDue sorts undated tasks after every dated one.
const noDue = "9999-12-31"

// mirrorSortKey is the sort_key of an open task's mirror rows: "o/", the due
// date (noDue when undated) and the inverted priority rank, so that a range
// read lists a user's open tasks by due date, then higher priority first.
func mirrorSortKey(t *plan.Task) string {
	due := t.Due.String()
	if due == "" {
		due = noDue
	}
	rank := 4
	if r := t.Priority.Rank(); r >= 0 {
		rank = 3 - r
	}
	return "o/" + due + "/" + strconv.Itoa(rank)
}

// MirrorRef is the task_ref of a mirror row: the owning tenant key, project
// and task, joined by "/".
func MirrorRef(corp, project, task string) string {
	return tenant(corp) + "/" + project + "/" + task
}

// ParseMirrorRef splits a task_ref into the owning corp, project and task.
func ParseMirrorRef(ref string) (corp, project, task string, ok bool) {
	parts := strings.Split(ref, "/")
	if len(parts) != 3 {
		return "", "", "", false
	}
	return corpOf(parts[0]), parts[1], parts[2], true
}

// MirrorKey is the key of uid's mirror row of open task t of project
// corp/project.
func MirrorKey(uid, corp, project string, t *plan.Task) tables.Key {
	return mirrorKey(uid, mirrorSortKey(t), MirrorRef(corp, project, t.ID))
}

// mirrorKey is the key of uid's mirror row of a task.
func mirrorKey(uid, sortKey, ref string) tables.Key {
	corp, user := uidParts(uid)
	return tables.Key{tenant(corp), user, sortKey, ref}
}

// mirrorRows returns the mirror rows an open task has, by key string.
func mirrorRows(corp, project, name string, t *plan.Task) map[string]tables.Write {
	out := map[string]tables.Write{}
	if t == nil || t.Status.Closed() {
		return out
	}
	ref, sk := MirrorRef(corp, project, t.ID), mirrorSortKey(t)
	for _, uid := range t.Assignees {
		k := mirrorKey(uid, sk, ref)
		out[k.String()] = tables.Write{Op: tables.OpPut, Table: tables.UserTask.Name, Key: k,
			Cols: tables.Cols{tkColTaskVer: t.Ver, tkColCorp: corp, tkColProject: project,
				tkColTask: t.ID, tkColProjName: name}}
	}
	return out
}

// MirrorTask brings the user_task rows of a task from its state before a
// change (nil for a new task) to its state after, whose Ver must be the
// task row's version. Write it after the task row: the mirror is derived
// data, and a lost mirror write is repaired by RepairMirror or by readers
// (see UserTasks).
func (s *Store) MirrorTask(ctx context.Context, corp, project, name string, before,
	after *plan.Task) error {
	next := mirrorRows(corp, project, name, after)
	var writes []tables.Write
	for k, w := range mirrorRows(corp, project, name, before) {
		if _, keep := next[k]; !keep {
			writes = append(writes, tables.Write{Op: tables.OpDelete, Table: w.Table, Key: w.Key})
		}
	}
	for _, w := range next {
		writes = append(writes, w)
	}
	if len(writes) == 0 {
		return nil
	}
	if err := s.batch(ctx, writes); err != nil {
		return fmt.Errorf("projects: mirror task %q: %w", after.ID, err)
	}
	return nil
}

// MirrorRow is one row of a user's task list.
type MirrorRow struct {
	Key         tables.Key // for DropMirror
	Corp        string     // the project's owning organization
	Project     string
	ProjectName string
	Task        string
	TaskVer     int64
}

// UserTasks reads up to limit rows of uid's open-task list from start (nil:
// the beginning), by due date, and the key to continue from (nil at the
// end). Rows may be stale or repeated: readers check them against the task
// rows.
func (s *Store) UserTasks(ctx context.Context, uid string, start tables.Key,
	limit int) ([]MirrorRow, tables.Key, error) {
	corp, user := uidParts(uid)
	rows, next, err := s.db.Page(ctx, tables.UserTask.Name,
		tables.Range{Prefix: tables.Key{tenant(corp), user}, Start: start, Limit: limit})
	if err != nil {
		return nil, nil, err
	}
	out := make([]MirrorRow, 0, len(rows))
	for _, r := range rows {
		c, p, t, ok := ParseMirrorRef(keyPart(r.Key, 3))
		if !ok {
			continue
		}
		out = append(out, MirrorRow{Key: r.Key, Corp: c, Project: p, Task: t,
			ProjectName: r.String(tkColProjName), TaskVer: r.Int(tkColTaskVer)})
	}
	return out, next, nil
}

// DropMirror deletes mirror rows found stale.
func (s *Store) DropMirror(ctx context.Context, keys []tables.Key) error {
	writes := make([]tables.Write, len(keys))
	for i, k := range keys {
		writes[i] = tables.Write{Op: tables.OpDelete, Table: tables.UserTask.Name, Key: k}
	}
	return s.batch(ctx, writes)
}

// RepairMirror rebuilds the mirror rows of project corp/id from its task
// rows: every open task's assignees get their row, and rows of the project
// that no task accounts for are deleted from its members' lists. It returns
// how many rows it wrote and deleted.
func (s *Store) RepairMirror(ctx context.Context, corp, id string) (int, error) {
	l, err := s.Load(ctx, corp, id)
	if err != nil {
		return 0, err
	}
	pr := l.Plan.Project()
	want := map[string]tables.Write{}
	for _, t := range l.Plan.Tasks() {
		for k, w := range mirrorRows(corp, id, pr.Name, &t) {
			want[k] = w
		}
	}
	prefix := MirrorRef(corp, id, "")
	var writes []tables.Write
	for _, m := range l.Plan.Members() {
		rows, _, err := s.UserTasks(ctx, m.User, nil, 0)
		if err != nil {
			return 0, err
		}
		for _, r := range rows {
			k := r.Key.String()
			w, ok := want[k]
			switch {
			case !strings.HasPrefix(keyPart(r.Key, 3), prefix):
			case !ok:
				writes = append(writes, tables.Write{Op: tables.OpDelete,
					Table: tables.UserTask.Name, Key: r.Key})
			case w.Cols[tkColTaskVer] == r.TaskVer:
				delete(want, k)
			}
		}
	}
	for _, w := range want {
		writes = append(writes, w)
	}
	return len(writes), s.batch(ctx, writes)
}
