package tasksapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/plan"
)

// seedStaff writes n projects per organization (owned alternately by the
// university and the supplier), each with 8 tasks of which 4 are dev1's,
// through projects.Store.InsertPlan.
func (st *stack) seedStaff(n int) {
	st.t.Helper()
	at := plan.Actor{At: st.clock.Now()}
	for i := range 2 * n {
		corp, partner, lead := uni, sup, director
		if i%2 == 1 {
			corp, partner, lead = sup, uni, acmePM
		}
		at.User = lead
		pr := plan.Project{ID: fmt.Sprintf("pstaff%04d", i), Name: fmt.Sprint("项目 ", i),
			Org:      plan.Organization{Corp: corp, Name: corp},
			Partners: []plan.Organization{{Corp: partner, Name: partner}}}
		p, _, err := plan.New(at, pr, plan.Member{User: lead, Corp: corp, Role: plan.RoleLead})
		if err != nil {
			st.t.Fatal(err)
		}
		for _, u := range []string{dev1, dev2} {
			if _, err := p.AddMember(at, plan.Member{User: u, Corp: uni,
				Role: plan.RoleMember}); err != nil {
				st.t.Fatal(err)
			}
		}
		for k := range 8 {
			who := []string{dev1, dev2}[k%2]
			due := plan.DateOf(start) + plan.Date(i+k)
			if _, _, err := p.AddTask(at, plan.NewTask{Title: fmt.Sprint("任务 ", k),
				Assignees: []string{who}, Due: due}); err != nil {
				st.t.Fatal(err)
			}
		}
		if err := st.store.InsertPlan(context.Background(), p, lead, at.At); err != nil {
			st.t.Fatal(err)
		}
	}
}

// BenchmarkStaffView measures GET /api/tasks/me (session check included)
// for a user with 40 open tasks in 10 projects of two organizations, from
// 4 concurrent clients per core over HTTP: requests per second, and the
// Tablestore reads per request.
func BenchmarkStaffView(b *testing.B) {
	var reads otstest.ReadCounter
	st := newStackVia(b, reads.Wrap)
	st.seedStaff(5)
	a := st.must(http.StatusOK, dev1, "GET", "/api/tasks/me", nil)
	var first MyTasks
	a.decode(b, &first)
	if len(first.Items) != 40 {
		b.Fatalf("staff view has %d tasks, want 40", len(first.Items))
	}
	reads.N.Store(0)
	b.SetParallelism(4)
	began := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if a := st.do(dev1, "GET", "/api/tasks/me", nil, ""); a.status != 200 {
				b.Errorf("staff view = %d %s", a.status, a.body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "req/s")
	b.ReportMetric(float64(reads.N.Load())/float64(b.N), "reads/req")
}
