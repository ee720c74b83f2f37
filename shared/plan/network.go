package plan

import "slices"

// network is the activity-on-node graph behind cycle checks and the
// critical path. A task without subtasks is one node whose duration is the
// task's; a task with subtasks is two zero-duration nodes, its start and its
// finish, with edges start → finish, start → each child's entry and each
// child's exit → finish. A dependency "B after A" is an edge from A's exit to B's entry.
// Decomposition and dependencies are consistent exactly when this graph has
// no cycle, which also refuses a dependency between a task and its ancestor.
type network struct {
	ids         []string // task ids by task index (creation order)
	entry, exit []int32  // per task: its start node and its finish node
	owner       []int32  // per node: the task index
	dur         []int64  // per node
	edges       [][2]int32
	off, adj    []int32 // successors of node v: adj[off[v]:off[v+1]]
}

func (n *network) node(task int32, d int64) int32 {
	n.owner = append(n.owner, task)
	n.dur = append(n.dur, d)
	return int32(len(n.owner) - 1)
}

func (n *network) edge(from, to int32) { n.edges = append(n.edges, [2]int32{from, to}) }

// freeze turns the edge list into compressed adjacency, keeping the order
// in which each node's edges were added.
func (n *network) freeze() {
	n.off = make([]int32, len(n.owner)+1)
	for _, e := range n.edges {
		n.off[e[0]+1]++
	}
	for v := range len(n.owner) {
		n.off[v+1] += n.off[v]
	}
	n.adj = make([]int32, len(n.edges))
	next := slices.Clone(n.off[:len(n.owner)])
	for _, e := range n.edges {
		n.adj[next[e[0]]] = e[1]
		next[e[0]]++
	}
	n.edges = nil
}

func (n *network) succ(v int32) []int32 { return n.adj[n.off[v]:n.off[v+1]] }

func (n *network) size() int { return len(n.owner) }

// network builds the graph; dur gives each leaf task's duration.
func (p *Plan) network(dur func(*Task) int64) *network {
	k := len(p.list)
	n := &network{ids: make([]string, k), entry: make([]int32, k), exit: make([]int32, k),
		owner: make([]int32, 0, k+k/8), dur: make([]int64, 0, k+k/8),
		edges: make([][2]int32, 0, 3*k)}
	for i, t := range p.list {
		n.ids[i] = t.ID
		if len(p.kids[t.ID]) > 0 {
			n.entry[i], n.exit[i] = n.node(int32(i), 0), n.node(int32(i), 0)
			n.edge(n.entry[i], n.exit[i])
			continue
		}
		var d int64
		if dur != nil {
			d = dur(t)
		}
		n.entry[i] = n.node(int32(i), d)
		n.exit[i] = n.entry[i]
	}
	for i, t := range p.list {
		if t.Parent != "" {
			parent := p.pos[t.Parent]
			n.edge(n.entry[parent], n.entry[i])
			n.edge(n.exit[i], n.exit[parent])
		}
		for _, pred := range t.After {
			n.edge(n.exit[p.pos[pred]], n.entry[i])
		}
	}
	n.freeze()
	return n
}

// topo returns the nodes in topological order, or nil and one cycle of
// nodes (first = last) when there is none.
func (n *network) topo() (order, cycle []int32) {
	indeg := make([]int32, n.size())
	for _, s := range n.adj {
		indeg[s]++
	}
	order = make([]int32, 0, n.size())
	for v, d := range indeg {
		if d == 0 {
			order = append(order, int32(v))
		}
	}
	for i := 0; i < len(order); i++ {
		for _, s := range n.succ(order[i]) {
			if indeg[s]--; indeg[s] == 0 {
				order = append(order, s)
			}
		}
	}
	if len(order) == n.size() {
		return order, nil
	}
	return nil, n.findCycle(indeg)
}

// findCycle walks backwards among the nodes Kahn's algorithm left over
// (indeg > 0): each has a left-over predecessor, so the walk must repeat a
// node, and the repeated stretch is a cycle.
func (n *network) findCycle(indeg []int32) []int32 {
	pred := make([]int32, n.size())
	start := int32(-1)
	for v := range int32(n.size()) {
		if indeg[v] == 0 {
			continue
		}
		start = v
		for _, s := range n.succ(v) {
			if indeg[s] > 0 {
				pred[s] = v
			}
		}
	}
	seen := map[int32]int{}
	var walk []int32
	for v := start; ; v = pred[v] {
		if at, ok := seen[v]; ok {
			loop := slices.Clone(walk[at:])
			slices.Reverse(loop)
			return append(loop, loop[0])
		}
		seen[v] = len(walk)
		walk = append(walk, v)
	}
}

// taskCycle turns a node cycle into task ids, dropping repeats of the same
// task in a row and starting at task first when it is on the loop.
func (n *network) taskCycle(nodes []int32, first string) []string {
	var ids []string
	for _, v := range nodes[:len(nodes)-1] {
		id := n.ids[n.owner[v]]
		if len(ids) == 0 || ids[len(ids)-1] != id {
			ids = append(ids, id)
		}
	}
	for len(ids) > 1 && ids[0] == ids[len(ids)-1] {
		ids = ids[:len(ids)-1]
	}
	if i := slices.Index(ids, first); i > 0 {
		ids = append(ids[i:], ids[:i]...)
	}
	return append(ids, ids[0])
}

// TODO(#6): every structural change rebuilds the network of the whole plan
// (a few milliseconds at 10,000 tasks); an incremental reachability check
// would make bulk edits of very large plans cheaper.

// cycle reports a cycle in decomposition and dependencies as task ids
// starting at first, or nil.
func (p *Plan) cycle(first string) []string {
	n := p.network(nil)
	if _, c := n.topo(); c != nil {
		return n.taskCycle(c, first)
	}
	return nil
}
