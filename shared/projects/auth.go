package projects

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/session"
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

// principal loads corp:user from the directory with their organization
// role (directory.User.OrgRole); users who left, and users the directory
// does not know, are refused.
func (s *Service) principal(ctx context.Context, corp, user string) (caller, error) {
	u, role, err := s.dir.Principal(ctx, corp, user)
	switch {
	case errors.Is(err, directory.ErrInactive):
		return caller{}, httpapi.Err(http.StatusForbidden, "user_inactive",
			"this user has left the organization")
	case errors.Is(err, directory.ErrNotFound):
		return caller{}, httpapi.Err(http.StatusForbidden, "user_unknown",
			"this user is not in the organization's directory")
	case err != nil:
		return caller{}, err
	}
	return caller{Subject: access.Subject{Corp: corp, User: user, OrgRole: role},
		uid: u.UID(), user: u}, nil
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
		return httpapi.Err(http.StatusUnauthorized, "unauthenticated",
			"sign in: send Authorization: Bearer <session token>")
	case errors.Is(err, session.ErrExpired):
		return httpapi.Err(http.StatusUnauthorized, "session_expired",
			"the session expired; refresh it or sign in again")
	}
	return httpapi.Err(http.StatusUnauthorized, "invalid_session", "the session token is not valid")
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
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	if !corpRE.MatchString(req.CorpID) {
		errs = append(errs, FieldError{Field: "corpId", Rule: "required: a DingTalk corp id"})
	}
	if req.AuthCode == "" || len(req.AuthCode) > 256 {
		errs = append(errs, FieldError{Field: "authCode", Rule: "required: 1-256 characters"})
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	app, ok := s.apps[req.CorpID]
	if !ok {
		return httpapi.Invalid(FieldError{Field: "corpId",
			Rule: "no DingTalk app is configured for it"})
	}
	id, err := app.UserByAuthCode(r.Context(), req.AuthCode)
	switch {
	case errors.Is(err, dingtalk.ErrInvalid):
		return httpapi.Err(http.StatusUnauthorized, "invalid_auth_code",
			"the auth code is unknown, used, expired or of another organization")
	case err != nil:
		return &httpapi.Error{Status: http.StatusBadGateway, Code: "dingtalk_unavailable",
			Message: "DingTalk did not answer; try again", Cause: err}
	case id.UserID == "":
		return httpapi.Err(http.StatusUnauthorized, "invalid_auth_code", "no user for the code")
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
	httpapi.WriteJSON(w, http.StatusOK, SessionResponse{Token: tok, ExpiresAt: claims.Expires.UTC(),
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
