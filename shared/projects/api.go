package projects

import (
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/plan"
)

// OrgRef names an organization taking part in a project.
type OrgRef struct {
	Corp string `json:"corp"`
	Name string `json:"name,omitempty"`
}

func orgsJSON(os []plan.Organization) []OrgRef {
	out := make([]OrgRef, len(os))
	for i, o := range os {
		out[i] = OrgRef{Corp: o.Corp, Name: o.Name}
	}
	return out
}

// Project is a project as the API shows it. Owner and CreatedBy are uids
// ("corp:userid"); dates are YYYY-MM-DD or "".
type Project struct {
	ID         string    `json:"id"`
	Corp       string    `json:"corp"`
	OrgName    string    `json:"orgName,omitempty"`
	Name       string    `json:"name"`
	Partners   []OrgRef  `json:"partners"`
	Department string    `json:"department,omitempty"`
	Owner      string    `json:"owner,omitempty"`
	Year       int       `json:"year,omitempty"`
	Budget     int64     `json:"budget"`
	Risk       string    `json:"risk"`
	Status     string    `json:"status"`
	Start      string    `json:"start,omitempty"`
	End        string    `json:"end,omitempty"`
	CreatedBy  string    `json:"createdBy"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	Ver        int64     `json:"ver"`
	// Role is the caller's role in the project, "" for an executive who is
	// no member.
	Role    string   `json:"role,omitempty"`
	Summary *Summary `json:"summary,omitempty"`
}

// Summary is a project's portfolio measures.
type Summary struct {
	Progress float64 `json:"progress"`
	Tasks    int     `json:"tasks"`
	Open     int     `json:"open"`
	Overdue  int     `json:"overdue"`
	AtRisk   int     `json:"atRisk"`
	Estimate int64   `json:"estimate"`
	Logged   int64   `json:"logged"`
}

func summaryJSON(s plan.Summary) *Summary {
	return &Summary{Progress: s.Progress, Tasks: s.Tasks, Open: s.Open, Overdue: s.Overdue,
		AtRisk: s.AtRisk, Estimate: s.Estimate, Logged: s.Logged}
}

func projectJSON(r Record, role string) Project {
	pr := r.Project
	p := Project{ID: pr.ID, Corp: pr.Org.Corp, OrgName: pr.Org.Name, Name: pr.Name,
		Partners: orgsJSON(pr.Partners), Department: pr.Department, Owner: pr.Owner,
		Year: pr.Year, Budget: pr.Budget, Risk: string(pr.Risk), Status: string(pr.Status),
		Start: pr.Start.String(), End: pr.End.String(), CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Ver: r.Ver, Role: role}
	if r.Summary != nil {
		p.Summary = summaryJSON(*r.Summary)
	}
	return p
}

// Member is a project member. User is the directory entry as the caller may
// see it (directory.View), absent when the directory no longer has it.
type Member struct {
	UID    string                `json:"uid"`
	Corp   string                `json:"corp"`
	UserID string                `json:"userId"`
	Name   string                `json:"name"`
	Role   string                `json:"role"`
	Ver    int64                 `json:"ver"`
	User   *directory.PublicUser `json:"user,omitempty"`
}

// Milestone is a milestone with its rolled-up progress.
type Milestone struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	Due        string     `json:"due"`
	AcceptedBy string     `json:"acceptedBy,omitempty"`
	AcceptedAt *time.Time `json:"acceptedAt,omitempty"`
	Override   string     `json:"override,omitempty"`
	Progress   float64    `json:"progress"`
	Ver        int64      `json:"ver"`
}

func milestoneJSON(m plan.Milestone, progress float64) Milestone {
	out := Milestone{ID: m.ID, Title: m.Title, Due: m.Due.String(), AcceptedBy: m.AcceptedBy,
		Override: m.Override, Progress: progress, Ver: m.Ver}
	if !m.AcceptedAt.IsZero() {
		at := m.AcceptedAt.UTC()
		out.AcceptedAt = &at
	}
	return out
}

// ProjectDetail answers GET of one project.
type ProjectDetail struct {
	Project    Project     `json:"project"`
	Members    []Member    `json:"members"`
	Milestones []Milestone `json:"milestones"`
}

// ProjectList answers GET /api/projects; Next is the opaque cursor of the
// following page, "" on the last.
type ProjectList struct {
	Items []Project `json:"items"`
	Next  string    `json:"next,omitempty"`
}

// MemberInput names a member to add: a user of the owning organization or of
// a partner, or an external contact ("ext:..." userid) of the owner.
type MemberInput struct {
	Corp   string `json:"corp"`
	UserID string `json:"userId"`
	Role   string `json:"role"`
}

// CreateRequest is the body of POST /api/projects. The caller becomes the
// first lead; Owner (a uid) defaults to the caller.
type CreateRequest struct {
	Name       string        `json:"name"`
	Department string        `json:"department,omitempty"`
	Owner      string        `json:"owner,omitempty"`
	Year       int           `json:"year,omitempty"`
	Budget     int64         `json:"budget,omitempty"`
	Risk       string        `json:"risk,omitempty"`
	Status     string        `json:"status,omitempty"`
	Start      string        `json:"start,omitempty"`
	End        string        `json:"end,omitempty"`
	Partners   []OrgRef      `json:"partners,omitempty"`
	Members    []MemberInput `json:"members,omitempty"`
}

// UpdateRequest is the body of PATCH of a project: the expected version and
// the fields to change (absent fields stay).
type UpdateRequest struct {
	Ver        int64   `json:"ver"`
	Name       *string `json:"name,omitempty"`
	Department *string `json:"department,omitempty"`
	Owner      *string `json:"owner,omitempty"`
	Year       *int    `json:"year,omitempty"`
	Budget     *int64  `json:"budget,omitempty"`
	Risk       *string `json:"risk,omitempty"`
	Status     *string `json:"status,omitempty"`
	Start      *string `json:"start,omitempty"`
	End        *string `json:"end,omitempty"`
}

// VersionRequest carries only the expected version.
type VersionRequest struct {
	Ver int64 `json:"ver"`
}

// PartnerRequest is the body of POST .../partners.
type PartnerRequest struct {
	Ver  int64  `json:"ver"`
	Corp string `json:"corp"`
	Name string `json:"name,omitempty"`
}

// RoleRequest is the body of PATCH of a member.
type RoleRequest struct {
	Ver  int64  `json:"ver"`
	Role string `json:"role"`
}

// MilestoneRequest is the body of POST .../milestones.
type MilestoneRequest struct {
	Title string `json:"title"`
	Due   string `json:"due"`
}

// MilestoneEditRequest is the body of PATCH of a milestone.
type MilestoneEditRequest struct {
	Ver   int64   `json:"ver"`
	Title *string `json:"title,omitempty"`
	Due   *string `json:"due,omitempty"`
}

// AcceptRequest is the body of POST .../accept; Override gives the reason
// for accepting while tasks are still open.
type AcceptRequest struct {
	Ver      int64  `json:"ver"`
	Override string `json:"override,omitempty"`
}

// OrgResponse answers GET /api/orgs/{corp}.
type OrgResponse struct {
	CorpID string `json:"corpId"`
	Name   string `json:"name"`
	// Role is the caller's organization role.
	Role string `json:"role"`
	// Departments are the ids of the caller's departments and of those the
	// caller leads.
	Departments []string `json:"departments"`
	LeaderOf    []string `json:"leaderOf"`
}

// parseDate parses an optional date of input field.
func parseDate(field, s string, errs *[]FieldError) plan.Date {
	d, err := plan.ParseDate(s)
	if err != nil {
		*errs = append(*errs, FieldError{Field: field,
			Rule: fmt.Sprintf("%q is not a date YYYY-MM-DD", s)})
	}
	return d
}

func checkVer(v int64, errs *[]FieldError) {
	if v < 1 {
		*errs = append(*errs, FieldError{Field: "ver",
			Rule: "required: the version you read (>= 1)"})
	}
}
