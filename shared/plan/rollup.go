package plan

import (
	"cmp"
	"slices"
)

// Rollup is the progress of every task, milestone and the project, each a
// fraction from 0 to 1, computed by (*Plan).Rollup under these rules:
//
//   - A task without active subtasks counts 1 when done and otherwise its
//     reported Progress, capped at 99%: only done is complete.
//   - A cancelled task is left out, with its whole subtree, of every
//     average above it; its own entry is 0.
//   - A task with active (not left out) subtasks counts the weighted mean of
//     them. Its weight, its effective estimate, is the sum of theirs, or its
//     own Estimate when that sum is zero.
//   - In every mean, a task weighs its effective estimate; a task without
//     one weighs the mean of its estimated siblings in that mean, and when
//     none is estimated all weigh the same.
//   - A milestone counts the weighted mean of its top tasks: those whose
//     effective milestone (own, else the nearest ancestor's) is it while
//     their parent's is not. A milestone without active tasks counts 1 if
//     accepted, else 0.
//   - The project counts the weighted mean of its active top-level tasks,
//     and 0 without any.
type Rollup struct {
	Project    float64
	Tasks      map[string]float64
	Milestones map[string]float64
	Estimates  map[string]int64 // effective estimate per active task, minutes
}

// preorder returns the task ids parents first, children in order.
func (p *Plan) preorder() []string {
	out := make([]string, 0, len(p.list))
	stack := []string{""}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id != "" {
			out = append(out, id)
		}
		kids := p.kids[id]
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, kids[i])
		}
	}
	return out
}

// tree is the decomposition in index form: per task (by index in
// p.list) its parent index (-1 at the top level) and children in CSR form,
// plus an order that lists parents before their children.
type tree struct {
	parent   []int32
	off, kid []int32 // children of i: kid[off[i]:off[i+1]]; top level: off[k]:off[k+1]
	pre      []int32
}

func (p *Plan) tree() *tree {
	k := len(p.list)
	tr := &tree{parent: make([]int32, k), off: make([]int32, k+2), kid: make([]int32, k)}
	for i, t := range p.list {
		tr.parent[i] = -1
		if t.Parent != "" {
			tr.parent[i] = p.pos[t.Parent]
		}
		tr.off[tr.slot(int32(i))+1]++
	}
	for i := range k + 1 {
		tr.off[i+1] += tr.off[i]
	}
	next := slices.Clone(tr.off)
	for i := range int32(k) {
		s := tr.slot(i)
		tr.kid[next[s]] = i
		next[s]++
	}
	tr.pre = make([]int32, 0, k)
	tr.pre = append(tr.pre, tr.kids(int32(k))...)
	for j := 0; j < len(tr.pre); j++ {
		tr.pre = append(tr.pre, tr.kids(tr.pre[j])...)
	}
	return tr
}

// slot is where task i is listed as a child: its parent, or k at the top.
func (tr *tree) slot(i int32) int32 {
	if tr.parent[i] < 0 {
		return int32(len(tr.parent))
	}
	return tr.parent[i]
}

func (tr *tree) kids(i int32) []int32 { return tr.kid[tr.off[i]:tr.off[i+1]] }

// rolling is the working state of a rollup, by task index.
type rolling struct {
	out  []bool // cancelled, or under a cancelled task
	prog []float64
	est  []int64
}

// Rollup computes progress from the tasks up; see Rollup for the rules.
func (p *Plan) Rollup() Rollup {
	k := len(p.list)
	tr := p.tree()
	w := rolling{out: make([]bool, k), prog: make([]float64, k), est: make([]int64, k)}
	for _, i := range tr.pre {
		pa := tr.parent[i]
		w.out[i] = p.list[i].Status == Cancelled || pa >= 0 && w.out[pa]
	}
	var buf []int32
	for j := len(tr.pre) - 1; j >= 0; j-- {
		i := tr.pre[j]
		if w.out[i] {
			continue
		}
		buf = w.active(buf[:0], tr.kids(i))
		t := p.list[i]
		if len(buf) == 0 {
			w.prog[i], w.est[i] = leafProgress(t), t.Estimate
			continue
		}
		w.prog[i], w.est[i] = w.mean(buf)
		if w.est[i] == 0 {
			w.est[i] = t.Estimate
		}
	}
	r := Rollup{Tasks: make(map[string]float64, k), Estimates: make(map[string]int64, k),
		Milestones: make(map[string]float64, len(p.msOrder))}
	r.Project, _ = w.mean(w.active(buf[:0], tr.kids(int32(k))))
	for i, t := range p.list {
		r.Tasks[t.ID] = w.prog[i]
		if !w.out[i] {
			r.Estimates[t.ID] = w.est[i]
		}
	}
	p.rollMilestones(&r, tr, &w)
	return r
}

func (w *rolling) active(dst, ids []int32) []int32 {
	for _, i := range ids {
		if !w.out[i] {
			dst = append(dst, i)
		}
	}
	return dst
}

func leafProgress(t *Task) float64 {
	if t.Status == Done {
		return 1
	}
	return float64(min(t.Progress, 99)) / 100
}

// mean returns the weighted mean progress of tasks ids and the sum of
// their effective estimates.
func (w *rolling) mean(ids []int32) (float64, int64) {
	if len(ids) == 0 {
		return 0, 0
	}
	var sum int64
	estimated := 0
	for _, i := range ids {
		if e := w.est[i]; e > 0 {
			sum += e
			estimated++
		}
	}
	fill := 1.0
	if estimated > 0 {
		fill = float64(sum) / float64(estimated)
	}
	var num, den float64
	for _, i := range ids {
		wt := float64(w.est[i])
		if wt == 0 {
			wt = fill
		}
		num += wt * w.prog[i]
		den += wt
	}
	return num / den, sum
}

func (p *Plan) rollMilestones(r *Rollup, tr *tree, w *rolling) {
	if len(p.msOrder) == 0 {
		return
	}
	eff := make([]string, len(p.list))
	tops := map[string][]int32{}
	for _, i := range tr.pre {
		t, parentMs := p.list[i], ""
		if pa := tr.parent[i]; pa >= 0 {
			parentMs = eff[pa]
		}
		eff[i] = cmp.Or(t.Milestone, parentMs)
		if eff[i] != "" && eff[i] != parentMs && !w.out[i] {
			tops[eff[i]] = append(tops[eff[i]], i)
		}
	}
	for _, ms := range p.msOrder {
		switch {
		case len(tops[ms]) > 0:
			r.Milestones[ms], _ = w.mean(tops[ms])
		case p.milestones[ms].Accepted():
			r.Milestones[ms] = 1
		default:
			r.Milestones[ms] = 0
		}
	}
}
