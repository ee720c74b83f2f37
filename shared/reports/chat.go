package reports

import (
	"github.com/xietong/xietong/shared/plan"
)

// AudienceGroup is the audience of the weekly project report sent to a
// project's group chat; its recipient is "group:<chat id>".
const AudienceGroup = "group"

// groupJobs lists the weekly reports to the group chats of open projects.
func (c *composer) groupJobs() []job {
	var out []job
	for _, p := range c.org.Plans {
		chat := c.org.Chats[p.Project().ID]
		if chat == "" || closedProject(p) {
			continue
		}
		out = append(out, job{AudienceGroup + ":" + chat, func() (*draft, error) {
			return c.groupReport(chat, p)
		}})
	}
	return out
}

// groupReport writes the weekly report of project p for its group chat:
// the project's part of its lead's report, with its burn-up and hours.
func (c *composer) groupReport(chat string, p *plan.Plan) (*draft, error) {
	pr := p.Project()
	d := c.newDraft(Weekly, AudienceGroup, chat, "项目周报 "+c.period+" · "+pr.Name,
		c.appURL+"/projects/"+pr.ID)
	d.line("### %s", d.Title)
	w := c.week(p)
	c.projectLines(d, w)
	d.figure("overdue", int64(len(w.overdue)))
	d.figure("at_risk", int64(len(w.risks)))
	d.figure("supplier_due", int64(len(w.supplier)))
	png, err := BurnUp(p, c.org.Today)
	if err != nil {
		return nil, err
	}
	d.charts = append(d.charts, chart{Name: "burnup.png", Caption: "燃起图", PNG: png})
	png, total, err := c.hoursChart(d, w.hours)
	if err != nil {
		return nil, err
	}
	d.figure("logged_minutes", total)
	d.charts = append(d.charts, chart{Name: "hours.png", Caption: "成员工时", PNG: png})
	return d, nil
}
