package contracts

import (
	"context"
	"errors"
	"net/http"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// Member rows whose status is set to anything but active (a member removed
// from the project, a user who left) grant nothing.
const memberActive = "active"

// caller is the signed-in user of a request.
type caller struct {
	access.Subject
	uid string
}

// authenticate checks the session and reads the caller's organization role
// from the directory (directory.User.OrgRole); a user who left is refused,
// one the directory does not hold is staff.
func (s *Service) authenticate(r *http.Request) (caller, error) {
	claims, err := s.sessions.Authenticate(r)
	switch {
	case errors.Is(err, session.ErrMissing):
		return caller{}, httpapi.Err(http.StatusUnauthorized, "unauthenticated",
			"sign in: send Authorization: Bearer <session token>")
	case errors.Is(err, session.ErrExpired):
		return caller{}, httpapi.Err(http.StatusUnauthorized, "session_expired",
			"the session expired; refresh it or sign in again")
	case err != nil:
		return caller{}, httpapi.Err(http.StatusUnauthorized, "invalid_session",
			"the session token is not valid")
	}
	c := caller{Subject: access.Subject{Corp: claims.Corp, User: claims.User,
		OrgRole: access.Staff}, uid: claims.UID()}
	_, role, err := s.dir.Principal(r.Context(), claims.Corp, claims.User)
	switch {
	case errors.Is(err, directory.ErrNotFound):
	case errors.Is(err, directory.ErrInactive):
		return caller{}, httpapi.Err(http.StatusForbidden, "user_inactive",
			"this user has left the organization")
	case err != nil:
		return caller{}, err
	default:
		c.OrgRole = role
	}
	return c, nil
}

// projectRole returns the caller's role in project of the organization
// owning it (tenant tid), NotMember when there is no active membership.
func (s *Service) projectRole(ctx context.Context, tid, project string,
	c caller) (access.ProjectRole, error) {
	row, err := s.db.Get(ctx, tables.Member.Name, tables.Key{tid, project, c.uid},
		tables.Columns(colMemberRole, colMemberState))
	if errors.Is(err, tables.ErrNotFound) {
		return access.NotMember, nil
	}
	if err != nil {
		return access.NotMember, err
	}
	if st := row.String(colMemberState); st != "" && st != memberActive {
		return access.NotMember, nil
	}
	role := access.ProjectRole(row.String(colMemberRole))
	if !role.Valid() {
		return access.NotMember, nil
	}
	return role, nil
}

// authorize returns the caller's project role, refusing with 403 unless
// the caller may do a on project of corp (for contract actions, a contract
// with parties). An executive of the owning organization who is no member
// learns whether the project exists.
func (s *Service) authorize(ctx context.Context, c caller, a access.Action, corp,
	project string, parties []string) (access.ProjectRole, error) {
	tid := tables.TenantKey(corp)
	role, err := s.projectRole(ctx, tid, project, c)
	if err != nil {
		return role, err
	}
	res := access.Resource{OwnerCorp: corp, ProjectRole: role, Parties: parties}
	if !access.Can(c.Subject, a, res) {
		return role, httpapi.Err(http.StatusForbidden, "forbidden",
			"you may not "+string(a)+" in this project")
	}
	if role == access.NotMember {
		_, err := s.db.Get(ctx, tables.Project.Name, tables.Key{tid, project},
			tables.Columns("ver"))
		if errors.Is(err, tables.ErrNotFound) {
			return role, httpapi.Err(http.StatusNotFound, "project_not_found", "no such project")
		}
		return role, err
	}
	return role, nil
}
