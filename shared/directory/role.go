package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/tables"
)

// ColOrgRole is the User row column in which an organization's admins set
// a user's organization role by hand; it wins over the derived one.
const ColOrgRole = "org_role"

// OrgRole is the organization role of u: override (the User row's
// ColOrgRole) when it names a role, otherwise derived from the directory:
// external contacts, the boss or the "executive" role, department leaders,
// admins, and staff. Every function decides roles with this one rule.
func (u User) OrgRole(override string) access.OrgRole {
	if r := access.OrgRole(override); r.Valid() {
		return r
	}
	switch {
	case u.Kind == KindExternal:
		return access.External
	case u.Boss || slices.Contains(u.Roles, string(access.Executive)):
		return access.Executive
	case u.Manager():
		return access.DeptManager
	case u.Admin:
		return access.Admin
	}
	return access.Staff
}

// Principal reads corp:userID's row once and returns the user with their
// organization role (User.OrgRole with the row's ColOrgRole). A user who
// left is refused with ErrInactive (the user is returned too), one the
// directory does not know with ErrNotFound.
func (d *Directory) Principal(ctx context.Context, corp, userID string) (User, access.OrgRole,
	error) {
	r, err := d.store.Get(ctx, tables.User.Name, tables.Key{tid(corp), userID})
	if errors.Is(err, tables.ErrNotFound) {
		return User{}, "", fmt.Errorf("directory: user %q: %w", corp+":"+userID, ErrNotFound)
	}
	if err != nil {
		return User{}, "", err
	}
	u, err := userFromRow(corp, r)
	if err != nil {
		return User{}, "", err
	}
	if !u.Active {
		return u, "", fmt.Errorf("directory: user %q: %w", u.UID(), ErrInactive)
	}
	return u, u.OrgRole(r.String(ColOrgRole)), nil
}
