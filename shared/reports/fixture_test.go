package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// noon returns 12:00 CST on day d.
func noon(d plan.Date) time.Time {
	return d.Time().Add(4 * time.Hour) // 12:00 CST is 04:00 UTC
}

func by(user string, d plan.Date) plan.Actor { return plan.Actor{User: user, At: noon(d)} }

func day(m time.Month, d int) plan.Date { return plan.NewDate(2026, m, d) }

// builder applies plan changes and fails the test on the first error.
type builder struct {
	t *testing.T
	p *plan.Plan
}

func (b builder) ok(_ any, _ []plan.Activity, err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

func (b builder) ok2(_ []plan.Activity, err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

func (b builder) task(a plan.Actor, title string, ms string, est int64, due plan.Date,
	who ...string) string {
	b.t.Helper()
	t, _, err := b.p.AddTask(a, plan.NewTask{Title: title, Milestone: ms, Estimate: est,
		Due: due, Assignees: who})
	if err != nil {
		b.t.Fatal(err)
	}
	return t.ID
}

func (b builder) status(a plan.Actor, id string, to ...plan.Status) {
	b.t.Helper()
	for _, s := range to {
		b.ok(b.p.SetStatus(a, id, s))
	}
}

func newBuilder(t *testing.T, pr plan.Project, lead string) builder {
	t.Helper()
	p, _, err := plan.New(by(lead, pr.Start), pr, plan.Member{User: lead, Corp: uni,
		Name: "lead", Role: plan.RoleLead})
	if err != nil {
		t.Fatal(err)
	}
	return builder{t, p}
}

// seedPortal is the portal project of department 5, led by appsLead, with a
// supplier, a baseline that M-1 has slipped from by two days, and work
// logged inside and outside the last seven days.
func seedPortal(t *testing.T) *plan.Plan {
	pr := plan.Project{ID: "p-portal", Name: "门户改版", Org: plan.Organization{Corp: uni},
		Partners: []plan.Organization{{Corp: sup}}, Department: "5", Owner: appsLead,
		Year: 2026, Budget: 50_000_000, Status: plan.ProjectActive,
		Start: day(11, 2), End: day(12, 31)}
	b := newBuilder(t, pr, appsLead)
	a := by(appsLead, day(11, 2))
	for _, m := range []plan.Member{{User: dev1, Corp: uni, Name: "陈工", Role: plan.RoleMember},
		{User: dev2, Corp: uni, Name: "刘工", Role: plan.RoleMember},
		{User: acmeDev, Corp: sup, Name: "阿克米开发", Role: plan.RoleSupplier}} {
		b.ok2(b.p.AddMember(a, m))
	}
	b.ok(b.p.AddMilestone(a, plan.NewMilestone{Title: "一期上线", Due: day(12, 8)}))
	b.ok(b.p.AddMilestone(a, plan.NewMilestone{Title: "二期交付", Due: day(12, 15)}))
	t1 := b.task(a, "需求分析", "M-1", 960, day(11, 13), dev1)
	t2 := b.task(a, "界面设计", "M-1", 480, today, dev1)
	b.task(a, "接口开发", "M-1", 1440, day(12, 1), dev1, dev2)
	t4 := b.task(a, "部署脚本", "M-2", 480, day(12, 15), dev2)
	t5 := b.task(a, "验收材料", "M-1", 240, day(12, 8), dev1)
	t6 := b.task(a, "供应商接口", "M-2", 960, day(12, 9), acmeDev)
	b.ok(b.p.SaveBaseline(by(appsLead, day(11, 10)), "基线一"))
	due := day(12, 10)
	b.ok(b.p.EditMilestone(by(appsLead, day(11, 12)), "M-1", plan.MilestoneEdit{Due: &due}))
	b.status(by(appsLead, day(11, 5)), t1, plan.Doing)
	b.status(by(appsLead, day(11, 25)), t1, plan.Done)
	b.status(by(appsLead, day(11, 26)), t2, plan.Doing)
	b.status(by(appsLead, day(11, 27)), t4, plan.Blocked)
	b.status(by(appsLead, day(11, 28)), t5, plan.Doing, plan.Review)
	b.ok(b.p.LogWork(by(dev1, day(11, 20)), plan.NewWorkLog{Task: t1, Minutes: 60,
		Date: day(11, 20)}))
	b.ok(b.p.LogWork(by(dev1, day(12, 1)), plan.NewWorkLog{Task: t2, Minutes: 120,
		Date: day(12, 1)}))
	b.ok(b.p.LogWork(by(dev2, day(12, 2)), plan.NewWorkLog{Task: "T-3", Minutes: 90,
		Date: day(12, 2)}))
	b.ok(b.p.LogWork(by(acmeDev, day(12, 2)), plan.NewWorkLog{Task: t6, Minutes: 30,
		Date: day(12, 2)}))
	return b.p
}

// seedInfra is the infrastructure project of department 4, led by
// infraLead: one overdue task and a milestone at risk.
func seedInfra(t *testing.T) *plan.Plan {
	pr := plan.Project{ID: "p-infra", Name: "机房升级", Org: plan.Organization{Corp: uni},
		Department: "4", Owner: infraLead, Year: 2026, Budget: 20_000_000,
		Status: plan.ProjectActive, Start: day(11, 16)}
	b := newBuilder(t, pr, infraLead)
	a := by(infraLead, day(11, 16))
	b.ok2(b.p.AddMember(a, plan.Member{User: dev2, Corp: uni, Name: "刘工",
		Role: plan.RoleMember}))
	b.ok(b.p.AddMilestone(a, plan.NewMilestone{Title: "机房改造", Due: day(12, 5)}))
	b.task(a, "采购", "M-1", 480, day(11, 30), dev2)
	t2 := b.task(a, "布线", "M-1", 960, day(12, 4), dev2)
	b.status(by(infraLead, day(11, 20)), t2, plan.Doing)
	b.ok(b.p.SetProgress(by(infraLead, day(11, 20)), t2, 50))
	return b.p
}

// seedClosed is a project of department 6 closed on 2026-11-20.
func seedClosed(t *testing.T) *plan.Plan {
	pr := plan.Project{ID: "p-old", Name: "财务系统", Org: plan.Organization{Corp: uni},
		Department: "6", Owner: uni + ":u-finance-head", Year: 2026, Budget: 10_000_000,
		Status: plan.ProjectClosed, Start: day(6, 1), End: day(11, 20)}
	return newBuilder(t, pr, uni+":u-finance-head").p
}

// evaluation writes a supplier evaluation index row of the ledger, in the
// shape the ledger writes it.
func (st *stack) evaluation(t *testing.T, supplierCorp, name string, index, score int64,
	at plan.Date) {
	t.Helper()
	key := tables.Key{tables.TenantKey(uni), EvaluationKind,
		fmt.Sprintf("%s/%020d", supplierCorp, index)}
	_, err := st.db.Create(context.Background(), tables.LedgerIndex.Name, key, tables.Cols{
		"supplier": name, "score": score, "contract_id": "c-portal-1", "index": index,
		"at_ms": noon(at).UnixMilli(), "evaluator_corp": uni})
	if err != nil {
		t.Fatal(err)
	}
}

// portalChat is the group chat of the portal project.
const portalChat = "chat-portal-0001"

// seed writes the three projects (the portal with a group chat), the
// portal's supplier contract and the
// supplier evaluations: two of Acme and one of another supplier in
// November, and one of Acme in October that the November report leaves out.
func (st *stack) seed(t *testing.T) {
	ctx := context.Background()
	for _, p := range []*plan.Plan{seedPortal(t), seedInfra(t), seedClosed(t)} {
		if err := st.store.InsertPlan(ctx, p, p.Members()[0].User, start); err != nil {
			t.Fatal(err)
		}
	}
	parties, _ := json.Marshal([]map[string]string{{"corp": uni}, {"corp": sup}})
	_, err := st.db.Create(ctx, tables.Contract.Name,
		tables.Key{tables.TenantKey(uni), "c-portal-1"}, tables.Cols{"corp": uni,
			"project_id": "p-portal", "title": "门户外包合同",
			"amount_fen": int64(60_000_000),
			"status":     "signed", "parties": string(parties), "milestones": `["M-2"]`})
	if err != nil {
		t.Fatal(err)
	}
	key := tables.Key{tables.TenantKey(uni), "p-portal"}
	row, err := st.db.Get(ctx, tables.Project.Name, key)
	if err == nil {
		_, err = st.db.Update(ctx, tables.Project.Name, key, row.Ver(),
			tables.Change{Set: tables.Cols{"chat_id": portalChat}})
	}
	if err != nil {
		t.Fatal(err)
	}
	st.evaluation(t, sup, "阿克米科技", 12, 90, day(11, 28))
	st.evaluation(t, sup, "阿克米科技", 7, 75, day(11, 3))
	st.evaluation(t, sup, "阿克米科技", 3, 20, day(10, 30))
	st.evaluation(t, "dingother", "其他供应商", 9, 60, day(11, 15))
}
