package plan

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const cny = 100 // fen per yuan

var portfolio = []Summary{
	{Project: "P1", Name: "Campus Wi-Fi", Status: ProjectActive, Department: "it", Year: 2026,
		Budget: 50_000 * cny, Owner: "zhang", Risk: RiskLow, Progress: .5, Tasks: 10, Open: 5,
		Overdue: 1, AtRisk: 1, Estimate: 1000, Logged: 400},
	{Project: "P2", Name: "ERP", Status: ProjectActive, Department: "it", Year: 2025,
		Budget: 2_000_000 * cny, Owner: "li", Risk: RiskHigh, Progress: .2, Tasks: 4, Open: 4,
		Overdue: 2, Estimate: 5000, Logged: 100},
	{Project: "P3", Name: "Catalogue", Status: ProjectClosed, Department: "lib", Year: 2025,
		Budget: 20_000 * cny, Owner: "zhang", Risk: RiskLow, Progress: 1, Tasks: 3,
		Estimate: 300, Logged: 350},
	{Project: "P4", Name: "Data centre", Status: ProjectPlanning, Department: "lib", Year: 2026,
		Budget: 15_000_000 * cny, Owner: "wang", Risk: RiskMedium, Tasks: 1, Open: 1},
	{Project: "P5", Name: "Archive scan", Status: ProjectActive, Department: "lib", Year: 2026,
		Budget: 300_000 * cny, Owner: "li", Risk: RiskHigh, Progress: .6, Tasks: 5, Open: 2,
		AtRisk: 2, Estimate: 800, Logged: 500},
}

// sumOf adds up the measures of the named projects field by field.
func sumOf(ids ...string) Totals {
	var t Totals
	for _, s := range portfolio {
		for _, id := range ids {
			if s.Project != id {
				continue
			}
			t.Projects++
			t.Budget += s.Budget
			t.Tasks += s.Tasks
			t.Open += s.Open
			t.Overdue += s.Overdue
			t.AtRisk += s.AtRisk
			t.Estimate += s.Estimate
			t.Logged += s.Logged
			t.ProgressBP += int64(s.Progress * 10000)
		}
	}
	return t
}

func group(vals []string, ids ...string) Group { return Group{Values: vals, Totals: sumOf(ids...)} }

func TestPortfolioQueries(t *testing.T) {
	all := []string{"P1", "P2", "P3", "P4", "P5"}
	tests := []struct {
		name string
		q    Query
		want Result
	}{
		{"everything", Query{}, Result{Groups: []Group{group([]string{}, all...)},
			Total: Totals{Projects: 5, Budget: 1_737_000_000, Tasks: 23, Open: 12, Overdue: 3,
				AtRisk: 3, Estimate: 7100, Logged: 1350, ProgressBP: 23000}}},
		{"by status", Query{GroupBy: []Dimension{ByStatus}}, Result{Groups: []Group{
			group([]string{"active"}, "P1", "P2", "P5"), group([]string{"closed"}, "P3"),
			group([]string{"planning"}, "P4")}, Total: sumOf(all...)}},
		{"by department and year", Query{GroupBy: []Dimension{ByDepartment, ByYear}},
			Result{Groups: []Group{group([]string{"it", "2025"}, "P2"),
				group([]string{"it", "2026"}, "P1"), group([]string{"lib", "2025"}, "P3"),
				group([]string{"lib", "2026"}, "P4", "P5")}, Total: sumOf(all...)}},
		{"high risk by owner", Query{Filter: Filter{ByRisk: {"high"}},
			GroupBy: []Dimension{ByOwner}},
			Result{Groups: []Group{group([]string{"li"}, "P2", "P5")}, Total: sumOf("P2", "P5")}},
		{"lib 2026 by band", Query{Filter: Filter{ByDepartment: {"lib"}, ByYear: {"2026"}},
			GroupBy: []Dimension{ByBand}},
			Result{Groups: []Group{group([]string{"10000000-100000000"}, "P5"),
				group([]string{"1000000000+"}, "P4")}, Total: sumOf("P4", "P5")}},
		{"zhang's open or closed by risk and band", Query{
			Filter:  Filter{ByStatus: {"active", "closed"}, ByOwner: {"zhang"}},
			GroupBy: []Dimension{ByRisk, ByBand}},
			Result{Groups: []Group{group([]string{"low", "0-10000000"}, "P1", "P3")},
				Total: sumOf("P1", "P3")}},
		{"empty filter list keeps all", Query{Filter: Filter{ByOwner: nil},
			GroupBy: []Dimension{ByRisk}},
			Result{Groups: []Group{group([]string{"high"}, "P2", "P5"),
				group([]string{"low"}, "P1", "P3"), group([]string{"medium"}, "P4")},
				Total: sumOf(all...)}},
		{"no match", Query{Filter: Filter{ByYear: {"2024"}}, GroupBy: []Dimension{ByStatus}},
			Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Portfolio(portfolio, DefaultBands, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Portfolio (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPortfolioEveryCombination groups by every subset of the dimensions
// and checks that the groups partition the filtered projects.
func TestPortfolioEveryCombination(t *testing.T) {
	for mask := range 1 << len(Dimensions) {
		var by []Dimension
		for i, d := range Dimensions {
			if mask&(1<<i) != 0 {
				by = append(by, d)
			}
		}
		got, err := Portfolio(portfolio, DefaultBands, Query{GroupBy: by})
		if err != nil {
			t.Fatal(err)
		}
		var sum Totals
		for _, g := range got.Groups {
			sum.add(g.Totals, 1)
			if len(g.Values) != len(by) {
				t.Fatalf("group by %v: values %v", by, g.Values)
			}
		}
		if sum != sumOf("P1", "P2", "P3", "P4", "P5") || got.Total != sum {
			t.Errorf("group by %v: groups sum to %+v, total %+v", by, sum, got.Total)
		}
		if len(by) == len(Dimensions) && len(got.Groups) != 5 {
			t.Errorf("grouping by every dimension gave %d groups, want 5", len(got.Groups))
		}
	}
}

func TestBands(t *testing.T) {
	tests := []struct {
		budget int64
		want   string
	}{
		{0, "0-10000000"}, {9_999_999, "0-10000000"}, {10_000_000, "10000000-100000000"},
		{999_999_999, "100000000-1000000000"}, {1_000_000_000, "1000000000+"},
		{-5, "0-10000000"},
	}
	for _, tt := range tests {
		if got := DefaultBands.Of(tt.budget); got != tt.want {
			t.Errorf("DefaultBands.Of(%d) = %q, want %q", tt.budget, got, tt.want)
		}
	}
	if got := (Bands{}).Of(7); got != "all" {
		t.Errorf("Bands{}.Of(7) = %q, want all", got)
	}
}

// TestCubeIncremental keeps a cube up to date through random adds,
// updates and removals and compares it with one built from scratch.
func TestCubeIncremental(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	live := map[string]Summary{}
	c := NewCube(DefaultBands)
	for i := range 2000 {
		id := fmt.Sprint("p", rng.IntN(50))
		if old, ok := live[id]; ok {
			c.Remove(old)
			delete(live, id)
		}
		if rng.IntN(4) > 0 {
			s := portfolio[rng.IntN(len(portfolio))]
			s.Project, s.Budget, s.Progress = id, rng.Int64N(2_000_000_000), rng.Float64()
			c.Add(s)
			live[id] = s
		}
		if i%100 != 0 {
			continue
		}
		fresh := NewCube(DefaultBands)
		for _, s := range live {
			fresh.Add(s)
		}
		if diff := cmp.Diff(fresh.Cells, c.Cells); diff != "" {
			t.Fatalf("step %d: incremental cube differs (-fresh +incremental):\n%s", i, diff)
		}
	}
}

// TestBandOrder checks that bands sort by amount, not as text.
func TestBandOrder(t *testing.T) {
	bands := Bands{0, 5_000_000, 20_000_000}
	got, err := Portfolio(portfolio, bands, Query{GroupBy: []Dimension{ByBand}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range got.Groups {
		names = append(names, g.Values[0])
	}
	want := []string{"0-5000000", "5000000-20000000", "20000000+"}
	if !cmp.Equal(names, want) {
		t.Errorf("band groups = %v, want %v", names, want)
	}
}

func TestQueryCheck(t *testing.T) {
	tests := []struct {
		q    Query
		want string
	}{
		{Query{GroupBy: []Dimension{"colour"}},
			`plan: portfolio query: group_by[0]: unknown dimension "colour"`},
		{Query{GroupBy: []Dimension{ByYear, ByYear}},
			`plan: portfolio query: group_by[1]: "year" repeated`},
		{Query{Filter: Filter{"colour": {"red"}}},
			`plan: portfolio query: filter: unknown dimension "colour"`},
	}
	for _, tt := range tests {
		_, err := Portfolio(portfolio, DefaultBands, tt.q)
		wantErr(t, err, ErrInvalid)
		if err.Error() != tt.want {
			t.Errorf("Portfolio(%+v) = %q, want %q", tt.q, err, tt.want)
		}
	}
}

func TestDrill(t *testing.T) {
	got := Drill(portfolio, DefaultBands, Filter{ByStatus: {"active"}, ByRisk: {"high"}})
	var ids []string
	for _, s := range got {
		ids = append(ids, s.Project)
	}
	if want := []string{"P5", "P2"}; !cmp.Equal(ids, want) { // by name: Archive, ERP
		t.Errorf("Drill = %v, want %v", ids, want)
	}
}
