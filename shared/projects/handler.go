package projects

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/runtime"
)

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

var (
	corpRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	idRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// route is one endpoint: its method and pattern, and its handler, which
// runs with the session's caller unless the route is public.
type route struct {
	pattern string
	public  func(w http.ResponseWriter, r *http.Request) error
	h       handlerFunc
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c caller) error

// routes lists every endpoint; the OpenAPI test checks it against
// openapi.json.
func (s *Service) routes() []route {
	const p = "/api/projects/{corp}/{id}"
	return []route{
		{pattern: "POST /api/auth/login", public: s.login},
		{pattern: "POST /api/auth/refresh", public: s.refresh},
		{pattern: "GET /api/orgs/{corp}", h: s.getOrg},
		{pattern: "POST /api/projects", h: s.create},
		{pattern: "GET /api/projects", h: s.list},
		{pattern: "GET " + p, h: s.get},
		{pattern: "PATCH " + p, h: s.update},
		{pattern: "POST " + p + "/archive", h: s.archive},
		{pattern: "POST " + p + "/partners", h: s.addPartner},
		{pattern: "GET " + p + "/members", h: s.listMembers},
		{pattern: "POST " + p + "/members", h: s.addMember},
		{pattern: "PATCH " + p + "/members/{uid}", h: s.setRole},
		{pattern: "DELETE " + p + "/members/{uid}", h: s.removeMember},
		{pattern: "GET " + p + "/milestones", h: s.listMilestones},
		{pattern: "POST " + p + "/milestones", h: s.addMilestone},
		{pattern: "PATCH " + p + "/milestones/{mid}", h: s.editMilestone},
		{pattern: "POST " + p + "/milestones/{mid}/accept", h: s.acceptMilestone},
		{pattern: "POST " + p + "/approval", h: s.startApproval},
		{pattern: "GET " + p + "/approval", h: s.getApproval},
		{pattern: "GET /api/views/executive", h: s.executive},
		{pattern: "GET /api/views/department", h: s.department},
	}
}

// Handler returns the HTTP API. Every route but sign-in and refresh needs a
// session (Authorization: Bearer); errors are runtime.ErrorBody JSON. The
// routes and their bodies are described by OpenAPI.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		if rt.public != nil {
			mux.Handle(rt.pattern, s.serve(rt.public))
			continue
		}
		h := rt.h
		mux.Handle(rt.pattern, s.serve(func(w http.ResponseWriter, r *http.Request) error {
			c, err := s.authenticate(r)
			if err != nil {
				return err
			}
			return h(w, r, c)
		}))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteError(w, http.StatusNotFound, "no_route",
			fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path), nil)
	})
	return mux
}

func (s *Service) serve(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeErr(w, r, err)
		}
	})
}

// FieldError names an input field and the rule it breaks.
type FieldError = httpapi.FieldError

// CycleDetails are the details of a 422 cycle answer.
type CycleDetails struct {
	Cycle []string `json:"cycle"`
}

// PlanError maps a refusal of the domain (a *plan.Error) onto its HTTP
// answer; other errors are returned as they are.
func PlanError(err error) error {
	var pe *plan.Error
	if !errors.As(err, &pe) {
		return err
	}
	msg := pe.Error()
	switch {
	case errors.Is(err, plan.ErrInvalid):
		return httpapi.Invalid(FieldError{Field: cmp.Or(pe.Field, "body"),
			Rule: cmp.Or(pe.Detail, "invalid")})
	case errors.Is(err, plan.ErrNotFound):
		return httpapi.Err(http.StatusNotFound, "not_found", msg)
	case errors.Is(err, plan.ErrExists):
		return httpapi.Err(http.StatusConflict, "exists", msg)
	case errors.Is(err, plan.ErrForbidden):
		return httpapi.Err(http.StatusForbidden, "forbidden", msg)
	case errors.Is(err, plan.ErrIncomplete):
		return httpapi.Err(http.StatusUnprocessableEntity, "incomplete", msg)
	case errors.Is(err, plan.ErrTransition):
		return httpapi.Err(http.StatusUnprocessableEntity, "transition_not_allowed", msg)
	case errors.Is(err, plan.ErrCycle):
		return &httpapi.Error{Status: http.StatusUnprocessableEntity, Code: "cycle",
			Message: msg, Details: CycleDetails{Cycle: pe.Cycle}}
	}
	return httpapi.Err(http.StatusUnprocessableEntity, "refused", msg)
}

func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.WriteErr(w, r, err, "no such object")
}

// idempotent runs do once per Idempotency-Key header and answers 201 with
// its result (httpapi.Idempotent); keys are scoped to the caller.
func (s *Service) idempotent(w http.ResponseWriter, r *http.Request, c caller, req any,
	do func() (any, error)) error {
	return httpapi.Idempotent(w, r, s.db, tenant(c.Corp), "projects/"+c.uid,
		http.StatusCreated, req, do)
}
