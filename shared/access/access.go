// Package access decides who may do what to a project and its contracts.
// Every endpoint asks Can; the whole matrix of organization roles, project
// roles, actions and organizations is tested in one table.
//
// The rule that shapes the rest: nobody sees a project they are not a member
// of, except executives of the organization that owns it. Members from other
// organizations (partners, suppliers) see a contract only when their
// organization is one of its parties. Only leads who belong to the owning
// organization, and are not its external contacts, change a project, its
// members or its milestones.
package access

// OrgRole is a user's role in their own DingTalk organization.
type OrgRole string

// Organization roles.
const (
	Admin       OrgRole = "admin"
	Executive   OrgRole = "executive"
	DeptManager OrgRole = "dept_manager"
	Staff       OrgRole = "staff"
	External    OrgRole = "external" // an external contact of the organization
)

// OrgRoles lists every organization role.
var OrgRoles = []OrgRole{Admin, Executive, DeptManager, Staff, External}

// Valid reports whether r is one of OrgRoles.
func (r OrgRole) Valid() bool { return contains(OrgRoles, r) }

// ProjectRole is a user's role in one project; NotMember means none.
type ProjectRole string

// Project roles.
const (
	NotMember ProjectRole = ""
	Lead      ProjectRole = "lead"
	Member    ProjectRole = "member"
	Viewer    ProjectRole = "viewer"
	Supplier  ProjectRole = "supplier"
)

// ProjectRoles lists every project role a member can hold.
var ProjectRoles = []ProjectRole{Lead, Member, Viewer, Supplier}

// Valid reports whether r is one of ProjectRoles.
func (r ProjectRole) Valid() bool { return contains(ProjectRoles, r) }

// Action is something a subject asks to do.
type Action string

// Actions.
const (
	ProjectView Action = "project.view" // get, members, milestones
	// ProjectCreate is creating a project owned by Resource.OwnerCorp.
	ProjectCreate   Action = "project.create"
	ProjectUpdate   Action = "project.update"
	ProjectArchive  Action = "project.archive"
	MembersManage   Action = "project.members.manage" // add, remove, change roles, partners
	MilestoneManage Action = "project.milestone.manage"
	MilestoneAccept Action = "project.milestone.accept"
	// OrgView is reading Resource.OwnerCorp's organization record.
	OrgView Action = "org.view"
	// ViewExecutive is the portfolio of Resource.OwnerCorp.
	ViewExecutive Action = "view.executive"
	// ViewDepartment is the department manager's view of the projects of
	// Resource.OwnerCorp that the subject's departments own.
	ViewDepartment Action = "view.department"

	ContractCreate   Action = "contract.create"
	ContractRead     Action = "contract.read" // get, list, list versions, upload status
	ContractUpdate   Action = "contract.update"
	ContractUpload   Action = "contract.upload" // ask for an upload grant
	ContractDownload Action = "contract.download"
)

// Actions lists every action.
var Actions = []Action{ProjectView, ProjectCreate, ProjectUpdate, ProjectArchive,
	MembersManage, MilestoneManage, MilestoneAccept, OrgView, ViewExecutive, ViewDepartment,
	ContractCreate, ContractRead, ContractUpdate, ContractUpload, ContractDownload}

// Subject is the signed-in user asking.
type Subject struct {
	Corp    string // the user's organization
	User    string
	OrgRole OrgRole // the user's role in Corp
}

// Resource is what the subject asks about, seen from the subject: the
// project's owning organization, the subject's role in the project, and for
// contract actions the organizations that are parties to the contract. For
// organization-wide actions (ProjectCreate, OrgView and the views) OwnerCorp
// is the organization concerned and ProjectRole is ignored.
type Resource struct {
	OwnerCorp   string
	ProjectRole ProjectRole
	// Parties lists the corps that are parties to the contract (for
	// ContractCreate, the parties of the contract being created). It is
	// ignored for project actions.
	Parties []string
}

// contractRoles lists, per contract action, the project roles that may do it.
var contractRoles = map[Action][]ProjectRole{
	ContractCreate:   {Lead},
	ContractUpdate:   {Lead},
	ContractUpload:   {Lead, Member, Supplier},
	ContractRead:     {Lead, Member, Viewer, Supplier},
	ContractDownload: {Lead, Member, Viewer, Supplier},
}

// leadRoles lists, per project-management action, the project roles that
// may do it. Only members of the owning organization who are not external
// contacts ever manage a project.
var leadRoles = map[Action][]ProjectRole{
	ProjectUpdate:   {Lead},
	ProjectArchive:  {Lead},
	MembersManage:   {Lead},
	MilestoneManage: {Lead},
	MilestoneAccept: {Lead},
}

// orgRoles lists, per organization-wide action, the organization roles of
// the owning organization that may do it, whatever their project role.
var orgRoles = map[Action][]OrgRole{
	ProjectCreate:  {Admin, Executive, DeptManager, Staff},
	OrgView:        OrgRoles,
	ViewExecutive:  {Executive},
	ViewDepartment: {Executive, DeptManager},
}

// readOnly lists the actions that an executive of the owning organization
// may do without being a member.
var readOnly = map[Action]bool{ProjectView: true, ContractRead: true, ContractDownload: true}

// Can reports whether s may do a to r. Unknown actions and roles are refused.
func Can(s Subject, a Action, r Resource) bool {
	if s.Corp == "" || r.OwnerCorp == "" || !s.OrgRole.Valid() {
		return false
	}
	if r.ProjectRole != NotMember && !r.ProjectRole.Valid() {
		return false
	}
	if a == ProjectView {
		return r.ProjectRole != NotMember || ownerExecutive(s, r)
	}
	if roles, ok := orgRoles[a]; ok {
		return s.Corp == r.OwnerCorp && contains(roles, s.OrgRole)
	}
	if roles, ok := leadRoles[a]; ok {
		return s.Corp == r.OwnerCorp && s.OrgRole != External && contains(roles, r.ProjectRole)
	}
	roles, ok := contractRoles[a]
	if !ok {
		return false
	}
	if s.Corp != r.OwnerCorp && !contains(r.Parties, s.Corp) {
		return false
	}
	if readOnly[a] && ownerExecutive(s, r) {
		return true
	}
	if s.OrgRole == External && !readOnly[a] && a != ContractUpload {
		return false // external contacts never create or change contracts
	}
	return contains(roles, r.ProjectRole)
}

func ownerExecutive(s Subject, r Resource) bool {
	return s.OrgRole == Executive && s.Corp == r.OwnerCorp
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
