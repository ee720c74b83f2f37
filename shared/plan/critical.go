package plan

import (
	"fmt"
	"slices"
)

// WorkdayMinutes is the working day used to turn date spans into durations.
const WorkdayMinutes = 8 * 60

// Duration returns the scheduled length of a task without subtasks, in
// minutes of work: zero when cancelled; its Estimate when set; otherwise,
// when Start and Due are both set, the weekdays from Start to Due inclusive
// times WorkdayMinutes; otherwise zero. Done tasks keep their duration: the
// critical path is that of the plan, not of the remaining work.
func Duration(t Task) int64 {
	switch {
	case t.Status == Cancelled:
		return 0
	case t.Estimate > 0:
		return t.Estimate
	case t.Start != 0 && t.Due != 0:
		return int64(weekdays(t.Start, t.Due)) * WorkdayMinutes
	}
	return 0
}

// Slot is a task's place in the schedule, in minutes from the project's
// start: earliest and latest start and finish, and slack (latest minus
// earliest start). Critical means zero slack.
type Slot struct {
	ES, EF, LS, LF, Slack int64
	Critical              bool
}

// Schedule is the result of the critical path method.
type Schedule struct {
	Length int64           // minutes from start to the last finish
	Path   []string        // one critical path, first to last task
	Slots  map[string]Slot // per task
}

// Work is one activity of a network given to CriticalPath.
type Work struct {
	ID       string
	Duration int64    // minutes (or any unit), not negative
	After    []string // finish-to-start predecessors
}

// CriticalPath schedules an activity-on-node network by the critical path
// method. It refuses empty or repeated ids, negative durations, unknown
// predecessors (ErrInvalid) and cycles (ErrCycle).
func CriticalPath(work []Work) (Schedule, error) {
	o := op{"critical path", ""}
	n := &network{}
	index := make(map[string]int32, len(work))
	for i, w := range work {
		if _, dup := index[w.ID]; w.ID == "" || dup {
			return Schedule{}, o.invalid(fmt.Sprintf("work[%d].id", i),
				fmt.Sprintf("%q empty or repeated", w.ID))
		}
		if w.Duration < 0 {
			return Schedule{}, o.invalid(fmt.Sprintf("work[%d].duration", i), "negative")
		}
		index[w.ID] = int32(i)
		n.ids = append(n.ids, w.ID)
		v := n.node(int32(i), w.Duration)
		n.entry, n.exit = append(n.entry, v), append(n.exit, v)
	}
	for i, w := range work {
		for _, a := range w.After {
			j, ok := index[a]
			if !ok {
				return Schedule{}, o.invalid(fmt.Sprintf("work[%d].after", i),
					fmt.Sprintf("%q not found", a))
			}
			n.edge(j, int32(i))
		}
	}
	n.freeze()
	order, cyc := n.topo()
	if cyc != nil {
		return Schedule{}, o.cycle(n.taskCycle(cyc, ""))
	}
	cpm := n.schedule(order)
	s := Schedule{Length: cpm.length, Slots: make(map[string]Slot, len(work))}
	for i, w := range work {
		s.Slots[w.ID] = cpm.slot(int32(i), int32(i))
	}
	for _, v := range cpm.path(order) {
		s.Path = append(s.Path, n.ids[n.owner[v]])
	}
	return s, nil
}

// cpm holds per-node earliest start and latest finish.
type cpm struct {
	n      *network
	es, lf []int64
	length int64
}

func (c *cpm) ef(v int32) int64 { return c.es[v] + c.n.dur[v] }
func (c *cpm) ls(v int32) int64 { return c.lf[v] - c.n.dur[v] }

// slot describes a task whose start node is in and finish node out.
func (c *cpm) slot(in, out int32) Slot {
	s := Slot{ES: c.es[in], EF: c.ef(out), LS: c.ls(in), LF: c.lf[out]}
	s.Slack = min(s.LS-s.ES, s.LF-s.EF)
	s.Critical = s.Slack == 0
	return s
}

// schedule runs the forward and backward passes over a topological order.
func (n *network) schedule(order []int32) *cpm {
	c := &cpm{n: n, es: make([]int64, len(order)), lf: make([]int64, len(order))}
	for _, v := range order {
		ef := c.ef(v)
		c.length = max(c.length, ef)
		for _, s := range n.succ(v) {
			c.es[s] = max(c.es[s], ef)
		}
	}
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		c.lf[v] = c.length
		for _, s := range n.succ(v) {
			c.lf[v] = min(c.lf[v], c.ls(s))
		}
	}
	return c
}

// path follows zero-slack nodes from the first that starts at zero to the
// end of the schedule.
func (c *cpm) path(order []int32) []int32 {
	critical := func(v int32) bool { return c.es[v] == c.ls(v) }
	i := slices.IndexFunc(order, func(v int32) bool { return c.es[v] == 0 && critical(v) })
	if i < 0 {
		return nil
	}
	path := []int32{order[i]}
	for {
		v := path[len(path)-1]
		succ := c.n.succ(v)
		j := slices.IndexFunc(succ, func(s int32) bool {
			return critical(s) && c.es[s] == c.ef(v)
		})
		if j < 0 {
			return path
		}
		path = append(path, succ[j])
	}
}

// TODO(#6): only finish-to-start dependencies without lag; no
// start-to-start or finish-to-finish links and no resource levelling.

// CriticalPath schedules the plan's tasks (see Duration) under their
// dependencies and decomposition: a summary task spans its subtasks, and a
// dependency on or of a summary task applies to all of them. The path lists
// only tasks without subtasks; Slots covers every task.
func (p *Plan) CriticalPath() Schedule {
	n := p.network(func(t *Task) int64 { return Duration(*t) })
	order, _ := n.topo() // mutations keep the network acyclic
	c := n.schedule(order)
	s := Schedule{Length: c.length, Slots: make(map[string]Slot, len(p.list))}
	for i, t := range p.list {
		s.Slots[t.ID] = c.slot(n.entry[i], n.exit[i])
	}
	for _, v := range c.path(order) {
		if n.entry[n.owner[v]] == n.exit[n.owner[v]] {
			s.Path = append(s.Path, n.ids[n.owner[v]])
		}
	}
	return s
}
