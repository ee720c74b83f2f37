package contracts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

// Handler returns the HTTP API, mounted at /api/contracts. {corp} is the
// organization that owns the project; every request carries a session
// (Authorization: Bearer). Errors are runtime.ErrorBody JSON.
//
//	POST /api/contracts/{corp}                              create (Idempotency-Key honoured)
//	GET  /api/contracts/{corp}?projectId=P                  list a project's contracts
//	GET  /api/contracts/{corp}/{id}                         get
//	POST /api/contracts/{corp}/{id}/status                  {"status","ver"}: move the status
//	POST /api/contracts/{corp}/{id}/uploads                 {"filename","contentType"}:
//	                                                        upload grant
//	GET  /api/contracts/{corp}/{id}/uploads/{upload}        what became of an upload
//	GET  /api/contracts/{corp}/{id}/versions                list versions
//	GET  /api/contracts/{corp}/{id}/versions/{n}/download   download grant for version n
//
// Moving a contract to under_approval starts its DingTalk OA approval
// (Config.Approvers; approval.go) and records the instance on the contract;
// the outcome arrives through the dingtalk-callback function (Applier).
// Moving to signed needs that approval approved.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h func(http.ResponseWriter, *http.Request, caller) error) {
		mux.Handle(pattern, s.endpoint(h))
	}
	route("POST /api/contracts/{corp}", s.create)
	route("GET /api/contracts/{corp}", s.list)
	route("GET /api/contracts/{corp}/{id}", s.get)
	route("POST /api/contracts/{corp}/{id}/status", s.setStatus)
	route("POST /api/contracts/{corp}/{id}/uploads", s.grantUpload)
	route("GET /api/contracts/{corp}/{id}/uploads/{upload}", s.uploadStatus)
	route("GET /api/contracts/{corp}/{id}/versions", s.versions)
	route("GET /api/contracts/{corp}/{id}/versions/{n}/download", s.download)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteError(w, http.StatusNotFound, "no_route",
			fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path), nil)
	})
	return mux
}

// apiError is an error with the HTTP answer it deserves.
type apiError struct {
	status  int
	code    string
	message string
	details any
}

// Error returns the package, code and message.
func (e *apiError) Error() string { return "contracts: " + e.code + ": " + e.message }

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

// endpoint authenticates, runs h and turns its error into the JSON answer.
func (s *Service) endpoint(h func(http.ResponseWriter, *http.Request,
	caller) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			s.writeErr(w, r, err)
		}
	})
}

func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		runtime.WriteError(w, ae.status, ae.code, ae.message, ae.details)
	case errors.Is(err, tables.ErrNotFound):
		runtime.WriteError(w, http.StatusNotFound, "not_found", "no such contract", nil)
	case errors.Is(err, tables.ErrConflict):
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
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
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
		return apiErr(http.StatusBadRequest, "invalid_json", err.Error())
	}
	if dec.More() {
		return apiErr(http.StatusBadRequest, "invalid_json", "data after the JSON object")
	}
	return nil
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

// GrantResponse answers an upload request: the upload to watch and the grant
// to upload with (a form for PostObject, or presigned PUT URLs).
type GrantResponse struct {
	Upload *Upload    `json:"upload"`
	Grant  blob.Grant `json:"grant"`
}

// DownloadResponse answers a download request.
type DownloadResponse struct {
	Version *Version `json:"version"`
	URL     string   `json:"url"`
	Expires string   `json:"expires"`
}
