package directory

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/xietong/xietong/shared/tables"
)

// Kind tells organization members from external contacts.
type Kind string

// Kinds of directory entries.
const (
	KindMember   Kind = "member"
	KindExternal Kind = "external"
)

// ExtKind is the relation of an external contact to the organization.
type ExtKind string

// External contact kinds.
const (
	ExtSupplier ExtKind = "supplier"
	ExtCustomer ExtKind = "customer"
	ExtPartner  ExtKind = "partner"
)

// Row states.
const (
	statusActive  = "active"
	statusLeft    = "left"
	statusRemoved = "removed"
)

// ExternalPrefix starts the UserID of every external contact, keeping them
// apart from members' DingTalk userids.
const ExternalPrefix = "ext:"

// User is one directory entry: a member or an external contact. Its mobile
// number is unexported on purpose: only View reveals it.
type User struct {
	CorpID    string  `json:"corpId"`
	UserID    string  `json:"userId"`
	UnionID   string  `json:"unionId,omitempty"`
	Name      string  `json:"name"`
	Title     string  `json:"title,omitempty"`
	JobNumber string  `json:"jobNumber,omitempty"`
	Email     string  `json:"email,omitempty"`
	Kind      Kind    `json:"kind"`
	ExtKind   ExtKind `json:"extKind,omitempty"`
	Company   string  `json:"company,omitempty"`
	DeptIDs   []int64 `json:"deptIds,omitempty"`
	// LeaderOf lists the departments the user manages.
	LeaderOf  []int64  `json:"leaderOf,omitempty"`
	ManagerID string   `json:"managerId,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	Admin     bool     `json:"admin,omitempty"`
	Boss      bool     `json:"boss,omitempty"`
	// HideMobile and Senior are DingTalk's own protection marks.
	HideMobile bool `json:"hideMobile,omitempty"`
	Senior     bool `json:"senior,omitempty"`
	// Protected is set when any protection applies (DingTalk's marks or the
	// org's Policy.Protected list).
	Protected bool  `json:"protected"`
	Active    bool  `json:"active"`
	Ver       int64 `json:"-"`

	mobile string
}

// Manager reports whether u leads at least one department.
func (u User) Manager() bool { return len(u.LeaderOf) > 0 }

// UID is u's identity across organizations, "corp:userid".
func (u User) UID() string { return u.CorpID + ":" + u.UserID }

// Dept is one department; the root has ID 1 and ParentID 0.
type Dept struct {
	CorpID   string   `json:"corpId"`
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	ParentID int64    `json:"parentId"`
	Managers []string `json:"managers,omitempty"`
	Active   bool     `json:"active"`
	Ver      int64    `json:"-"`
}

// Org is one organization and its policy.
type Org struct {
	CorpID string `json:"corpId"`
	Name   string `json:"name"`
	Policy Policy `json:"policy"`
	Ver    int64  `json:"-"`
}

// Policy is what an organization decides about its directory.
type Policy struct {
	// Protected lists userids whose mobile numbers are protected besides
	// those DingTalk marks (hidden number, senior mode).
	Protected []string `json:"protected,omitempty"`
	// MobileViewers lists the userids (of this organization) allowed to see
	// protected mobile numbers.
	MobileViewers []string `json:"mobileViewers,omitempty"`
	// ExtLabels maps external-contact label ids to kinds; the first label of
	// a contact that maps wins.
	ExtLabels map[int64]ExtKind `json:"extLabels,omitempty"`
	// ExtDefault is the kind of a contact no label maps; empty means partner.
	ExtDefault ExtKind `json:"extDefault,omitempty"`
}

func (p Policy) protects(userID string) bool { return slices.Contains(p.Protected, userID) }

func (p Policy) extKind(labels []int64) ExtKind {
	for _, l := range labels {
		if k, ok := p.ExtLabels[l]; ok {
			return k
		}
	}
	if p.ExtDefault != "" {
		return p.ExtDefault
	}
	return ExtPartner
}

// userRecord is what a user row stores besides its key: the JSON of User
// plus the mobile number, which json.Marshal of a User leaves out.
type userRecord struct {
	User
	Mobile string `json:"mobile,omitempty"`
}

func deptKey(id int64) string { return fmt.Sprintf("%019d", id) }

func userCols(u User) (tables.Cols, string, error) {
	data, err := json.Marshal(userRecord{User: u, Mobile: u.mobile})
	if err != nil {
		return nil, "", fmt.Errorf("directory: encode user %q: %w", u.UserID, err)
	}
	status := statusActive
	if !u.Active {
		status = statusLeft
	}
	digest := digestOf(data)
	cols := tables.Cols{"unionid": u.UnionID, "status": status, "kind": string(u.Kind),
		"data": string(data), "digest": digest}
	return cols, digest, nil
}

func userFromRow(corp string, r *tables.Row) (User, error) {
	var rec userRecord
	if err := json.Unmarshal([]byte(r.String("data")), &rec); err != nil {
		return User{}, fmt.Errorf("directory: decode user %q: %w", r.Key.String(), err)
	}
	u := rec.User
	u.mobile = rec.Mobile
	u.CorpID = corp
	u.UserID, _ = r.Key[1].(string)
	u.Active = r.String("status") == statusActive
	u.Ver = r.Ver()
	return u, nil
}

func deptCols(d Dept) (tables.Cols, string, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return nil, "", fmt.Errorf("directory: encode dept %d: %w", d.ID, err)
	}
	status := statusActive
	if !d.Active {
		status = statusRemoved
	}
	digest := digestOf(data)
	return tables.Cols{"status": status, "data": string(data), "digest": digest}, digest, nil
}

func deptFromRow(corp string, r *tables.Row) (Dept, error) {
	var d Dept
	if err := json.Unmarshal([]byte(r.String("data")), &d); err != nil {
		return Dept{}, fmt.Errorf("directory: decode dept %q: %w", r.Key.String(), err)
	}
	d.CorpID = corp
	d.Active = r.String("status") == statusActive
	d.Ver = r.Ver()
	return d, nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

func isExternalID(id string) bool { return strings.HasPrefix(id, ExternalPrefix) }
