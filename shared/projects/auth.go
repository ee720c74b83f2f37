package projects

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// caller is the signed-in user of a request.
type caller struct {
	access.Subject
	uid  string
	user directory.User
}

// LoginRequest is the body of POST /api/auth/login.
type LoginRequest struct {
	CorpID   string `json:"corpId"`
	AuthCode string `json:"authCode"`
}

// SessionResponse answers a sign-in or a refresh.
type SessionResponse struct {
	Token     string               `json:"token"`
	ExpiresAt time.Time            `json:"expiresAt"`
	CorpID    string               `json:"corpId"`
	UserID    string               `json:"userId"`
	OrgRole   access.OrgRole       `json:"orgRole"`
	User      directory.PublicUser `json:"user"`
}

// orgRoleOf is the organization role of a directory user: the User row's
// org_role column when it names a role (set by the organization's admins),
// otherwise derived from the directory: external contacts, the boss
// (executive), department leaders, admins, and staff.
func orgRoleOf(u directory.User, override string) access.OrgRole {
	if r := access.OrgRole(override); r.Valid() {
		return r
	}
	switch {
	case u.Kind == directory.KindExternal:
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

// principal loads corp:user from the directory; users who left, and users
// the directory does not know, are refused.
func (s *Service) principal(ctx context.Context, corp, user string) (caller, error) {
	u, err := s.dir.Lookup(ctx, corp, user)
	switch {
	case errors.Is(err, directory.ErrInactive):
		return caller{}, apiErr(http.StatusForbidden, "user_inactive",
			"this user has left the organization")
	case errors.Is(err, directory.ErrNotFound):
		return caller{}, apiErr(http.StatusForbidden, "user_unknown",
			"this user is not in the organization's directory")
	case err != nil:
		return caller{}, err
	}
	row, err := s.db.Get(ctx, tables.User.Name, tables.Key{tenant(corp), user},
		tables.Columns(colOrgRole))
	override := ""
	switch {
	case errors.Is(err, tables.ErrNotFound):
	case err != nil:
		return caller{}, err
	default:
		override = row.String(colOrgRole)
	}
	return caller{Subject: access.Subject{Corp: corp, User: user,
		OrgRole: orgRoleOf(u, override)}, uid: u.UID(), user: u}, nil
}

// authenticate checks the request's session and its user.
func (s *Service) authenticate(r *http.Request) (caller, error) {
	claims, err := s.sessions.Authenticate(r)
	if err != nil {
		return caller{}, sessionErr(err)
	}
	return s.principal(r.Context(), claims.Corp, claims.User)
}

func sessionErr(err error) error {
	switch {
	case errors.Is(err, session.ErrMissing):
		return apiErr(http.StatusUnauthorized, "unauthenticated",
			"sign in: send Authorization: Bearer <session token>")
	case errors.Is(err, session.ErrExpired):
		return apiErr(http.StatusUnauthorized, "session_expired",
			"the session expired; refresh it or sign in again")
	}
	return apiErr(http.StatusUnauthorized, "invalid_session", "the session token is not valid")
}

// viewer is who the caller is when users are shown to them.
func (s *Service) viewer(ctx context.Context, c caller) directory.Viewer {
	v, err := s.dir.Viewer(ctx, c.Corp, c.User)
	if err != nil {
		return directory.Viewer{} // sees no protected number
	}
	return v
}

func (s *Service) login(w http.ResponseWriter, r *http.Request) error {
	var req LoginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	var errs []FieldError
	if !corpRE.MatchString(req.CorpID) {
		errs = append(errs, FieldError{"corpId", "required: a DingTalk corp id"})
	}
	if req.AuthCode == "" || len(req.AuthCode) > 256 {
		errs = append(errs, FieldError{"authCode", "required: 1-256 characters"})
	}
	if errs != nil {
		return invalid(errs)
	}
	app, ok := s.apps[req.CorpID]
	if !ok {
		return invalid([]FieldError{{"corpId", "no DingTalk app is configured for it"}})
	}
	id, err := app.UserByAuthCode(r.Context(), req.AuthCode)
	switch {
	case errors.Is(err, dingtalk.ErrInvalid):
		return apiErr(http.StatusUnauthorized, "invalid_auth_code",
			"the auth code is unknown, used, expired or of another organization")
	case err != nil:
		return &apiError{status: http.StatusBadGateway, code: "dingtalk_unavailable",
			message: "DingTalk did not answer; try again", cause: err}
	case id.UserID == "":
		return apiErr(http.StatusUnauthorized, "invalid_auth_code", "no user for the code")
	}
	c, err := s.principal(r.Context(), req.CorpID, id.UserID)
	if err != nil {
		return err
	}
	tok, claims, err := s.sessions.Issue(c.Corp, c.User)
	if err != nil {
		return err
	}
	return s.writeSession(w, r, c, tok, claims)
}

func (s *Service) writeSession(w http.ResponseWriter, r *http.Request, c caller, tok string,
	claims session.Claims) error {
	writeJSON(w, http.StatusOK, SessionResponse{Token: tok, ExpiresAt: claims.Expires.UTC(),
		CorpID: c.Corp, UserID: c.User, OrgRole: c.OrgRole,
		User: directory.View(s.viewer(r.Context(), c), c.user)})
	return nil
}

func (s *Service) refresh(w http.ResponseWriter, r *http.Request) error {
	old, err := session.FromRequest(r)
	if err != nil {
		return sessionErr(err)
	}
	tok, claims, err := s.sessions.Refresh(old)
	if err != nil {
		return sessionErr(err)
	}
	c, err := s.principal(r.Context(), claims.Corp, claims.User)
	if err != nil {
		return err
	}
	return s.writeSession(w, r, c, tok, claims)
}

// deptIDs renders directory department ids as the strings projects use.
func deptIDs(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}
