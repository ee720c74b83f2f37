package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// chain adds n tasks, each a subtask of the one before; it returns their ids.
func chain(t *testing.T, p *Plan, n int) []string {
	t.Helper()
	var ids []string
	parent := ""
	for i := range n {
		task := mustTask(t, p, by(lead, day0), NewTask{Title: fmt.Sprint("level ", i),
			Parent: parent})
		ids = append(ids, task.ID)
		parent = task.ID
	}
	return ids
}

func TestMoveUnderDescendant(t *testing.T) {
	p := newPlan(t)
	chain(t, p, 2) // T-1 ⊃ T-2
	_, _, err := p.Move(by(lead, day0), "T-1", "T-2")
	wantErr(t, err, ErrCycle)
	want := `plan: move task "T-1": would create a cycle T-1 → T-2 → T-1`
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	_, _, err = p.Move(by(lead, day0), "T-2", "T-2")
	wantErr(t, err, ErrCycle)
	if got := err.(*Error).Cycle; !cmp.Equal(got, []string{"T-2", "T-2"}) {
		t.Errorf("self move cycle = %v", got)
	}
}

func TestMoveUnderDeepDescendant(t *testing.T) {
	p := newPlan(t)
	ids := chain(t, p, 60)
	before := p.Snapshot()
	_, _, err := p.Move(by(lead, day0), ids[0], ids[59])
	wantErr(t, err, ErrCycle)
	want := []string{ids[0]}
	for i := 59; i >= 0; i-- {
		want = append(want, ids[i])
	}
	if diff := cmp.Diff(want, err.(*Error).Cycle); diff != "" {
		t.Errorf("cycle (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, p.Snapshot()); diff != "" {
		t.Errorf("refused move changed the plan (-before +after):\n%s", diff)
	}
	// Moving a middle level to the top is fine, and so is putting it back.
	must(p.Move(by(lead, day0), ids[30], "")).of(t)
	must(p.Move(by(lead, day0), ids[30], ids[29])).of(t)
	if diff := cmp.Diff(before.Tasks[30].Parent, p.Snapshot().Tasks[30].Parent); diff != "" {
		t.Error(diff)
	}
}

// TestDependencyCycles covers loops through dependencies alone and through
// dependencies mixed with decomposition.
func TestDependencyCycles(t *testing.T) {
	tests := []struct {
		name  string
		setup []NewTask // created as T-1, T-2, ...
		task  string    // AddDependency(task, pred)
		pred  string
		want  string // "" when allowed
	}{
		{"self", []NewTask{{Title: "a"}}, "T-1", "T-1", "T-1 → T-1"},
		{"two", []NewTask{{Title: "a"}, {Title: "b", After: []string{"T-1"}}},
			"T-1", "T-2", "T-1 → T-2 → T-1"},
		{"three", []NewTask{{Title: "a"}, {Title: "b", After: []string{"T-1"}},
			{Title: "c", After: []string{"T-2"}}}, "T-1", "T-3", "T-1 → T-2 → T-3 → T-1"},
		{"chain ok", []NewTask{{Title: "a"}, {Title: "b", After: []string{"T-1"}},
			{Title: "c"}}, "T-3", "T-2", ""},
		{"child after parent", []NewTask{{Title: "p"}, {Title: "c", Parent: "T-1"}},
			"T-2", "T-1", "T-2 → T-1 → T-2"},
		{"parent after child", []NewTask{{Title: "p"}, {Title: "c", Parent: "T-1"}},
			"T-1", "T-2", "T-1 → T-2 → T-1"},
		{"through summary", []NewTask{{Title: "p"}, {Title: "c1", Parent: "T-1"},
			{Title: "c2", Parent: "T-1"}, {Title: "x", After: []string{"T-1"}}},
			"T-2", "T-4", "T-2 → T-1 → T-4 → T-2"},
		{"sibling of summary ok", []NewTask{{Title: "p"}, {Title: "c1", Parent: "T-1"},
			{Title: "x", After: []string{"T-1"}}, {Title: "y"}}, "T-2", "T-4", ""},
		{"cousins", []NewTask{{Title: "p"}, {Title: "c", Parent: "T-1"},
			{Title: "q", After: []string{"T-1"}}, {Title: "d", Parent: "T-3"}},
			"T-2", "T-4", "T-2 → T-1 → T-3 → T-4 → T-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlan(t)
			for _, in := range tt.setup {
				mustTask(t, p, by(lead, day0), in)
			}
			before := p.Snapshot()
			_, acts, err := p.AddDependency(by(lead, day0), tt.task, tt.pred)
			if tt.want == "" {
				if err != nil || len(acts) != 1 {
					t.Fatalf("AddDependency: %v, %v", acts, err)
				}
				return
			}
			wantErr(t, err, ErrCycle)
			want := fmt.Sprintf("plan: add dependency %q: would create a cycle %s", tt.task,
				tt.want)
			if err.Error() != want {
				t.Errorf("err = %q\nwant  %q", err, want)
			}
			if diff := cmp.Diff(before, p.Snapshot()); diff != "" {
				t.Errorf("refused dependency changed the plan:\n%s", diff)
			}
		})
	}
}

func TestMoveCreatesDependencyCycle(t *testing.T) {
	p := newPlan(t)
	mustTask(t, p, by(lead, day0), NewTask{Title: "a"})
	mustTask(t, p, by(lead, day0), NewTask{Title: "b", After: []string{"T-1"}})
	for _, mv := range [][2]string{{"T-2", "T-1"}, {"T-1", "T-2"}} {
		_, _, err := p.Move(by(lead, day0), mv[0], mv[1])
		wantErr(t, err, ErrCycle)
		if !strings.HasPrefix(err.Error(),
			fmt.Sprintf("plan: move task %q: would create a cycle %s →", mv[0], mv[0])) {
			t.Errorf("move %s under %s: err = %v", mv[0], mv[1], err)
		}
	}
	if tk, _ := p.Task("T-2"); tk.Parent != "" {
		t.Errorf("refused move left parent %q", tk.Parent)
	}
	if kids := p.Children(""); !cmp.Equal(kids, []string{"T-1", "T-2"}) {
		t.Errorf("top-level = %v after refused moves", kids)
	}
}

// TestDeepDecompositionCycle closes a loop from the bottom of a 300-level
// decomposition to a task that depends on its top.
func TestDeepDecompositionCycle(t *testing.T) {
	p := newPlan(t)
	ids := chain(t, p, 300)
	after := mustTask(t, p, by(lead, day0), NewTask{Title: "after all", After: []string{ids[0]}})
	_, _, err := p.AddDependency(by(lead, day0), ids[299], after.ID)
	wantErr(t, err, ErrCycle)
	c := err.(*Error).Cycle
	if c[0] != ids[299] || c[len(c)-1] != ids[299] || !strings.Contains(strings.Join(c, " "),
		ids[0]+" "+after.ID) {
		t.Errorf("cycle = %v", c)
	}
	if len(c) != 302 {
		t.Errorf("cycle has %d ids, want 302 (300 levels, the dependent, the repeat)", len(c))
	}
}
