package runtime

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Sentinel errors returned (wrapped) by Dispatch and the decoders.
var (
	// ErrMalformedEvent means the payload is not valid JSON or does not fit
	// the shape of the event kind it was recognised as.
	ErrMalformedEvent = errors.New("malformed event")
	// ErrNoHandler means the event kind has no handler in the Function.
	ErrNoHandler = errors.New("no handler")
	// ErrPanic means a handler panicked; the stack is logged under "stack".
	ErrPanic = errors.New("handler panicked")
)

// ErrorBody is the JSON shape of every HTTP error the project returns:
// {"error":{"code":...,"message":...,"details":...}}.
type ErrorBody struct {
	Error ErrorInfo `json:"error"`
}

// ErrorInfo is the inner object of ErrorBody. Code is a short snake_case
// identifier clients branch on; Message is for people; Details is optional.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// WriteError writes status and an ErrorBody as JSON. A nil details is
// omitted, and so are details that cannot be marshalled.
func WriteError(w http.ResponseWriter, status int, code, message string, details any) {
	body, err := json.Marshal(ErrorBody{Error: ErrorInfo{code, message, details}})
	if err != nil {
		// Details that cannot be marshalled are dropped; code and message remain.
		body, _ = json.Marshal(ErrorBody{Error: ErrorInfo{Code: code, Message: message}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
