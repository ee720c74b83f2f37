package projects

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

// idemTTL is how long an Idempotency-Key of a create is remembered.
const idemTTL = 24 * time.Hour

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
	cause   error
}

// Error returns the package, code and message.
func (e *apiError) Error() string { return "projects: " + e.code + ": " + e.message }

// Unwrap returns the cause, when there is one.
func (e *apiError) Unwrap() error { return e.cause }

func apiErr(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func invalid(errs []FieldError) *apiError {
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

// planErr maps a refusal of the domain onto its HTTP answer.
func planErr(err error) error {
	var pe *plan.Error
	if !errors.As(err, &pe) {
		return err
	}
	msg := pe.Error()
	switch {
	case errors.Is(err, plan.ErrInvalid):
		field := pe.Field
		if field == "" {
			field = "body"
		}
		return invalid([]FieldError{{Field: field, Rule: cmpOr(pe.Detail, "invalid")}})
	case errors.Is(err, plan.ErrNotFound):
		return apiErr(http.StatusNotFound, "not_found", msg)
	case errors.Is(err, plan.ErrExists):
		return apiErr(http.StatusConflict, "exists", msg)
	case errors.Is(err, plan.ErrForbidden):
		return apiErr(http.StatusForbidden, "forbidden", msg)
	case errors.Is(err, plan.ErrIncomplete):
		return apiErr(http.StatusUnprocessableEntity, "incomplete", msg)
	case errors.Is(err, plan.ErrTransition):
		return apiErr(http.StatusUnprocessableEntity, "transition_not_allowed", msg)
	case errors.Is(err, plan.ErrCycle):
		return apiErr(http.StatusUnprocessableEntity, "cycle", msg)
	}
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		if ae.status >= 500 {
			runtime.Logger(r.Context()).Error("request", "method", r.Method, "path",
				r.URL.Path, "error", err, "cause", ae.cause)
		}
		runtime.WriteError(w, ae.status, ae.code, ae.message, ae.details)
	case errors.Is(err, tables.ErrNotFound):
		runtime.WriteError(w, http.StatusNotFound, "not_found", "no such object", nil)
	case errors.Is(err, tables.ErrConflict), errors.Is(err, tables.ErrExists):
		runtime.WriteError(w, http.StatusConflict, "conflict", "changed meanwhile; read it again",
			nil)
	case errors.Is(err, tables.ErrThrottled), errors.Is(err, tables.ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		runtime.WriteError(w, http.StatusServiceUnavailable, "unavailable", "try again shortly",
			nil)
	default:
		runtime.Logger(r.Context()).Error("request", "method", r.Method, "path", r.URL.Path,
			"error", err)
		runtime.WriteError(w, http.StatusInternalServerError, "internal", "internal error", nil)
	}
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
		return invalid([]FieldError{{te.Field, "want a JSON " + te.Type.Kind().String()}})
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return invalid([]FieldError{{strings.Trim(f, `"`), "unknown field"}})
	}
	if strings.Contains(msg, "YYYY-MM-DD") {
		return invalid([]FieldError{{"date", msg}})
	}
	return apiErr(http.StatusBadRequest, "invalid_json", msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		runtime.WriteError(w, http.StatusInternalServerError, "internal", "encoding", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// idempotent runs do once per Idempotency-Key header (when there is one) and
// answers 201 with its result, replaying the stored answer for a repeat.
// The key is scoped to the caller and the path.
func (s *Service) idempotent(w http.ResponseWriter, r *http.Request, c caller, req any,
	do func() (any, error)) error {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		v, err := do()
		if err == nil {
			writeJSON(w, http.StatusCreated, v)
		}
		return err
	}
	if len(key) > 128 {
		return invalid([]FieldError{{"Idempotency-Key", "at most 128 characters"}})
	}
	body, _ := json.Marshal(req)
	sum := sha256.Sum256(append([]byte(r.URL.Path+"\n"), body...))
	hash := hex.EncodeToString(sum[:])
	ik := tables.Key{tenant(c.Corp), "projects/" + c.uid + "/" + key}
	out, replayed, err := s.db.Once(r.Context(), tables.Idem.Name, ik, hash, idemTTL,
		func() ([]byte, error) { return marshalResult(do()) })
	if err := idemErr(err); err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	w.Write(out)
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
