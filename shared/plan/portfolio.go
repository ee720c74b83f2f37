package plan

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Summary is what the portfolio knows of one project: its dimensions and
// measures. (*Plan).Summary computes it; storage keeps it beside the plan.
type Summary struct {
	Project    string
	Name       string
	Corp       string
	Status     ProjectStatus
	Department string
	Year       int
	Budget     int64 // fen
	Owner      string
	Risk       Risk
	Progress   float64 // the project rollup, 0..1
	Tasks      int     // active tasks (not cancelled)
	Open       int     // active tasks not done
	Overdue    int     // open tasks due before today
	AtRisk     int     // milestones at risk (see MilestoneRisks)
	Estimate   int64   // minutes, the project's effective estimate
	Logged     int64   // minutes logged
}

// Summary summarizes the plan as of today.
func (p *Plan) Summary(today Date) Summary {
	r := p.Rollup()
	return p.summary(today, r, len(p.milestoneRisks(today, r)))
}

func (p *Plan) summary(today Date, r Rollup, atRisk int) Summary {
	pr := p.project
	s := Summary{Project: pr.ID, Name: pr.Name, Corp: pr.Org.Corp, Status: pr.Status,
		Department: pr.Department, Year: pr.Year, Budget: pr.Budget, Owner: pr.Owner,
		Risk: pr.Risk, Progress: r.Project, AtRisk: atRisk}
	for _, t := range p.list {
		if t.Status == Cancelled {
			continue
		}
		s.Tasks++
		if t.Status != Done {
			s.Open++
			if overdue(t, today) {
				s.Overdue++
			}
		}
	}
	for _, id := range p.kids[""] {
		s.Estimate += r.Estimates[id]
	}
	for _, w := range p.logs {
		s.Logged += w.Minutes
	}
	return s
}

func overdue(t *Task, today Date) bool {
	return !t.Status.Closed() && t.Due != 0 && t.Due < today
}

// Dimension is an attribute by which the portfolio is filtered and grouped.
type Dimension string

// Portfolio dimensions.
const (
	ByStatus     Dimension = "status"
	ByDepartment Dimension = "department"
	ByYear       Dimension = "year"
	ByBand       Dimension = "band" // budget band, see Bands
	ByOwner      Dimension = "owner"
	ByRisk       Dimension = "risk"
)

// Dimensions lists every dimension, in Key order.
var Dimensions = []Dimension{ByStatus, ByDepartment, ByYear, ByBand, ByOwner, ByRisk}

// Bands are ascending budget thresholds in fen. A budget belongs to the
// band that starts at the highest threshold it reaches (budgets below the
// first threshold count in the first band). Bands are named "lo-hi", the
// last "lo+".
type Bands []int64

// DefaultBands splits budgets at 100 thousand, 1 million and 10 million CNY.
var DefaultBands = Bands{0, 100_000_00, 1_000_000_00, 10_000_000_00}

// Of names the band of budget, e.g. "10000000-100000000" or "1000000000+";
// with no thresholds every budget is in band "all".
func (b Bands) Of(budget int64) string {
	if len(b) == 0 {
		return "all"
	}
	i := len(b) - 1
	for i > 0 && budget < b[i] {
		i--
	}
	if i == len(b)-1 {
		return strconv.FormatInt(b[i], 10) + "+"
	}
	return strconv.FormatInt(b[i], 10) + "-" + strconv.FormatInt(b[i+1], 10)
}

// Key places a project in the portfolio: its value in each dimension, in
// Dimensions order.
type Key [6]string

// KeyOf returns the key of s under bands.
func KeyOf(s Summary, bands Bands) Key {
	return Key{string(s.Status), s.Department, strconv.Itoa(s.Year), bands.Of(s.Budget),
		s.Owner, string(s.Risk)}
}

// Totals are the portfolio measures of a set of projects.
type Totals struct {
	Projects   int
	Budget     int64
	Tasks      int
	Open       int
	Overdue    int
	AtRisk     int
	Estimate   int64
	Logged     int64
	ProgressBP int64 // sum of project progress in basis points; see Progress
}

// Progress returns the mean project progress, 0..1.
func (t Totals) Progress() float64 {
	if t.Projects == 0 {
		return 0
	}
	return float64(t.ProgressBP) / 10000 / float64(t.Projects)
}

func totalsOf(s Summary) Totals {
	return Totals{Projects: 1, Budget: s.Budget, Tasks: s.Tasks, Open: s.Open,
		Overdue: s.Overdue, AtRisk: s.AtRisk, Estimate: s.Estimate, Logged: s.Logged,
		ProgressBP: int64(math.Round(s.Progress * 10000))}
}

// add adds u to t, or subtracts it when sign is -1.
func (t *Totals) add(u Totals, sign int) {
	t.Projects += sign * u.Projects
	t.Budget += int64(sign) * u.Budget
	t.Tasks += sign * u.Tasks
	t.Open += sign * u.Open
	t.Overdue += sign * u.Overdue
	t.AtRisk += sign * u.AtRisk
	t.Estimate += int64(sign) * u.Estimate
	t.Logged += int64(sign) * u.Logged
	t.ProgressBP += int64(sign) * u.ProgressBP
}

// Cube holds portfolio totals at the finest grain, one cell per Key, so
// that storage can keep it up to date on every write (Add the new summary,
// Remove the old) and answer any query from it without reading projects.
type Cube struct {
	Bands Bands
	Cells map[Key]Totals
}

// NewCube returns an empty cube with the given bands.
func NewCube(b Bands) *Cube { return &Cube{Bands: b, Cells: map[Key]Totals{}} }

// Add counts s in the cube.
func (c *Cube) Add(s Summary) { c.apply(s, 1) }

// Remove takes s, counted earlier by Add, out of the cube.
func (c *Cube) Remove(s Summary) { c.apply(s, -1) }

func (c *Cube) apply(s Summary, sign int) {
	k := KeyOf(s, c.Bands)
	t := c.Cells[k]
	t.add(totalsOf(s), sign)
	if t.Projects == 0 {
		delete(c.Cells, k)
		return
	}
	c.Cells[k] = t
}

// Filter keeps the projects whose value in each dimension is one of the
// listed values; an empty list keeps every value. Values are written as
// Key holds them: years in decimal ("2026"), bands as Bands.Of names them.
type Filter map[Dimension][]string

// Query asks for the totals of the projects that pass Filter, grouped by
// the GroupBy dimensions (none: one group).
type Query struct {
	Filter  Filter
	GroupBy []Dimension
}

// Group is one row of a query result: the values of the GroupBy
// dimensions, in GroupBy order, and the totals of its projects.
type Group struct {
	Values []string
	Totals
}

// Result is the answer to a Query: groups sorted by their values (years
// and budget bands by number, other dimensions as text), and the
// grand total of every project that passed the filter.
type Result struct {
	Groups []Group
	Total  Totals
}

func dimIndex(d Dimension) int { return slices.Index(Dimensions, d) }

// Check validates q's dimensions.
func (q Query) Check() error {
	o := op{"portfolio query", ""}
	for d := range q.Filter {
		if dimIndex(d) < 0 {
			return o.invalid("filter", fmt.Sprintf("unknown dimension %q", d))
		}
	}
	for i, d := range q.GroupBy {
		if dimIndex(d) < 0 {
			return o.invalid(fmt.Sprintf("group_by[%d]", i), fmt.Sprintf("unknown dimension %q", d))
		}
		if slices.Index(q.GroupBy, d) < i {
			return o.invalid(fmt.Sprintf("group_by[%d]", i), fmt.Sprintf("%q repeated", d))
		}
	}
	return nil
}

// Match reports whether key k passes f.
func (f Filter) Match(k Key) bool {
	for d, vals := range f {
		if len(vals) > 0 && !slices.Contains(vals, k[dimIndex(d)]) {
			return false
		}
	}
	return true
}

// Query answers q from the cube's cells.
func (c *Cube) Query(q Query) (Result, error) {
	if err := q.Check(); err != nil {
		return Result{}, err
	}
	groups := map[string]*Group{}
	var r Result
	for k, t := range c.Cells {
		if !q.Filter.Match(k) {
			continue
		}
		r.Total.add(t, 1)
		vals := make([]string, len(q.GroupBy))
		for i, d := range q.GroupBy {
			vals[i] = k[dimIndex(d)]
		}
		id := fmt.Sprintf("%q", vals)
		g := groups[id]
		if g == nil {
			g = &Group{Values: vals}
			groups[id] = g
		}
		g.add(t, 1)
	}
	for _, g := range groups {
		r.Groups = append(r.Groups, *g)
	}
	slices.SortFunc(r.Groups, func(a, b Group) int {
		for i, d := range q.GroupBy {
			if c := compareValues(d, a.Values[i], b.Values[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	return r, nil
}

// compareValues orders years and budget bands by number, the rest as text.
func compareValues(d Dimension, a, b string) int {
	if d == ByYear || d == ByBand {
		if c := cmp.Compare(leadingInt(a), leadingInt(b)); c != 0 {
			return c
		}
	}
	return cmp.Compare(a, b)
}

func leadingInt(s string) int64 {
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && s[end] == '-') {
		end++
	}
	n, _ := strconv.ParseInt(s[:end], 10, 64)
	return n
}

// Portfolio answers q over a list of summaries.
func Portfolio(sums []Summary, bands Bands, q Query) (Result, error) {
	c := NewCube(bands)
	for _, s := range sums {
		c.Add(s)
	}
	return c.Query(q)
}

// Drill lists the summaries that pass f, the drill-down behind a portfolio
// group, ordered by name and then project id.
func Drill(sums []Summary, bands Bands, f Filter) []Summary {
	var out []Summary
	for _, s := range sums {
		if f.Match(KeyOf(s, bands)) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Summary) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Project, b.Project))
	})
	return out
}
