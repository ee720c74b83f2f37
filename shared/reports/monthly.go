package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xietong/xietong/shared/plan"
)

// monthFigures are the organization-wide figures of a monthly report.
type monthFigures struct {
	sums              []plan.Summary
	started, finished []string // project names
	budget, contract  int64    // fen; contracts that are not drafts
	over              []string // projects whose contracts exceed the budget
}

func (c *composer) month() monthFigures {
	first, last := monthSpan(c.period)
	var f monthFigures
	for _, p := range c.org.Plans {
		pr := p.Project()
		f.sums = append(f.sums, p.Summary(c.org.Today))
		start, end := projectSpan(p)
		if start >= first && start <= last {
			f.started = append(f.started, pr.Name)
		}
		if (pr.Status == plan.ProjectClosed || pr.Status == plan.ProjectArchived) &&
			end >= first && end <= last {
			f.finished = append(f.finished, pr.Name)
		}
		var amount int64
		for _, k := range c.org.Contracts[pr.ID] {
			if k.Status != "draft" {
				amount += k.AmountFen
			}
		}
		f.budget += pr.Budget
		f.contract += amount
		if amount > pr.Budget {
			f.over = append(f.over, fmt.Sprintf("%s（预算 %s，合同 %s）", pr.Name,
				wan(pr.Budget), wan(amount)))
		}
	}
	return f
}

// projectSpan is when a project started (its start date, else its first
// task's start) and finished (its end date, else its last task's finish).
func projectSpan(p *plan.Plan) (start, end plan.Date) {
	pr := p.Project()
	start, end = pr.Start, pr.End
	for _, t := range p.Tasks() {
		if s := plan.DateOf(t.StartedAt); pr.Start == 0 && s != 0 && (start == 0 || s < start) {
			start = s
		}
		if f := plan.DateOf(t.FinishedAt); pr.End == 0 && f > end {
			end = f
		}
	}
	return start, end
}

// wan writes fen as 万元 (10,000 CNY) with one decimal.
func wan(fen int64) string { return fmt.Sprintf("%.1f万", float64(fen)/100/10000) }

// monthlyReport writes an executive's monthly report of the portfolio and
// of the suppliers' evaluations in the ledger.
func (c *composer) monthlyReport(uid string) (*draft, error) {
	d := c.newDraft(Monthly, AudienceExecutive, uid, "月度项目报告 "+c.period,
		c.appURL+"/views/executive")
	f := c.month()
	d.line("### %s · %s", d.Title, c.name(uid))
	d.line("项目 %d · 本月启动 %d · 本月完成 %d", len(f.sums), len(f.started),
		len(f.finished))
	byStatus := map[plan.ProjectStatus]int{}
	for _, s := range f.sums {
		byStatus[s.Status]++
	}
	png, err := statusChart(d, "Portfolio by status", byStatus)
	if err != nil {
		return nil, err
	}
	for _, dim := range []plan.Dimension{plan.ByDepartment, plan.ByBand} {
		res, err := plan.Portfolio(f.sums, plan.DefaultBands,
			plan.Query{GroupBy: []plan.Dimension{dim}})
		if err != nil {
			return nil, err
		}
		var parts []string
		for _, g := range res.Groups {
			v := orNone(g.Values[0])
			if dim == plan.ByBand {
				v = bandLabel(v)
			}
			parts = append(parts, fmt.Sprintf("%s %d", v, g.Projects))
		}
		d.line("%s：%s", dimLabel[dim], strings.Join(parts, "，"))
	}
	d.line("预算合计 %s，合同金额合计 %s（不含草稿）", wan(f.budget),
		wan(f.contract))
	for _, s := range f.over {
		d.line("- 合同超预算：%s", s)
	}
	if len(f.started) > 0 {
		d.line("本月启动：%s", strings.Join(f.started, "、"))
	}
	if len(f.finished) > 0 {
		d.line("本月完成：%s", strings.Join(f.finished, "、"))
	}
	d.figure("projects", int64(len(f.sums)))
	d.figure("started", int64(len(f.started)))
	d.figure("finished", int64(len(f.finished)))
	d.figure("budget_fen", f.budget)
	d.figure("contract_fen", f.contract)
	d.figure("over_budget", int64(len(f.over)))
	c.supplierLines(d)
	d.charts = append(d.charts, chart{Name: "status.png", Caption: "项目状态", PNG: png})
	return d, nil
}

var dimLabel = map[plan.Dimension]string{plan.ByDepartment: "按部门",
	plan.ByBand: "按预算档"}

// bandLabel writes a budget band named by plan.Bands.Of in 万元:
// "10000000-100000000" becomes "10万-100万", "1000000000+" "1000万+".
func bandLabel(band string) string {
	lo, hi, ok := strings.Cut(strings.TrimSuffix(band, "+"), "-")
	w := func(s string) string {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return s
		}
		return strconv.FormatInt(n/100/10000, 10) + "万"
	}
	switch {
	case ok:
		return w(lo) + "-" + w(hi)
	case strings.HasSuffix(band, "+"):
		return w(lo) + "+"
	}
	return band
}

func orNone(s string) string {
	if s == "" {
		return "未指定"
	}
	return s
}
