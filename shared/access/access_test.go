package access

import "testing"

const (
	owner   = "dingowner"
	partner = "dingpartner"
)

// relation is how the subject's organization stands to the resource.
type relation string

const (
	sameOrg  relation = "owner org"
	partyOrg relation = "party org"
	otherOrg relation = "non-party org"
)

// Each grid is five marks for the project roles lead, member, viewer,
// supplier and no membership: 'y' allowed, '.' refused. A grid is given for
// executives, external contacts and every other organization role; roles
// overrides the grid of the organization roles it names.
type grids struct {
	exec, external, others string
	roles                  map[OrgRole]string
}

// leadOnly is the grid of the project-management actions: leads of the owning
// organization only, never its external contacts.
var leadOnly = map[relation]grids{
	sameOrg:  {"y....", ".....", "y....", nil},
	partyOrg: {".....", ".....", ".....", nil},
	otherOrg: {".....", ".....", ".....", nil},
}

// none refuses everyone.
var none = grids{".....", ".....", ".....", nil}

var want = map[Action]map[relation]grids{
	ProjectCreate: {
		sameOrg:  {"yyyyy", ".....", "yyyyy", nil},
		partyOrg: none, otherOrg: none,
	},
	ProjectUpdate:   leadOnly,
	ProjectArchive:  leadOnly,
	MembersManage:   leadOnly,
	MilestoneManage: leadOnly,
	MilestoneAccept: leadOnly,
	OrgView: {
		sameOrg:  {"yyyyy", "yyyyy", "yyyyy", nil},
		partyOrg: none, otherOrg: none,
	},
	ViewExecutive: {
		sameOrg:  {"yyyyy", ".....", ".....", nil},
		partyOrg: none, otherOrg: none,
	},
	ViewDepartment: {
		sameOrg:  {"yyyyy", ".....", ".....", map[OrgRole]string{DeptManager: "yyyyy"}},
		partyOrg: none, otherOrg: none,
	},
	ProjectView: {
		sameOrg:  {"yyyyy", "yyyy.", "yyyy.", nil},
		partyOrg: {"yyyy.", "yyyy.", "yyyy.", nil},
		otherOrg: {"yyyy.", "yyyy.", "yyyy.", nil},
	},
	ContractRead: {
		sameOrg:  {"yyyyy", "yyyy.", "yyyy.", nil},
		partyOrg: {"yyyy.", "yyyy.", "yyyy.", nil},
		otherOrg: {".....", ".....", ".....", nil},
	},
	ContractDownload: {
		sameOrg:  {"yyyyy", "yyyy.", "yyyy.", nil},
		partyOrg: {"yyyy.", "yyyy.", "yyyy.", nil},
		otherOrg: {".....", ".....", ".....", nil},
	},
	ContractCreate: {
		sameOrg:  {"y....", ".....", "y....", nil},
		partyOrg: {"y....", ".....", "y....", nil},
		otherOrg: {".....", ".....", ".....", nil},
	},
	ContractUpdate: {
		sameOrg:  {"y....", ".....", "y....", nil},
		partyOrg: {"y....", ".....", "y....", nil},
		otherOrg: {".....", ".....", ".....", nil},
	},
	ContractUpload: {
		sameOrg:  {"yy.y.", "yy.y.", "yy.y.", nil},
		partyOrg: {"yy.y.", "yy.y.", "yy.y.", nil},
		otherOrg: {".....", ".....", ".....", nil},
	},
}

var roleColumns = append(append([]ProjectRole{}, ProjectRoles...), NotMember)

func TestCanMatrix(t *testing.T) {
	tried, allowed := 0, 0
	for _, a := range Actions {
		for rel, g := range want[a] {
			for _, or := range OrgRoles {
				grid := g.others
				switch or {
				case Executive:
					grid = g.exec
				case External:
					grid = g.external
				}
				if r, ok := g.roles[or]; ok {
					grid = r
				}
				for i, pr := range roleColumns {
					s, r := case_(or, pr, rel)
					got := Can(s, a, r)
					tried++
					if got {
						allowed++
					}
					if wantOK := grid[i] == 'y'; got != wantOK {
						t.Errorf("Can(%s, %s, role %q, %s) = %v, want %v", or, a, pr, rel, got,
							wantOK)
					}
				}
			}
		}
	}
	if len(want) != len(Actions) {
		t.Errorf("want covers %d actions, Actions lists %d", len(want), len(Actions))
	}
	if n := len(Actions) * 3 * len(OrgRoles) * len(roleColumns); tried != n {
		t.Errorf("tried %d cases, want the full matrix of %d", tried, n)
	}
	t.Logf("access matrix: %d cases tried, %d allowed, %d refused", tried, allowed, tried-allowed)
}

func case_(or OrgRole, pr ProjectRole, rel relation) (Subject, Resource) {
	s := Subject{Corp: owner, User: "u1", OrgRole: or}
	r := Resource{OwnerCorp: owner, ProjectRole: pr, Parties: []string{owner, partner}}
	switch rel {
	case partyOrg:
		s.Corp = partner
	case otherOrg:
		s.Corp = "dingstranger"
	}
	return s, r
}

func TestCanRefusesMalformed(t *testing.T) {
	lead := Resource{OwnerCorp: owner, ProjectRole: Lead, Parties: []string{owner}}
	exec := Subject{Corp: owner, User: "u1", OrgRole: Executive}
	tests := []struct {
		name string
		s    Subject
		a    Action
		r    Resource
	}{
		{"unknown action", exec, Action("contract.delete"), lead},
		{"unknown org role", Subject{Corp: owner, OrgRole: "boss"}, ContractRead, lead},
		{"empty org role", Subject{Corp: owner}, ContractRead, lead},
		{"unknown project role", exec, ContractCreate, Resource{OwnerCorp: owner,
			ProjectRole: "owner"}},
		{"no subject corp", Subject{OrgRole: Executive}, ContractRead, lead},
		{"no owner", exec, ContractRead, Resource{ProjectRole: Lead}},
		{"executive of a party is no owner executive", Subject{Corp: partner,
			OrgRole: Executive}, ContractRead, Resource{OwnerCorp: owner,
			Parties: []string{owner, partner}}},
	}
	for _, tt := range tests {
		if Can(tt.s, tt.a, tt.r) {
			t.Errorf("%s: Can(%+v, %s, %+v) = true, want false", tt.name, tt.s, tt.a, tt.r)
		}
	}
}
