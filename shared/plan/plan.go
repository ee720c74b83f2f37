package plan

import (
	"fmt"
	"slices"
	"strconv"
)

// Plan is one project with its members, milestones, tasks, work logs,
// comments and baselines. The zero Plan is not usable; start with New or
// Restore. Getters return copies, so callers cannot bypass validation.
type Plan struct {
	project    Project
	members    []Member
	tasks      map[string]*Task
	list       []*Task             // the tasks in creation order
	pos        map[string]int32    // task id → index in list
	kids       map[string][]string // parent id ("" for top level) → children
	milestones map[string]*Milestone
	msOrder    []string
	logs       []WorkLog
	comments   []Comment
	baselines  []Baseline
	seq        Seq
}

// Seq holds the counters from which the plan numbers new objects.
type Seq struct {
	Task, Milestone, WorkLog, Comment, Baseline int
}

// Snapshot is the whole state of a plan, for storage. Restore(p.Snapshot())
// rebuilds an equal plan.
type Snapshot struct {
	Project    Project
	Members    []Member
	Tasks      []Task // in creation order
	Milestones []Milestone
	WorkLogs   []WorkLog
	Comments   []Comment
	Baselines  []Baseline
	Seq        Seq
}

func empty(pr Project) *Plan {
	return &Plan{project: pr, tasks: map[string]*Task{}, pos: map[string]int32{},
		kids: map[string][]string{}, milestones: map[string]*Milestone{}}
}

// New starts a plan for project pr, created by actor a, whose membership
// lead must have role RoleLead. pr.ID is assigned by the caller; a zero
// Status means ProjectPlanning and a zero Risk means RiskLow.
func New(a Actor, pr Project, lead Member) (*Plan, []Activity, error) {
	o := op{"create project", pr.ID}
	if pr.Status == "" {
		pr.Status = ProjectPlanning
	}
	if pr.Risk == "" {
		pr.Risk = RiskLow
	}
	pr.Partners = slices.Clone(pr.Partners)
	if err := checkProject(o, pr); err != nil {
		return nil, nil, err
	}
	if a.User == "" || a.At.IsZero() {
		return nil, nil, o.invalid("actor", "needs a user and a time")
	}
	if lead.User != a.User || lead.Role != RoleLead {
		return nil, nil, o.invalid("lead", "the creator must be the first lead")
	}
	p := empty(pr)
	if err := p.checkMember(o, lead); err != nil {
		return nil, nil, err
	}
	p.members = []Member{lead}
	acts := []Activity{
		p.activity(a, ProjectCreated, "project", pr.ID, "", fields("name", pr.Name)),
		p.activity(a, MemberAdded, "member", lead.User, "", fields("role", string(lead.Role))),
	}
	return p, acts, nil
}

func checkProject(o op, pr Project) error {
	if err := checkID(o, "id", pr.ID); err != nil {
		return err
	}
	if err := checkText(o, "name", pr.Name, MaxTitle, true); err != nil {
		return err
	}
	if err := checkOrgs(o, pr); err != nil {
		return err
	}
	if pr.Department != "" {
		if err := checkID(o, "department", pr.Department); err != nil {
			return err
		}
	}
	if pr.Owner != "" {
		if err := checkID(o, "owner", pr.Owner); err != nil {
			return err
		}
	}
	if pr.Year != 0 && (pr.Year < MinDate.Time().Year() || pr.Year > MaxDate.Time().Year()) {
		return o.invalid("year", fmt.Sprintf("%d, want 2000..2100 or 0", pr.Year))
	}
	if pr.Budget < 0 {
		return o.invalid("budget", fmt.Sprintf("%d, must not be negative", pr.Budget))
	}
	if err := checkOneOf(o, "risk", pr.Risk, risks); err != nil {
		return err
	}
	if err := checkOneOf(o, "status", pr.Status, projectStatuses); err != nil {
		return err
	}
	return checkSpan(o, "start", pr.Start, "end", pr.End)
}

func checkOrgs(o op, pr Project) error {
	seen := map[string]bool{}
	for i, org := range append([]Organization{pr.Org}, pr.Partners...) {
		field := "org"
		if i > 0 {
			field = fmt.Sprintf("partners[%d]", i-1)
		}
		if err := checkID(o, field+".corp", org.Corp); err != nil {
			return err
		}
		if err := checkText(o, field+".name", org.Name, MaxTitle, false); err != nil {
			return err
		}
		if seen[org.Corp] {
			return o.invalid(field+".corp", fmt.Sprintf("%q listed twice", org.Corp))
		}
		seen[org.Corp] = true
	}
	return nil
}

// Project returns the project's fields.
func (p *Plan) Project() Project {
	pr := p.project
	pr.Partners = slices.Clone(pr.Partners)
	return pr
}

// Members returns the members in the order they joined.
func (p *Plan) Members() []Member { return slices.Clone(p.members) }

// RoleOf returns user's role in the project, or "" if not a member.
func (p *Plan) RoleOf(user string) Role {
	for _, m := range p.members {
		if m.User == user {
			return m.Role
		}
	}
	return ""
}

// Task returns the task with the given id.
func (p *Plan) Task(id string) (Task, bool) {
	t, ok := p.tasks[id]
	if !ok {
		return Task{}, false
	}
	return t.clone(), true
}

// Tasks returns every task in creation order.
func (p *Plan) Tasks() []Task {
	out := make([]Task, len(p.list))
	for i, t := range p.list {
		out[i] = t.clone()
	}
	return out
}

// Children returns the ids of the direct subtasks of id ("" for the
// top-level tasks), in order.
func (p *Plan) Children(id string) []string { return slices.Clone(p.kids[id]) }

// Milestone returns the milestone with the given id.
func (p *Plan) Milestone(id string) (Milestone, bool) {
	m, ok := p.milestones[id]
	if !ok {
		return Milestone{}, false
	}
	return *m, true
}

// Milestones returns every milestone in creation order.
func (p *Plan) Milestones() []Milestone {
	out := make([]Milestone, len(p.msOrder))
	for i, id := range p.msOrder {
		out[i] = *p.milestones[id]
	}
	return out
}

// WorkLogs returns every work log in the order logged.
func (p *Plan) WorkLogs() []WorkLog { return slices.Clone(p.logs) }

// Comments returns every comment in the order written.
func (p *Plan) Comments() []Comment { return slices.Clone(p.comments) }

// Snapshot returns a deep copy of the plan's state.
func (p *Plan) Snapshot() Snapshot {
	bs := make([]Baseline, len(p.baselines))
	for i, b := range p.baselines {
		bs[i] = b.clone()
	}
	return Snapshot{Project: p.Project(), Members: p.Members(), Tasks: p.Tasks(),
		Milestones: p.Milestones(), WorkLogs: p.WorkLogs(), Comments: p.Comments(),
		Baselines: bs, Seq: p.seq}
}

// ancestors returns the ids above task id, nearest first.
func (p *Plan) ancestors(id string) []string {
	var out []string
	for t := p.tasks[id]; t != nil && t.Parent != ""; t = p.tasks[t.Parent] {
		out = append(out, t.Parent)
		if len(out) > len(p.tasks) {
			break // a corrupt chain; Restore refuses these
		}
	}
	return out
}

// milestoneOf returns the effective milestone of a task: its own, or the
// nearest ancestor's.
func (p *Plan) milestoneOf(t *Task) string {
	for t != nil {
		if t.Milestone != "" {
			return t.Milestone
		}
		t = p.tasks[t.Parent]
	}
	return ""
}

func nextID(prefix string, n *int) string {
	*n++
	return prefix + strconv.Itoa(*n)
}

func (p *Plan) task(o op, id string) (*Task, error) {
	t, ok := p.tasks[id]
	if !ok {
		return nil, o.notFound("task", id)
	}
	return t, nil
}

// ref looks up a task named by an input field; a missing one is ErrInvalid
// naming the field (the object an operation addresses is ErrNotFound).
func (p *Plan) ref(o op, field, id string) (*Task, error) {
	t, ok := p.tasks[id]
	if !ok {
		return nil, o.invalid(field, fmt.Sprintf("task %q not found", id))
	}
	return t, nil
}

// refMilestone is ref for milestones.
func (p *Plan) refMilestone(o op, field, id string) error {
	if _, ok := p.milestones[id]; !ok {
		return o.invalid(field, fmt.Sprintf("milestone %q not found", id))
	}
	return nil
}

func (p *Plan) milestone(o op, id string) (*Milestone, error) {
	m, ok := p.milestones[id]
	if !ok {
		return nil, o.notFound("milestone", id)
	}
	return m, nil
}
