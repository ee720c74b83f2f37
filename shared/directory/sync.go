package directory

import (
	"context"
	"errors"
	"slices"

	"github.com/xietong/xietong/shared/dingtalk"
)

// Source reads one organization's directory from DingTalk; *dingtalk.Client
// is one.
type Source interface {
	User(ctx context.Context, userID string) (dingtalk.User, error)
	Department(ctx context.Context, deptID int64) (dingtalk.Department, error)
	SubDepartments(ctx context.Context, deptID int64) ([]dingtalk.Department, error)
	UsersPage(ctx context.Context, deptID, cursor int64, size int) (dingtalk.UserPage, error)
	ExternalContacts(ctx context.Context, offset, size int) ([]dingtalk.ExternalContact, error)
}

var _ Source = (*dingtalk.Client)(nil)

// Changes counts what a sync or reconcile wrote; unchanged rows are not
// written and not counted.
type Changes struct {
	Users       int `json:"users"`       // users and contacts created or updated
	Deactivated int `json:"deactivated"` // users who left, contacts removed
	Depts       int `json:"depts"`       // departments created or updated
	Removed     int `json:"removed"`     // departments removed
}

// Total is the number of rows written.
func (c Changes) Total() int { return c.Users + c.Deactivated + c.Depts + c.Removed }

func (c *Changes) add(o Changes) {
	c.Users += o.Users
	c.Deactivated += o.Deactivated
	c.Depts += o.Depts
	c.Removed += o.Removed
}

// SyncUsers reads each of userIDs from src and stores it. A user DingTalk no
// longer knows is deactivated.
func (d *Directory) SyncUsers(ctx context.Context, src Source, corp string,
	userIDs []string) (Changes, error) {
	var ch Changes
	o, err := d.Org(ctx, corp)
	if err != nil {
		return ch, err
	}
	for _, id := range userIDs {
		du, err := src.User(ctx, id)
		if errors.Is(err, dingtalk.ErrNotFound) {
			n, err := d.setUserActive(ctx, corp, id, false)
			ch.Deactivated += b2i(n)
			if err != nil {
				return ch, err
			}
			continue
		}
		if err != nil {
			return ch, err
		}
		n, err := d.putUser(ctx, memberFrom(corp, o.Policy, du))
		ch.Users += b2i(n)
		if err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// DeactivateUsers marks userIDs as left, at once and without asking
// DingTalk: they lose access before anything else happens.
func (d *Directory) DeactivateUsers(ctx context.Context, corp string,
	userIDs []string) (Changes, error) {
	var ch Changes
	for _, id := range userIDs {
		n, err := d.setUserActive(ctx, corp, id, false)
		ch.Deactivated += b2i(n)
		if err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// SyncDepts reads each of deptIDs from src and stores it; one DingTalk no
// longer knows is marked removed.
func (d *Directory) SyncDepts(ctx context.Context, src Source, corp string,
	deptIDs []int64) (Changes, error) {
	var ch Changes
	for _, id := range deptIDs {
		dd, err := src.Department(ctx, id)
		if errors.Is(err, dingtalk.ErrNotFound) {
			n, err := d.setDeptActive(ctx, corp, id, false)
			ch.Removed += b2i(n)
			if err != nil {
				return ch, err
			}
			continue
		}
		if err != nil {
			return ch, err
		}
		n, err := d.putDept(ctx, deptFrom(corp, dd))
		ch.Depts += b2i(n)
		if err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// RemoveDepts marks deptIDs as removed.
func (d *Directory) RemoveDepts(ctx context.Context, corp string,
	deptIDs []int64) (Changes, error) {
	var ch Changes
	for _, id := range deptIDs {
		n, err := d.setDeptActive(ctx, corp, id, false)
		ch.Removed += b2i(n)
		if err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// SyncExternal reads corp's whole external address book from src, stores
// each contact with its kind, and marks stored contacts no longer listed as
// removed.
func (d *Directory) SyncExternal(ctx context.Context, src Source, corp string) (Changes, error) {
	o, err := d.Org(ctx, corp)
	if err != nil {
		return Changes{}, err
	}
	seen := map[string]bool{}
	var ch Changes
	for off := 0; ; off += dingtalk.MaxPageSize {
		page, err := src.ExternalContacts(ctx, off, dingtalk.MaxPageSize)
		if err != nil {
			return ch, err
		}
		for _, c := range page {
			u := externalFrom(corp, o.Policy, c)
			seen[u.UserID] = true
			n, err := d.putUser(ctx, u)
			ch.Users += b2i(n)
			if err != nil {
				return ch, err
			}
		}
		if len(page) < dingtalk.MaxPageSize {
			break
		}
	}
	n, err := d.deactivateMissing(ctx, corp, seen, isExternalID)
	ch.Deactivated += n
	return ch, err
}

// deactivateMissing deactivates the active stored users that match and are
// not in seen.
func (d *Directory) deactivateMissing(ctx context.Context, corp string, seen map[string]bool,
	match func(userID string) bool) (int, error) {
	var gone []string
	for u, err := range d.Users(ctx, corp) {
		if err != nil {
			return 0, err
		}
		if u.Active && match(u.UserID) && !seen[u.UserID] {
			gone = append(gone, u.UserID)
		}
	}
	ch, err := d.DeactivateUsers(ctx, corp, gone)
	return ch.Deactivated, err
}

func memberFrom(corp string, p Policy, du dingtalk.User) User {
	u := User{CorpID: corp, UserID: du.UserID, UnionID: du.UnionID, Name: du.Name,
		Title: du.Title, JobNumber: du.JobNumber, Email: du.Email, Kind: KindMember,
		DeptIDs: slices.Clone(du.DeptIDs), ManagerID: du.ManagerUserID, Admin: du.Admin,
		Boss: du.Boss, HideMobile: du.HideMobile, Senior: du.Senior, Active: true,
		mobile: du.Mobile}
	slices.Sort(u.DeptIDs)
	for _, l := range du.LeaderInDept {
		if l.Leader {
			u.LeaderOf = append(u.LeaderOf, l.DeptID)
		}
	}
	slices.Sort(u.LeaderOf)
	for _, r := range du.Roles {
		u.Roles = append(u.Roles, r.Name)
	}
	slices.Sort(u.Roles)
	u.Protected = protectedBy(p, u)
	return u
}

func externalFrom(corp string, p Policy, c dingtalk.ExternalContact) User {
	u := User{CorpID: corp, UserID: ExternalPrefix + c.UserID, Name: c.Name, Title: c.Title,
		Email: c.Email, Kind: KindExternal, ExtKind: p.extKind(c.LabelIDs),
		Company: c.CompanyName, ManagerID: c.FollowerUserID, Active: true, mobile: c.Mobile}
	u.Protected = protectedBy(p, u)
	return u
}

func deptFrom(corp string, dd dingtalk.Department) Dept {
	return Dept{CorpID: corp, ID: dd.ID, Name: dd.Name, ParentID: dd.ParentID,
		Managers: slices.Clone(dd.ManagerUserIDs), Active: true}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
