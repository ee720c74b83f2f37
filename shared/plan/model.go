package plan

import (
	"slices"
	"time"
)

// Actor is who makes a change and when.
type Actor struct {
	User string    // the member's user id
	At   time.Time // when the change happens; also "now" for date checks
}

// Organization is a DingTalk organization taking part in projects.
type Organization struct {
	Corp string // DingTalk corp id
	Name string
}

// Role is a member's role in one project. The values match shared/access's
// ProjectRole, so plan.Role(r) converts.
type Role string

// Project roles.
const (
	RoleLead     Role = "lead"     // runs the project; may do anything in it
	RoleMember   Role = "member"   // works on tasks
	RoleSupplier Role = "supplier" // a supplier contact working on own tasks
	RoleViewer   Role = "viewer"   // reads only
)

// Roles lists every project role in table-column order.
var Roles = []Role{RoleLead, RoleMember, RoleSupplier, RoleViewer}

func (r Role) valid() bool { return slices.Contains(Roles, r) }

// Member is a user's membership in a project. Members from organizations
// other than the owner must belong to one of the project's partners.
type Member struct {
	User string // unique across organizations
	Corp string // the member's organization
	Name string
	Role Role
}

// ProjectStatus is the life-cycle state of a project.
type ProjectStatus string

// Project statuses.
const (
	ProjectPlanning ProjectStatus = "planning"
	ProjectActive   ProjectStatus = "active"
	ProjectOnHold   ProjectStatus = "on_hold"
	ProjectClosed   ProjectStatus = "closed"
	ProjectArchived ProjectStatus = "archived"
)

var projectStatuses = []ProjectStatus{ProjectPlanning, ProjectActive, ProjectOnHold,
	ProjectClosed, ProjectArchived}

// Risk is the risk level a lead assigns to a project.
type Risk string

// Risk levels.
const (
	RiskLow    Risk = "low"
	RiskMedium Risk = "medium"
	RiskHigh   Risk = "high"
)

var risks = []Risk{RiskLow, RiskMedium, RiskHigh}

// Project is owned by one organization and shared with partner
// organizations (partner companies and suppliers) named explicitly.
type Project struct {
	ID         string
	Name       string
	Org        Organization   // the owning organization
	Partners   []Organization // other organizations whose users may be members
	Department string         // owning department in Org's directory
	Owner      string         // user id of the accountable person (portfolio "owner")
	Year       int
	Budget     int64 // in fen (0.01 CNY)
	Risk       Risk
	Status     ProjectStatus
	Start, End Date
}

// Status is a task's state in the workflow.
type Status string

// Task statuses. The usual path is todo → doing → review → done; blocked
// and cancelled can be entered from the open states (see CanTransition).
const (
	Todo      Status = "todo"
	Doing     Status = "doing"
	Review    Status = "review"
	Done      Status = "done"
	Blocked   Status = "blocked"
	Cancelled Status = "cancelled"
)

// Statuses lists every task status.
var Statuses = []Status{Todo, Doing, Review, Done, Blocked, Cancelled}

// ProjectClosed reports whether s is done or cancelled.
func (s Status) Closed() bool { return s == Done || s == Cancelled }

// Priority is a task's priority.
type Priority string

// Priorities, lowest first.
const (
	Low    Priority = "low"
	Normal Priority = "normal"
	High   Priority = "high"
	Urgent Priority = "urgent"
)

var priorities = []Priority{Low, Normal, High, Urgent}

// Rank orders priorities: 0 for Low up to 3 for Urgent, -1 if unknown.
func (p Priority) Rank() int { return slices.Index(priorities, p) }

// Task is a unit of work. Tasks nest through Parent to any depth; a task
// with subtasks is a summary whose progress and schedule come from them.
type Task struct {
	ID          string // "T-<n>", assigned by the plan
	Parent      string // "" for a top-level task
	Milestone   string // "" to inherit the parent's milestone
	Title       string
	Description string
	Assignees   []string // user ids of members
	Priority    Priority
	Estimate    int64    // minutes of work; 0 when not estimated
	Start, Due  Date     // planned; either may be zero
	After       []string // finish-to-start predecessors (task ids)
	Status      Status
	Progress    int       // reported percent 0..100, for tasks without subtasks
	StartedAt   time.Time // first move to doing
	FinishedAt  time.Time // last move to done; zero unless done
	CreatedBy   string
	CreatedAt   time.Time
	Ver         int64 // incremented by every change to the task
}

func (t *Task) assigned(user string) bool { return slices.Contains(t.Assignees, user) }

func (t Task) clone() Task {
	t.Assignees = slices.Clone(t.Assignees)
	t.After = slices.Clone(t.After)
	return t
}

// Milestone is a dated checkpoint that the lead accepts when its tasks are
// done (or, with a stated reason, before).
type Milestone struct {
	ID         string // "M-<n>", assigned by the plan
	Title      string
	Due        Date
	AcceptedBy string    // user id; "" while not accepted
	AcceptedAt time.Time // zero while not accepted
	Override   string    // reason given for accepting with open tasks
	Ver        int64
}

// Accepted reports whether m has been accepted.
func (m Milestone) Accepted() bool { return m.AcceptedBy != "" }

// WorkLog records time spent on a task by one person.
type WorkLog struct {
	ID       string // "W-<n>", assigned by the plan
	Task     string
	User     string // who did the work
	Minutes  int64
	Date     Date // the day the work was done
	Note     string
	LoggedBy string // who recorded it: User, or the lead on their behalf
	At       time.Time
}

// Comment is a remark on a task or milestone.
type Comment struct {
	ID     string // "C-<n>", assigned by the plan
	Target string // a task or milestone id
	Author string
	Body   string
	At     time.Time
}
