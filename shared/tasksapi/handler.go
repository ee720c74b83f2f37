package tasksapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

// idemTTL is how long an Idempotency-Key is remembered.
const idemTTL = 24 * time.Hour

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
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// apiError is an error with the HTTP answer it deserves.
type apiError struct {
	status  int
	code    string
	message string
	details any
}

// Error returns the package, code and message.
func (e *apiError) Error() string { return "tasksapi: " + e.code + ": " + e.message }

func apiErr(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func invalid(errs ...FieldError) *apiError {
	msg := make([]string, len(errs))
	for i, e := range errs {
		msg[i] = e.Field + ": " + e.Rule
	}
	return &apiError{status: http.StatusBadRequest, code: "invalid_input",
		message: strings.Join(msg, "; "), details: errs}
}

func forbidden(what string) *apiError {
	return apiErr(http.StatusForbidden, "forbidden", "you may not "+what)
}

// conflict answers a lost race with the object as it now stands.
func conflict(current any) *apiError {
	return &apiError{status: http.StatusConflict, code: "version_conflict",
		message: "changed meanwhile; details hold the current version", details: current}
}

// CycleDetails are the details of a 422 cycle answer.
type CycleDetails struct {
	Cycle []string `json:"cycle"`
}

// planErr maps a refusal of the domain onto its HTTP answer.
func planErr(err error) error {
	var pe *plan.Error
	if !errors.As(err, &pe) {
		return err
	}
	msg := pe.Error()
	switch {
	case errors.Is(err, plan.ErrInvalid):
		return invalid(FieldError{Field: cmpOr(pe.Field, "body"), Rule: cmpOr(pe.Detail,
			"invalid")})
	case errors.Is(err, plan.ErrNotFound):
		return apiErr(http.StatusNotFound, "not_found", msg)
	case errors.Is(err, plan.ErrExists):
		return apiErr(http.StatusConflict, "exists", msg)
	case errors.Is(err, plan.ErrForbidden):
		return apiErr(http.StatusForbidden, "forbidden", msg)
	case errors.Is(err, plan.ErrTransition):
		return apiErr(http.StatusUnprocessableEntity, "transition_not_allowed", msg)
	case errors.Is(err, plan.ErrCycle):
		return &apiError{status: http.StatusUnprocessableEntity, code: "cycle", message: msg,
			details: CycleDetails{Cycle: pe.Cycle}}
	}
	return apiErr(http.StatusUnprocessableEntity, "refused", msg)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		runtime.WriteError(w, ae.status, ae.code, ae.message, ae.details)
		return
	}
	s.auth.WriteError(w, r, err)
}

// decode reads one JSON object of at most maxBody bytes into v, refusing
// unknown fields and trailing data.
func decode(r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return apiErr(http.StatusBadRequest, "invalid_json", "reading the body: "+err.Error())
	}
	if len(body) > maxBody {
		return apiErr(http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the body is over %d bytes", maxBody))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonErr(err)
	}
	if dec.More() {
		return apiErr(http.StatusBadRequest, "invalid_json", "data after the JSON object")
	}
	return nil
}

// jsonErr names the offending field of a decoding error where it can.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return invalid(FieldError{te.Field, "want a JSON " + te.Type.Kind().String()})
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return invalid(FieldError{strings.Trim(f, `"`), "unknown field"})
	}
	return apiErr(http.StatusBadRequest, "invalid_json", msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		runtime.WriteError(w, http.StatusInternalServerError, "internal", "encoding", nil)
		return
	}
	writeRaw(w, status, append(body, '\n'))
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// idempotent runs do once per Idempotency-Key header (when there is one)
// and answers status with its result; a repeat of the same request gets the
// stored answer (header Idempotent-Replayed: true), a different request
// under the same key a 422. A refused request releases its key, so that a
// repeat is decided afresh. Keys are scoped to the caller.
func (s *Service) idempotent(w http.ResponseWriter, r *http.Request, c projects.Principal,
	status int, req any, do func() (any, error)) error {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		v, err := do()
		if err == nil {
			writeJSON(w, status, v)
		}
		return err
	}
	if len(key) > 128 {
		return invalid(FieldError{"Idempotency-Key", "at most 128 characters"})
	}
	body, _ := json.Marshal(req)
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	hash := hex.EncodeToString(sum[:])
	ik := tables.Key{tables.TenantKey(c.Corp), "tasks/" + c.UID + "/" + key}
	ctx := r.Context()
	out, replayed, err := s.db.Once(ctx, tables.Idem.Name, ik, hash, idemTTL,
		func() ([]byte, error) { return marshalResult(do()) })
	if err := idemErr(err); err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeRaw(w, status, out)
	return nil
}

// marshalResult encodes an idempotent request's answer for storing.
func marshalResult(v any, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(v)
	return append(out, '\n'), err
}

// idemErr maps tables.Once's refusals to the API's answers.
func idemErr(err error) error {
	switch {
	case errors.Is(err, tables.ErrConflict):
		return apiErr(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this Idempotency-Key was used for a different request")
	case errors.Is(err, tables.ErrInProgress):
		return apiErr(http.StatusConflict, "in_progress", "the same request is still running")
	}
	return err
}
