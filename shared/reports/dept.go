package reports

import (
	"fmt"
	"strings"

	"github.com/xietong/xietong/shared/plan"
)

// deptReport writes the weekly report of a department manager over the
// open projects of the departments they manage.
func (c *composer) deptReport(uid string, depts []string, ps []*plan.Plan) (*draft, error) {
	d := c.newDraft(Weekly, AudienceDept, uid, "部门周报 "+c.period,
		c.appURL+"/views/department")
	d.line("### %s · %s", d.Title, c.name(uid))
	rows := plan.DepartmentView(ps, depts, c.org.Today)
	var overdue, risks int
	byStatus := map[plan.ProjectStatus]int{}
	hours := map[string]int64{}
	for _, r := range rows {
		overdue += len(r.OverdueTasks)
		risks += len(r.Risks)
		byStatus[r.Status]++
	}
	d.line("项目 %d · 逾期任务 %d · 风险里程碑 %d", len(rows), overdue, risks)
	for _, p := range ps {
		w := c.week(p)
		for u, m := range w.hours {
			hours[u] += m
		}
		line := fmt.Sprintf("- %s：进度 %s / 计划 %s，逾期 %d，风险 %d",
			p.Project().Name, pct(w.actual), pct(w.planned), len(w.overdue), len(w.risks))
		if len(w.supplier) > 0 {
			line += fmt.Sprintf("，供应商交付 %d", len(w.supplier))
		}
		d.line("%s", line)
	}
	d.figure("projects", int64(len(rows)))
	d.figure("overdue", int64(overdue))
	d.figure("at_risk", int64(risks))
	png, err := statusChart(d, "Department projects by status", byStatus)
	if err != nil {
		return nil, err
	}
	d.charts = append(d.charts, chart{Name: "status.png", Caption: "项目状态", PNG: png})
	png, total, err := c.hoursChart(d, hours)
	if err != nil {
		return nil, err
	}
	d.figure("logged_minutes", total)
	d.charts = append(d.charts, chart{Name: "hours.png", Caption: "成员工时", PNG: png})
	return d, nil
}

var statusOrder = []plan.ProjectStatus{plan.ProjectPlanning, plan.ProjectActive,
	plan.ProjectOnHold, plan.ProjectClosed, plan.ProjectArchived}

// statusChart draws project counts by status (labels are the status codes).
func statusChart(d *draft, title string, n map[plan.ProjectStatus]int) ([]byte, error) {
	var labels, parts []string
	var values []float64
	for _, s := range statusOrder {
		if n[s] > 0 {
			labels = append(labels, string(s))
			values = append(values, float64(n[s]))
			parts = append(parts, fmt.Sprintf("%s %d", s, n[s]))
		}
	}
	if len(parts) > 0 {
		d.line("按状态：%s", strings.Join(parts, "，"))
	}
	return Bars(title, labels, values)
}
