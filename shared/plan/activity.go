package plan

import (
	"fmt"
	"strings"
	"time"
)

// Verb names what an Activity did.
type Verb string

// Activity verbs, one per kind of mutation.
const (
	ProjectCreated    Verb = "project.create"
	ProjectUpdated    Verb = "project.update"
	PartnerAdded      Verb = "partner.add"
	MemberAdded       Verb = "member.add"
	MemberRemoved     Verb = "member.remove"
	MemberRoleChanged Verb = "member.role"
	TaskCreated       Verb = "task.create"
	TaskUpdated       Verb = "task.update"
	TaskAssigned      Verb = "task.assign"
	TaskMoved         Verb = "task.move"
	TaskStatusChanged Verb = "task.status"
	TaskProgressSet   Verb = "task.progress"
	DependencyAdded   Verb = "dependency.add"
	DependencyRemoved Verb = "dependency.remove"
	MilestoneCreated  Verb = "milestone.create"
	MilestoneUpdated  Verb = "milestone.update"
	MilestoneAccepted Verb = "milestone.accept"
	WorkLogged        Verb = "worklog.add"
	CommentAdded      Verb = "comment.add"
	BaselineSaved     Verb = "baseline.save"
)

// Activity is one entry of the trail: who did what to which object, with a
// short summary of the object before and after ("" when not applicable).
type Activity struct {
	At       time.Time
	Project  string
	Actor    string // the user who made the change
	OnBehalf string // the user the change was made for, if not Actor
	Verb     Verb
	Object   string // "task", "milestone", "member", "project", ...
	ID       string // the object's id
	Before   string
	After    string
}

// String renders a one-line summary, e.g. `u1 task.status task T-3: todo → doing`.
func (a Activity) String() string {
	s := fmt.Sprintf("%s %s %s %s", a.Actor, a.Verb, a.Object, a.ID)
	if a.Before != "" || a.After != "" {
		s += ": " + a.Before + " → " + a.After
	}
	return s
}

func (p *Plan) activity(a Actor, v Verb, object, id, before, after string) Activity {
	return Activity{At: a.At, Project: p.project.ID, Actor: a.User, Verb: v,
		Object: object, ID: id, Before: before, After: after}
}

// fields renders name=value pairs, skipping empty values.
func fields(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			parts = append(parts, kv[i]+"="+kv[i+1])
		}
	}
	return strings.Join(parts, " ")
}
