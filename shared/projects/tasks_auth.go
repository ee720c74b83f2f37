package projects

import (
	"net/http"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/tables"
)

// Principal is the signed-in user of a request, for the tasks function.
type Principal struct {
	access.Subject
	UID  string // "corp:userid", the user's identity in plans
	Name string
}

// Authenticate checks the request's session (Authorization: Bearer) and
// that its user is still in the organization's directory. Its errors are
// answered by WriteError (401 or 403).
func (s *Service) Authenticate(r *http.Request) (Principal, error) {
	c, err := s.authenticate(r)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Subject: c.Subject, UID: c.uid, Name: c.user.Name}, nil
}

// WriteError answers err the way the projects API does: its own refusals
// with their status, tables.ErrNotFound as 404, a lost race as 409,
// throttling as 503, anything else as a logged 500.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeErr(w, r, err)
}

// Tables returns the typed store the service was built over.
func (s *Service) Tables() *tables.Store { return s.db }
