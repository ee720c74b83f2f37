package tasksapi

import (
	"net/http"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
)

// LeadView answers GET .../lead: the plan with milestones, Gantt rows,
// critical path, milestones at risk, baseline variance (with ?baseline=)
// and workload per member and week. Durations are minutes of work.
type LeadView struct {
	Project    ProjectRef      `json:"project"`
	Progress   float64         `json:"progress"`
	Members    []MemberRef     `json:"members"`
	Milestones []MilestoneRef  `json:"milestones"`
	Critical   CriticalPath    `json:"critical"`
	Gantt      []GanttRow      `json:"gantt"`
	Risks      []MilestoneRisk `json:"risks"`
	Variance   []Variance      `json:"variance,omitempty"`
	Workload   []Load          `json:"workload"`
	Baselines  []Baseline      `json:"baselines"`
}

// ProjectRef names a project.
type ProjectRef struct {
	Corp   string `json:"corp"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Start  string `json:"start,omitempty"`
	End    string `json:"end,omitempty"`
}

// MemberRef is a project member.
type MemberRef struct {
	UID  string `json:"uid"`
	Corp string `json:"corp"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// MilestoneRef is a milestone with its rolled-up progress.
type MilestoneRef struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Due      string  `json:"due"`
	Accepted bool    `json:"accepted"`
	Progress float64 `json:"progress"`
	Ver      int64   `json:"ver"`
}

// CriticalPath is the schedule's length and one critical path, first task
// to last.
type CriticalPath struct {
	Length int64    `json:"length"`
	Path   []string `json:"path"`
}

// GanttRow is one bar of the Gantt chart: tasks in outline order, then
// milestones; es..lf are minutes from the project start.
type GanttRow struct {
	Kind      string   `json:"kind"`
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Parent    string   `json:"parent,omitempty"`
	Depth     int      `json:"depth"`
	Milestone string   `json:"milestone,omitempty"`
	Start     string   `json:"start,omitempty"`
	Due       string   `json:"due,omitempty"`
	Status    string   `json:"status,omitempty"`
	Progress  float64  `json:"progress"`
	Assignees []string `json:"assignees"`
	After     []string `json:"after"`
	ES        int64    `json:"es"`
	EF        int64    `json:"ef"`
	LS        int64    `json:"ls"`
	LF        int64    `json:"lf"`
	Slack     int64    `json:"slack"`
	Critical  bool     `json:"critical"`
}

// MilestoneRisk is a milestone at risk and why.
type MilestoneRisk struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Due      string   `json:"due"`
	Progress float64  `json:"progress"`
	Reasons  []string `json:"reasons"`
}

// Load is one member's planned and logged minutes in one ISO week.
type Load struct {
	User    string `json:"user"`
	Week    string `json:"week"`
	Planned int64  `json:"planned"`
	Logged  int64  `json:"logged"`
}

func (s *Service) lead(w http.ResponseWriter, r *http.Request, c projects.Principal) error {
	baseline := r.URL.Query().Get("baseline")
	if baseline != "" && !baselineRE.MatchString(baseline) {
		return httpapi.Invalid(FieldError{Field: "baseline", Rule: "a baseline id B-<n>"})
	}
	pj, err := s.open(r, c, false, true)
	if err != nil {
		return err
	}
	ownerExec := c.OrgRole == access.Executive && c.Corp == pj.corp
	if pj.role != access.Lead && !ownerExec {
		return httpapi.Forbidden("see the lead's view of this project")
	}
	v, err := pj.plan().LeadView(s.today(), baseline)
	if err != nil {
		return projects.PlanError(err)
	}
	httpapi.WriteJSON(w, http.StatusOK, leadJSON(pj.plan(), v))
	return nil
}

func leadJSON(p *plan.Plan, v plan.LeadView) LeadView {
	pr := v.Project
	out := LeadView{Project: ProjectRef{Corp: pr.Org.Corp, ID: pr.ID, Name: pr.Name,
		Status: string(pr.Status), Start: pr.Start.String(), End: pr.End.String()},
		Progress: v.Progress.Project, Members: []MemberRef{}, Milestones: []MilestoneRef{},
		Critical: CriticalPath{Length: v.Critical.Length, Path: nonNil(v.Critical.Path)},
		Gantt:    []GanttRow{}, Risks: []MilestoneRisk{}, Variance: varianceJSON(v.Variance),
		Workload: []Load{}, Baselines: []Baseline{}}
	for _, m := range v.Members {
		out.Members = append(out.Members, MemberRef{UID: m.User, Corp: m.Corp, Name: m.Name,
			Role: string(m.Role)})
	}
	for _, m := range v.Milestones {
		out.Milestones = append(out.Milestones, MilestoneRef{ID: m.ID, Title: m.Title,
			Due: m.Due.String(), Accepted: m.Accepted(), Progress: v.Progress.Milestones[m.ID],
			Ver: m.Ver})
	}
	for _, g := range v.Gantt {
		out.Gantt = append(out.Gantt, GanttRow{Kind: g.Kind, ID: g.ID, Title: g.Title,
			Parent: g.Parent, Depth: g.Depth, Milestone: g.Milestone, Start: g.Start.String(),
			Due: g.Due.String(), Status: string(g.Status), Progress: g.Progress,
			Assignees: nonNil(g.Assignees), After: nonNil(g.After), ES: g.Slot.ES,
			EF: g.Slot.EF, LS: g.Slot.LS, LF: g.Slot.LF, Slack: g.Slot.Slack,
			Critical: g.Slot.Critical})
	}
	for _, rk := range v.Risks {
		out.Risks = append(out.Risks, MilestoneRisk{ID: rk.ID, Title: rk.Title,
			Due: rk.Due.String(), Progress: rk.Progress, Reasons: nonNil(rk.Reasons)})
	}
	for _, l := range v.Workload {
		out.Workload = append(out.Workload, Load{User: l.User, Week: l.Week.String(),
			Planned: l.Planned, Logged: l.Logged})
	}
	for _, b := range p.Baselines() {
		out.Baselines = append(out.Baselines, baselineJSON(b))
	}
	return out
}
