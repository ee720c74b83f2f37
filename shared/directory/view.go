package directory

import (
	"context"
	"slices"
)

// Viewer is who is looking at directory entries. The zero Viewer (a report,
// an export, a system job) sees no protected mobile number; a Viewer that
// may see them is only made by Directory.Viewer.
type Viewer struct {
	CorpID string
	UserID string

	seesProtected bool
}

// Viewer returns the viewer corp:userID, allowed to see protected numbers of
// corp when corp's policy lists them. A viewer who left is ErrInactive.
func (d *Directory) Viewer(ctx context.Context, corp, userID string) (Viewer, error) {
	if _, err := d.Lookup(ctx, corp, userID); err != nil {
		return Viewer{}, err
	}
	o, err := d.Org(ctx, corp)
	if err != nil {
		return Viewer{}, err
	}
	return Viewer{CorpID: corp, UserID: userID,
		seesProtected: slices.Contains(o.Policy.MobileViewers, userID)}, nil
}

// PublicUser is a directory entry as an API, export or report may return it.
// Mobile is empty when the viewer may not see it.
type PublicUser struct {
	CorpID    string   `json:"corpId"`
	UserID    string   `json:"userId"`
	Name      string   `json:"name"`
	Title     string   `json:"title,omitempty"`
	Kind      Kind     `json:"kind"`
	ExtKind   ExtKind  `json:"extKind,omitempty"`
	Company   string   `json:"company,omitempty"`
	DeptIDs   []int64  `json:"deptIds,omitempty"`
	LeaderOf  []int64  `json:"leaderOf,omitempty"`
	ManagerID string   `json:"managerId,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	Admin     bool     `json:"admin,omitempty"`
	Protected bool     `json:"protected,omitempty"`
	Active    bool     `json:"active"`
	Mobile    string   `json:"mobile,omitempty"`
}

// View is the one way to show a user to anyone: every endpoint, export and
// report that returns users builds its answer from it. The mobile number of
// a protected user is shown only to the user and to viewers of the same
// organization that its policy allows; others' numbers are shown to all.
func View(v Viewer, u User) PublicUser {
	p := PublicUser{CorpID: u.CorpID, UserID: u.UserID, Name: u.Name, Title: u.Title,
		Kind: u.Kind, ExtKind: u.ExtKind, Company: u.Company,
		DeptIDs: slices.Clone(u.DeptIDs), LeaderOf: slices.Clone(u.LeaderOf),
		ManagerID: u.ManagerID, Roles: slices.Clone(u.Roles), Admin: u.Admin,
		Protected: u.Protected, Active: u.Active}
	if mobileVisible(v, u) {
		p.Mobile = u.mobile
	}
	return p
}

func mobileVisible(v Viewer, u User) bool {
	if !u.Protected && !u.HideMobile && !u.Senior {
		return true
	}
	if v.CorpID != u.CorpID || v.CorpID == "" {
		return false
	}
	return v.UserID == u.UserID || v.seesProtected
}

// ViewAll applies View to each of us.
func ViewAll(v Viewer, us []User) []PublicUser {
	out := make([]PublicUser, len(us))
	for i, u := range us {
		out[i] = View(v, u)
	}
	return out
}
