package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// NewWorkLog is the input to LogWork.
type NewWorkLog struct {
	Task    string
	User    string // who did the work; "" means the actor
	Minutes int64
	Date    Date // the day of the work; not after the actor's today
	Note    string
}

// LogWork records time spent on a task. Members and suppliers log only
// their own work; the lead may log for another member, and the log records
// the lead as LoggedBy. One person's logs on one day total at most
// MaxDayMinutes.
func (p *Plan) LogWork(a Actor, in NewWorkLog) (WorkLog, []Activity, error) {
	o := op{"log work", in.Task}
	if in.User == "" {
		in.User = a.User
	}
	if _, err := p.may(o, a, LogWork, in.User == a.User); err != nil {
		return WorkLog{}, nil, err
	}
	if _, err := p.ref(o, "task", in.Task); err != nil {
		return WorkLog{}, nil, err
	}
	if err := p.checkWorkLog(o, a, in); err != nil {
		return WorkLog{}, nil, err
	}
	w := WorkLog{ID: nextID("W-", &p.seq.WorkLog), Task: in.Task, User: in.User,
		Minutes: in.Minutes, Date: in.Date, Note: in.Note, LoggedBy: a.User, At: a.At}
	p.logs = append(p.logs, w)
	act := p.activity(a, WorkLogged, "worklog", w.ID, "", fields("task", w.Task,
		"minutes", strconv.FormatInt(w.Minutes, 10), "date", w.Date.String()))
	if w.User != a.User {
		act.OnBehalf = w.User
	}
	return w, []Activity{act}, nil
}

func (p *Plan) checkWorkLog(o op, a Actor, in NewWorkLog) error {
	switch p.RoleOf(in.User) {
	case "":
		return o.invalid("user", fmt.Sprintf("%q is not a member", in.User))
	case RoleViewer:
		return o.invalid("user", fmt.Sprintf("%q is a viewer", in.User))
	}
	if in.Minutes < 1 || in.Minutes > MaxDayMinutes {
		return o.invalid("minutes", fmt.Sprintf("%d, want 1..%d", in.Minutes, MaxDayMinutes))
	}
	if in.Date == 0 {
		return o.invalid("date", "required")
	}
	if err := checkDate(o, "date", in.Date); err != nil {
		return err
	}
	if today := DateOf(a.At); in.Date > today {
		return o.invalid("date", fmt.Sprintf("%s is after today (%s)", in.Date, today))
	}
	if err := checkText(o, "note", in.Note, MaxText, false); err != nil {
		return err
	}
	total := in.Minutes
	for _, w := range p.logs {
		if w.User == in.User && w.Date == in.Date {
			total += w.Minutes
		}
	}
	if total > MaxDayMinutes {
		return o.invalid("minutes", fmt.Sprintf("%s would have %d minutes logged on %s, at most %d",
			in.User, total, in.Date, MaxDayMinutes))
	}
	return nil
}

// TODO(#6): work logs and comments can only be added; editing or
// withdrawing them (with an activity record) is not modelled yet.

// AddComment adds a comment to a task or milestone. Everyone but viewers
// may comment.
func (p *Plan) AddComment(a Actor, target, body string) (Comment, []Activity, error) {
	o := op{"comment", target}
	if _, err := p.may(o, a, AddComment, false); err != nil {
		return Comment{}, nil, err
	}
	object := "task"
	if strings.HasPrefix(target, "M-") {
		object = "milestone"
		if _, err := p.milestone(o, target); err != nil {
			return Comment{}, nil, err
		}
	} else if _, err := p.task(o, target); err != nil {
		return Comment{}, nil, err
	}
	if err := checkText(o, "body", body, MaxText, true); err != nil {
		return Comment{}, nil, err
	}
	c := Comment{ID: nextID("C-", &p.seq.Comment), Target: target, Author: a.User,
		Body: body, At: a.At}
	p.comments = append(p.comments, c)
	return c, []Activity{p.activity(a, CommentAdded, object, target, "",
		fields("comment", c.ID))}, nil
}
