package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxAssignees bounds the assignees of one task.
const MaxAssignees = 20

// NewTask is the input to AddTask.
type NewTask struct {
	Parent      string // "" for a top-level task
	Milestone   string // "" to inherit the parent's
	Title       string
	Description string
	Assignees   []string
	Priority    Priority // "" means Normal
	Estimate    int64    // minutes
	Start, Due  Date
	After       []string // predecessors
}

// AddTask creates a task, as a subtask when in.Parent is set. Leads and
// members may create any task; suppliers only subtasks of their own tasks.
func (p *Plan) AddTask(a Actor, in NewTask) (Task, []Activity, error) {
	o := op{"create task", "T-" + strconv.Itoa(p.seq.Task+1)}
	if _, err := p.member(o, a); err != nil {
		return Task{}, nil, err
	}
	var parent *Task
	if in.Parent != "" {
		var err error
		if parent, err = p.ref(o, "parent", in.Parent); err != nil {
			return Task{}, nil, err
		}
	}
	if _, err := p.mayTask(o, a, CreateTask, parent); err != nil {
		return Task{}, nil, err
	}
	if in.Priority == "" {
		in.Priority = Normal
	}
	if err := p.checkNewTask(o, in, parent); err != nil {
		return Task{}, nil, err
	}
	t := &Task{Parent: in.Parent, Milestone: in.Milestone, Title: in.Title,
		Description: in.Description, Assignees: slices.Clone(in.Assignees),
		Priority: in.Priority, Estimate: in.Estimate, Start: in.Start, Due: in.Due,
		After: slices.Clone(in.After), Status: Todo, CreatedBy: a.User, CreatedAt: a.At,
		Ver: 1}
	t.ID = nextID("T-", &p.seq.Task)
	p.insert(t)
	if c := p.newCycle(t); c != nil {
		p.unlinkLast()
		p.seq.Task--
		return Task{}, nil, o.cycle(c)
	}
	acts := []Activity{p.activity(a, TaskCreated, "task", t.ID, "", taskSummary(t))}
	if len(t.Assignees) > 0 {
		acts = append(acts, p.activity(a, TaskAssigned, "task", t.ID, "",
			strings.Join(t.Assignees, ",")))
	}
	return t.clone(), acts, nil
}

// newCycle checks a just-inserted task, which can only close a loop by
// depending on one of its own ancestors.
func (p *Plan) newCycle(t *Task) []string {
	if len(t.After) == 0 || t.Parent == "" {
		return nil
	}
	return p.cycle(t.ID)
}

func (p *Plan) insert(t *Task) {
	p.tasks[t.ID] = t
	p.pos[t.ID] = int32(len(p.list))
	p.list = append(p.list, t)
	p.kids[t.Parent] = append(p.kids[t.Parent], t.ID)
}

func (p *Plan) unlinkLast() {
	t := p.list[len(p.list)-1]
	id := t.ID
	p.list = p.list[:len(p.list)-1]
	delete(p.pos, id)
	p.kids[t.Parent] = slices.DeleteFunc(p.kids[t.Parent], func(s string) bool { return s == id })
	delete(p.tasks, id)
}

func taskSummary(t *Task) string {
	est := ""
	if t.Estimate > 0 {
		est = strconv.FormatInt(t.Estimate, 10)
	}
	return fields("title", strconv.Quote(t.Title), "parent", t.Parent, "status", string(t.Status),
		"estimate", est, "due", t.Due.String())
}

func (p *Plan) checkNewTask(o op, in NewTask, parent *Task) error {
	if parent != nil && parent.Status.Closed() {
		return o.invalid("parent", fmt.Sprintf("%q is %s", parent.ID, parent.Status))
	}
	if err := checkFields(o, in.Title, in.Description, in.Priority, in.Estimate,
		in.Start, in.Due); err != nil {
		return err
	}
	if in.Milestone != "" {
		if err := p.refMilestone(o, "milestone", in.Milestone); err != nil {
			return err
		}
	}
	if err := p.checkAssignees(o, in.Assignees); err != nil {
		return err
	}
	return p.checkPreds(o, in.After)
}

func checkFields(o op, title, desc string, pr Priority, est int64, start, due Date) error {
	if err := checkText(o, "title", title, MaxTitle, true); err != nil {
		return err
	}
	if err := checkText(o, "description", desc, MaxText, false); err != nil {
		return err
	}
	if err := checkPriority(o, pr); err != nil {
		return err
	}
	if err := checkEstimate(o, est); err != nil {
		return err
	}
	return checkSpan(o, "start", start, "due", due)
}

func (p *Plan) checkAssignees(o op, users []string) error {
	if len(users) > MaxAssignees {
		return o.invalid("assignees", fmt.Sprintf("%d, at most %d", len(users), MaxAssignees))
	}
	for i, u := range users {
		field := fmt.Sprintf("assignees[%d]", i)
		switch p.RoleOf(u) {
		case "":
			return o.invalid(field, fmt.Sprintf("%q is not a member", u))
		case RoleViewer:
			return o.invalid(field, fmt.Sprintf("%q is a viewer", u))
		}
		if slices.Index(users, u) < i {
			return o.invalid(field, fmt.Sprintf("%q listed twice", u))
		}
	}
	return nil
}

func (p *Plan) checkPreds(o op, preds []string) error {
	for i, id := range preds {
		field := fmt.Sprintf("after[%d]", i)
		if _, ok := p.tasks[id]; !ok {
			return o.invalid(field, fmt.Sprintf("task %q not found", id))
		}
		if slices.Index(preds, id) < i {
			return o.invalid(field, fmt.Sprintf("%q listed twice", id))
		}
	}
	return nil
}

// TaskEdit lists the task fields to change; nil fields stay.
type TaskEdit struct {
	Title       *string
	Description *string
	Priority    *Priority
	Estimate    *int64
	Start, Due  *Date
	Milestone   *string // "" to inherit the parent's
}

// EditTask changes a task's fields. Leads may edit any task; members and
// suppliers their own.
func (p *Plan) EditTask(a Actor, id string, e TaskEdit) (Task, []Activity, error) {
	o := op{"update task", id}
	t, err := p.taskFor(o, a, EditTask, id)
	if err != nil {
		return Task{}, nil, err
	}
	n := t.clone()
	var before, after []string
	set(&n.Title, e.Title, "title", &before, &after)
	set(&n.Description, e.Description, "description", &before, &after)
	set(&n.Priority, e.Priority, "priority", &before, &after)
	set(&n.Estimate, e.Estimate, "estimate", &before, &after)
	set(&n.Start, e.Start, "start", &before, &after)
	set(&n.Due, e.Due, "due", &before, &after)
	set(&n.Milestone, e.Milestone, "milestone", &before, &after)
	err = checkFields(o, n.Title, n.Description, n.Priority, n.Estimate, n.Start, n.Due)
	if err != nil {
		return Task{}, nil, err
	}
	if e.Milestone != nil && *e.Milestone != "" {
		if err := p.refMilestone(o, "milestone", *e.Milestone); err != nil {
			return Task{}, nil, err
		}
	}
	if len(after) == 0 {
		return t.clone(), nil, nil
	}
	n.Ver++
	*t = n
	return t.clone(), []Activity{p.activity(a, TaskUpdated, "task", id,
		fields(before...), fields(after...))}, nil
}

// Assign replaces a task's assignees. Leads and members may assign.
func (p *Plan) Assign(a Actor, id string, users []string) (Task, []Activity, error) {
	o := op{"assign task", id}
	t, err := p.taskFor(o, a, AssignTask, id)
	if err != nil {
		return Task{}, nil, err
	}
	if err := p.checkAssignees(o, users); err != nil {
		return Task{}, nil, err
	}
	if slices.Equal(users, t.Assignees) {
		return t.clone(), nil, nil
	}
	before := strings.Join(t.Assignees, ",")
	t.Assignees = slices.Clone(users)
	t.Ver++
	return t.clone(), []Activity{p.activity(a, TaskAssigned, "task", id, before,
		strings.Join(users, ","))}, nil
}

// Move puts a task (with its subtasks) under a new parent, or at the top
// level for "". Moving a task under itself or its own descendant is a cycle.
func (p *Plan) Move(a Actor, id, parent string) (Task, []Activity, error) {
	o := op{"move task", id}
	t, err := p.taskFor(o, a, MoveTask, id)
	if err != nil {
		return Task{}, nil, err
	}
	if parent == t.Parent {
		return t.clone(), nil, nil
	}
	if err := p.checkNewParent(o, t, parent); err != nil {
		return Task{}, nil, err
	}
	old := t.Parent
	oldKids, newKids := slices.Clone(p.kids[old]), slices.Clone(p.kids[parent])
	p.relink(t, parent)
	if c := p.cycle(id); c != nil {
		t.Parent, p.kids[old], p.kids[parent] = old, oldKids, newKids
		if len(newKids) == 0 {
			delete(p.kids, parent)
		}
		return Task{}, nil, o.cycle(c)
	}
	t.Ver++
	return t.clone(), []Activity{p.activity(a, TaskMoved, "task", id,
		fields("parent", old), fields("parent", parent))}, nil
}

func (p *Plan) checkNewParent(o op, t *Task, parent string) error {
	if parent == "" {
		return nil
	}
	np, err := p.ref(o, "parent", parent)
	if err != nil {
		return err
	}
	chain := append([]string{t.ID, parent}, p.ancestors(parent)...)
	if i := slices.Index(chain[1:], t.ID); i >= 0 {
		return o.cycle(chain[:i+2])
	}
	if np.Status.Closed() && !t.Status.Closed() {
		return o.invalid("parent", fmt.Sprintf("%q is %s", parent, np.Status))
	}
	return nil
}

// relink moves t under parent, appending it to the parent's children.
func (p *Plan) relink(t *Task, parent string) {
	p.kids[t.Parent] = slices.DeleteFunc(p.kids[t.Parent], func(s string) bool {
		return s == t.ID
	})
	if len(p.kids[t.Parent]) == 0 {
		delete(p.kids, t.Parent)
	}
	t.Parent = parent
	p.kids[parent] = append(p.kids[parent], t.ID)
}

// AddDependency makes task id start only after task pred finishes.
func (p *Plan) AddDependency(a Actor, id, pred string) (Task, []Activity, error) {
	o := op{"add dependency", id}
	t, err := p.dependencyTarget(o, a, id, pred)
	if err != nil {
		return Task{}, nil, err
	}
	if slices.Contains(t.After, pred) {
		return Task{}, nil, o.fail(ErrExists, fmt.Sprintf("already after %q", pred))
	}
	old := t.After
	t.After = append(slices.Clone(old), pred)
	if c := p.cycle(id); c != nil {
		t.After = old
		return Task{}, nil, o.cycle(c)
	}
	t.Ver++
	return t.clone(), []Activity{p.activity(a, DependencyAdded, "task", id, "",
		fields("after", pred))}, nil
}

// RemoveDependency drops the dependency of task id on pred.
func (p *Plan) RemoveDependency(a Actor, id, pred string) (Task, []Activity, error) {
	o := op{"remove dependency", id}
	t, err := p.dependencyTarget(o, a, id, pred)
	if err != nil {
		return Task{}, nil, err
	}
	i := slices.Index(t.After, pred)
	if i < 0 {
		return Task{}, nil, o.notFound("dependency on", pred)
	}
	t.After = slices.Delete(slices.Clone(t.After), i, i+1)
	if len(t.After) == 0 {
		t.After = nil
	}
	t.Ver++
	return t.clone(), []Activity{p.activity(a, DependencyRemoved, "task", id,
		fields("after", pred), "")}, nil
}

func (p *Plan) dependencyTarget(o op, a Actor, id, pred string) (*Task, error) {
	t, err := p.taskFor(o, a, EditDependency, id)
	if err != nil {
		return nil, err
	}
	if _, ok := p.tasks[pred]; !ok {
		return nil, o.invalid("after", fmt.Sprintf("task %q not found", pred))
	}
	return t, nil
}
