package tasksapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// ReminderTrigger is the name of the notify function's timer trigger that
// runs the reminders (s.yaml).
const ReminderTrigger = "reminders"

// cst is DingTalk's day: reminders speak of days in UTC+8.
var cst = time.FixedZone("CST", 8*3600)

// Reminders finds, per organization, the open tasks due tomorrow or overdue
// and queues one notice per task, user and day: a work notice for a task
// due tomorrow or overdue, and a DING instead for an overdue task of high or
// urgent priority.
//
// It reads no task list: for each active member of the organization it
// reads the user_task rows (each user's open tasks, sorted by due date)
// from the first to the day after tomorrow, so a run costs a read per user
// plus one per candidate task, however many tasks are open or done; the
// candidates are then checked against their task rows, since the mirror
// may be stale. Queued messages are deduped on task, user and day, so a
// second run in a day (the trigger fires hourly in office hours, which
// makes a failed run good within the day) queues nothing new.
type Reminders struct {
	db     *tables.Store
	dir    *directory.Directory
	appURL string
	now    func() time.Time
}

// NewReminders returns the Reminders over db (built with tables.All); cfg
// gives the clock and the micro-app URL.
func NewReminders(db *tables.Store, cfg Config) (*Reminders, error) {
	dir, err := directory.New(db)
	if err != nil {
		return nil, fmt.Errorf("tasksapi: reminders: %w", err)
	}
	r := &Reminders{db: db, dir: dir, appURL: cfg.AppURL, now: cfg.Now}
	if r.appURL == "" {
		r.appURL = projects.DefaultAppURL
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// ReminderReport counts what a run did.
type ReminderReport struct {
	Users       int `json:"users"`       // members whose lists were read
	Candidates  int `json:"candidates"`  // mirror rows due by tomorrow
	DueTomorrow int `json:"dueTomorrow"` // notices queued (or already queued today)
	Overdue     int `json:"overdue"`     // notices queued for overdue tasks
	Dings       int `json:"dings"`       // DINGs queued for overdue high-priority tasks
}

func (r *ReminderReport) add(o ReminderReport) {
	r.Users += o.Users
	r.Candidates += o.Candidates
	r.DueTomorrow += o.DueTomorrow
	r.Overdue += o.Overdue
	r.Dings += o.Dings
}

// Run reminds the members of each of corps, returning the counts and the
// errors joined.
func (r *Reminders) Run(ctx context.Context, corps []string) (ReminderReport, error) {
	var total ReminderReport
	var errs []error
	for _, corp := range corps {
		rep, err := r.RunCorp(ctx, corp)
		total.add(rep)
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// RunCorp reminds corp's active members of their tasks.
//
// TODO(#6): one run reads every member in one invocation (about a read per
// member); an organization of tens of thousands would need a cursor kept
// across runs to stay within the function's timeout.
func (r *Reminders) RunCorp(ctx context.Context, corp string) (ReminderReport, error) {
	today := r.now().In(cst)
	day := today.Format(time.DateOnly)
	var rep ReminderReport
	var errs []error
	for u, err := range r.dir.Users(ctx, corp) {
		if err != nil {
			return rep, fmt.Errorf("tasksapi: reminders %q: %w", corp, err)
		}
		if !u.Active || u.Kind != directory.KindMember {
			continue
		}
		rep.Users++
		one, err := r.remindUser(ctx, corp+":"+u.UserID, today)
		rep.add(one)
		if err != nil {
			errs = append(errs, fmt.Errorf("tasksapi: reminders %q %s: %w", u.UserID, day, err))
		}
	}
	return rep, errors.Join(errs...)
}

// candidate is a mirror row due by tomorrow, with its task row's key.
type candidate struct {
	corp, project, name, task string
}

// remindUser queues uid's reminders for the day of today.
func (r *Reminders) remindUser(ctx context.Context, uid string, today time.Time) (
	ReminderReport, error) {
	cands, err := r.candidates(ctx, uid, today)
	rep := ReminderReport{Candidates: len(cands)}
	if err != nil || len(cands) == 0 {
		return rep, err
	}
	keys := make([]tables.Key, len(cands))
	for i, c := range cands {
		keys[i] = tables.Key{tables.TenantKey(c.corp), c.project, c.task}
	}
	res, err := r.db.BatchGet(ctx, tables.Task.Name, keys)
	if err != nil {
		return rep, err
	}
	var errs []error
	for i, got := range res {
		if got.Err != nil {
			if !errors.Is(got.Err, tables.ErrNotFound) {
				errs = append(errs, got.Err)
			}
			continue
		}
		t, err := projects.TaskFrom(got.Row)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, r.remind(ctx, uid, cands[i], t, today, &rep))
	}
	return rep, errors.Join(errs...)
}

// candidates reads uid's open tasks due before the day after tomorrow.
func (r *Reminders) candidates(ctx context.Context, uid string, today time.Time) (
	[]candidate, error) {
	corp, user := splitUID(uid)
	tid := tables.TenantKey(corp)
	end := "o/" + today.AddDate(0, 0, 2).Format(time.DateOnly)
	rows, _, err := r.db.Page(ctx, tables.UserTask.Name, tables.Range{
		Start: tables.Key{tid, user, "o/"}, End: tables.Key{tid, user, end}})
	if err != nil {
		return nil, err
	}
	out := make([]candidate, 0, len(rows))
	for _, row := range rows {
		ref, _ := row.Key[3].(string)
		c, p, t, ok := projects.ParseMirrorRef(ref)
		if ok {
			out = append(out, candidate{corp: c, project: p, task: t,
				name: row.String("project_name")})
		}
	}
	return out, nil
}

func splitUID(uid string) (string, string) {
	corp, user, _ := strings.Cut(uid, ":")
	return corp, user
}

// remind queues uid's reminder of t, if t still calls for one today.
func (r *Reminders) remind(ctx context.Context, uid string, c candidate, t plan.Task,
	today time.Time, rep *ReminderReport) error {
	if t.Status.Closed() || t.Due.IsZero() || !assigned(t, uid) {
		return nil // a stale mirror row
	}
	day := today.Format(time.DateOnly)
	tomorrow := today.AddDate(0, 0, 1).Format(time.DateOnly)
	due := t.Due.String()
	var kind, title string
	switch {
	case due == tomorrow:
		kind, title = "due-tomorrow", "任务明天到期："
		rep.DueTomorrow++
	case due < day && (t.Priority == plan.High || t.Priority == plan.Urgent):
		kind, title = "overdue-ding", "任务已逾期（紧急）："
		rep.Dings++
	case due < day:
		kind, title = "overdue", "任务已逾期："
		rep.Overdue++
	default:
		return nil // due today: neither
	}
	_, err := outbox.Enqueue(ctx, r.db, r.message(uid, c, t, kind, title, day))
	return err
}

func assigned(t plan.Task, uid string) bool { return slices.Contains(t.Assignees, uid) }

// message is uid's reminder of t of kind for day, deduped on all four.
func (r *Reminders) message(uid string, c candidate, t plan.Task, kind, title,
	day string) outbox.Message {
	corp, user := splitUID(uid)
	link := r.appURL + "/tasks/" + url.PathEscape(c.corp) + "/" + url.PathEscape(c.project) +
		"/" + url.PathEscape(t.ID)
	m := outbox.Message{Corp: corp, Users: []string{user}, Kind: outbox.KindActionCard,
		Title: clip(title+t.Title, outbox.MaxTitle),
		Body:  c.name + " · 截止 " + t.Due.String(), Link: link,
		DedupeKey: kind + "/" + projects.MirrorRef(c.corp, c.project, t.ID) + "/" + day +
			"/" + user}
	if kind == "overdue-ding" {
		m.Kind = outbox.KindDing
	}
	return m
}

// Timer is the reminders' timer handler: one run over corps, logged.
func (r *Reminders) Timer(ctx context.Context, ev runtime.TimerEvent,
	corps []string) error {
	rep, err := r.Run(ctx, corps)
	runtime.Logger(ctx).Info("reminders", "trigger", ev.TriggerName, "users", rep.Users,
		"candidates", rep.Candidates, "dueTomorrow", rep.DueTomorrow, "overdue", rep.Overdue,
		"dings", rep.Dings, "error", err)
	return err
}
