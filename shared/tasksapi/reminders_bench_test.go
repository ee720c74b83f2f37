package tasksapi

import (
	"context"
	"fmt"
	"testing"

	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/plan"
)

// seedReminders writes one university project with 3 tasks of dev1 due by
// tomorrow and n more open tasks due next month, split between dev1 and dev2.
func (st *stack) seedReminders(n int) {
	st.t.Helper()
	at := plan.Actor{User: director, At: st.clock.Now()}
	pr := plan.Project{ID: "prem", Name: "提醒", Org: plan.Organization{Corp: uni, Name: uni}}
	p, _, err := plan.New(at, pr, plan.Member{User: director, Corp: uni, Role: plan.RoleLead})
	if err != nil {
		st.t.Fatal(err)
	}
	for _, u := range []string{dev1, dev2} {
		if _, err := p.AddMember(at, plan.Member{User: u, Corp: uni,
			Role: plan.RoleMember}); err != nil {
			st.t.Fatal(err)
		}
	}
	today := plan.DateOf(start)
	for k := range n + 3 {
		due, who := today+plan.Date(30+k%30), []string{dev1, dev2}[k%2]
		if k < 3 {
			due, who = today-plan.Date(k)+1, dev1 // tomorrow, today, yesterday
		}
		if _, _, err := p.AddTask(at, plan.NewTask{Title: fmt.Sprint("任务 ", k),
			Assignees: []string{who}, Due: due}); err != nil {
			st.t.Fatal(err)
		}
	}
	if err := st.store.InsertPlan(context.Background(), p, director, at.At); err != nil {
		st.t.Fatal(err)
	}
}

// BenchmarkReminderReads measures the Tablestore reads of one reminders run
// over the university as its open tasks grow from 10 to 1,000 (goal: flat,
// about one read per member plus the candidates, never a read per task).
func BenchmarkReminderReads(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("open_tasks=%d", n), func(b *testing.B) {
			var reads otstest.ReadCounter
			st := newStackVia(b, reads.Wrap)
			st.seedReminders(n)
			rem, err := NewReminders(st.db, Config{Now: st.clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			var rep ReminderReport
			reads.N.Store(0)
			b.ResetTimer()
			for range b.N {
				if rep, err = rem.RunCorp(context.Background(), uni); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if rep.Candidates != 3 || rep.DueTomorrow != 1 || rep.Overdue != 1 {
				b.Fatalf("report %+v, want 3 candidates: 1 due tomorrow, 1 overdue", rep)
			}
			b.ReportMetric(float64(reads.N.Load())/float64(b.N), "reads/run")
			b.ReportMetric(float64(rep.Users), "members")
		})
	}
}
