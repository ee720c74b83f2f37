package tasksapi

import (
	"fmt"
	"net/http"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

type handlerFunc func(w http.ResponseWriter, r *http.Request, c projects.Principal) error

// route is one endpoint: its method and pattern and its handler.
type route struct {
	pattern string
	h       func(s *Service) handlerFunc
}

const (
	prj  = "/api/tasks/{corp}/{project}"
	task = prj + "/tasks/{task}"
)

// routes lists every endpoint; a test checks it against openapi.json.
var routes = []route{
	{"POST " + prj + "/tasks", func(s *Service) handlerFunc { return s.create }},
	{"GET " + prj + "/tasks", func(s *Service) handlerFunc { return s.list }},
	{"GET " + task, func(s *Service) handlerFunc { return s.get }},
	{"PATCH " + task, func(s *Service) handlerFunc { return s.update }},
	{"POST " + task + "/assign", func(s *Service) handlerFunc { return s.assign }},
	{"POST " + task + "/move", func(s *Service) handlerFunc { return s.move }},
	{"POST " + task + "/status", func(s *Service) handlerFunc { return s.status }},
	{"POST " + task + "/progress", func(s *Service) handlerFunc { return s.progress }},
	{"POST " + task + "/dependencies", func(s *Service) handlerFunc { return s.addDep }},
	{"DELETE " + task + "/dependencies/{pred}", func(s *Service) handlerFunc {
		return s.removeDep
	}},
	{"POST " + prj + "/bulk", func(s *Service) handlerFunc { return s.bulk }},
	{"POST " + task + "/worklogs", func(s *Service) handlerFunc { return s.logWork }},
	{"GET " + task + "/worklogs", func(s *Service) handlerFunc { return s.taskLogs }},
	{"POST " + task + "/comments", func(s *Service) handlerFunc { return s.comment }},
	{"GET " + task + "/comments", func(s *Service) handlerFunc { return s.comments }},
	{"POST " + prj + "/baselines", func(s *Service) handlerFunc { return s.saveBaseline }},
	{"GET " + prj + "/baselines", func(s *Service) handlerFunc { return s.baselines }},
	{"GET " + prj + "/baselines/{baseline}/variance", func(s *Service) handlerFunc {
		return s.variance
	}},
	{"GET " + prj + "/lead", func(s *Service) handlerFunc { return s.lead }},
	{"GET /api/tasks/me", func(s *Service) handlerFunc { return s.me }},
	{"GET /api/tasks/me/worklogs", func(s *Service) handlerFunc { return s.myLogs }},
}

// Handler returns the HTTP API. Every route needs a session (Authorization:
// Bearer, issued by the projects function); errors are runtime.ErrorBody
// JSON. The routes and their bodies are described by OpenAPI.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := rt.h(s)
		mux.Handle(rt.pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := s.auth.Authenticate(r)
			if err == nil {
				err = h(w, r, c)
			}
			if err != nil {
				s.writeErr(w, r, err)
			}
		}))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteError(w, http.StatusNotFound, "no_route",
			fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path), nil)
	})
	return mux
}

// FieldError names an input field and the rule it breaks.
type FieldError = httpapi.FieldError

// CycleDetails are the details of a 422 cycle answer.
type CycleDetails = projects.CycleDetails

func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	s.auth.WriteError(w, r, err)
}

// idempotent runs do once per Idempotency-Key header and answers status
// with its result (httpapi.Idempotent); keys are scoped to the caller.
func (s *Service) idempotent(w http.ResponseWriter, r *http.Request, c projects.Principal,
	status int, req any, do func() (any, error)) error {
	return httpapi.Idempotent(w, r, s.db, tables.TenantKey(c.Corp), "tasks/"+c.UID, status,
		req, do)
}
