package projects

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// seedProjects writes n project rows of the university with today's
// summaries, straight into the table.
func (st *stack) seedProjects(n int) {
	st.t.Helper()
	today := plan.DateOf(st.clock.Now())
	statuses := []plan.ProjectStatus{plan.ProjectPlanning, plan.ProjectActive,
		plan.ProjectOnHold, plan.ProjectClosed}
	var writes []tables.Write
	for i := range n {
		id := fmt.Sprintf("pbench%08d", i)
		pr := plan.Project{ID: id, Name: "项目 " + strconv.Itoa(i),
			Org: plan.Organization{Corp: uni}, Department: strconv.Itoa(4 + i%2),
			Owner: appsLead, Year: 2024 + i%3, Budget: int64(i%50) * 100_000_00,
			Risk: plan.RiskLow, Status: statuses[i%len(statuses)]}
		sum := plan.Summary{Project: id, Name: pr.Name, Corp: uni, Status: pr.Status,
			Department: pr.Department, Year: pr.Year, Budget: pr.Budget, Owner: pr.Owner,
			Risk: pr.Risk, Progress: float64(i%10) / 10, Tasks: 12, Open: 5, Overdue: i % 3}
		cols := projectCols(Record{Project: pr, CreatedBy: appsLead})
		cols[tables.VerColumn] = int64(1)
		cols[colSummary] = mustJSON(sum)
		cols[colSummaryDay] = today.String()
		writes = append(writes, tables.Write{Op: tables.OpPut, Table: tables.Project.Name,
			Key: projectKey(uni, id), Cols: cols})
	}
	if _, err := st.db.BatchWrite(context.Background(), writes); err != nil {
		st.t.Fatal(err)
	}
}

// BenchmarkExecutiveView reports the Tablestore reads of one executive-view
// request (session check included) as the organization grows, once the
// day's portfolio is built.
func BenchmarkExecutiveView(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("projects=%d", n), func(b *testing.B) {
			var c otstest.ReadCounter
			st := newStackVia(b, c.Wrap)
			st.seedProjects(n)
			st.as(president)
			// The first view of the day rebuilds the portfolio from the rows.
			st.must(president, "GET", "/api/views/executive", nil, http.StatusOK, nil)
			c.N.Store(0)
			b.ResetTimer()
			for range b.N {
				var v ExecutiveView
				st.must(president, "GET", "/api/views/executive?groupBy=status,department",
					nil, http.StatusOK, &v)
				if v.Total.Projects != n {
					b.Fatalf("portfolio of %d projects, want %d", v.Total.Projects, n)
				}
				st.log = nil
			}
			b.ReportMetric(float64(c.N.Load())/float64(b.N), "reads/op")
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
