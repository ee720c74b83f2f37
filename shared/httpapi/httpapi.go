// Package httpapi holds the JSON-over-HTTP plumbing the micro-app API
// functions share: strict request decoding, errors that carry their HTTP
// answer, and the mapping of storage errors onto statuses.
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// FieldError names an input field and the rule it breaks.
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// Error is an error with the HTTP answer it deserves: a status, a stable
// machine-readable code, a message for people and optional details.
type Error struct {
	Status  int
	Code    string
	Message string
	Details any
	Cause   error // logged for 5xx answers, never sent
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause, when there is one.
func (e *Error) Unwrap() error { return e.Cause }

// Err returns an Error with no details.
func Err(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Invalid returns the 400 answer for input that breaks the given rules; the
// message lists every field and rule, the details carry them as JSON.
func Invalid(errs ...FieldError) *Error {
	msg := make([]string, len(errs))
	for i, e := range errs {
		msg[i] = e.Field + ": " + e.Rule
	}
	return &Error{Status: http.StatusBadRequest, Code: "invalid_input",
		Message: strings.Join(msg, "; "), Details: errs}
}

// Forbidden returns the 403 answer "you may not <what>".
func Forbidden(what string) *Error {
	return Err(http.StatusForbidden, "forbidden", "you may not "+what)
}

// Conflict returns the 409 answer for a write that lost a race or named a
// stale version; the details hold the object as it now stands.
func Conflict(current any) *Error {
	return &Error{Status: http.StatusConflict, Code: "version_conflict",
		Message: "changed meanwhile; details hold the current version", Details: current}
}

// Decode reads one JSON object of at most maxBody bytes into v, refusing
// other media types, unknown fields and trailing data. Its errors are
// *Error values that name the offending field where the decoder does.
func Decode(r *http.Request, v any, maxBody int64) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return Err(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return Err(http.StatusBadRequest, "invalid_json", "reading the body: "+err.Error())
	}
	if int64(len(body)) > maxBody {
		return Err(http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the body is over %d bytes", maxBody))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeErr(err)
	}
	if dec.More() {
		return Err(http.StatusBadRequest, "invalid_json", "data after the JSON object")
	}
	return nil
}

// decodeErr names the offending field of a decoding error where it can.
func decodeErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return Invalid(FieldError{te.Field, "want a JSON " + te.Type.Kind().String()})
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return Invalid(FieldError{strings.Trim(f, `"`), "unknown field"})
	}
	if strings.Contains(msg, "YYYY-MM-DD") {
		return Invalid(FieldError{"date", msg})
	}
	return Err(http.StatusBadRequest, "invalid_json", msg)
}

// WriteJSON answers with v as JSON, not to be cached unless the handler set
// a Cache-Control header of its own.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		runtime.WriteError(w, http.StatusInternalServerError, "internal", "encoding", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// WriteErr answers with err: an *Error as it says, storage errors as 404,
// 409 or 503, anything else as a logged 500. notFound is the message of a
// missing row ("no such contract").
func WriteErr(w http.ResponseWriter, r *http.Request, err error, notFound string) {
	var ae *Error
	switch {
	case errors.As(err, &ae):
		if ae.Status >= 500 {
			runtime.Logger(r.Context()).Error("request", "method", r.Method, "path",
				r.URL.Path, "error", err, "cause", ae.Cause)
		}
		runtime.WriteError(w, ae.Status, ae.Code, ae.Message, ae.Details)
	case errors.Is(err, tables.ErrNotFound):
		runtime.WriteError(w, http.StatusNotFound, "not_found", notFound, nil)
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
