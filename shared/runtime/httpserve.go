package runtime

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"unicode/utf8"
)

// HealthResponse is the body of the built-in health answer.
type HealthResponse struct {
	Function string `json:"function"`
	Status   string `json:"status"`
}

// isHealth reports whether r is the built-in health route.
func isHealth(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/healthz")
}

// writeHealth answers the health route.
func writeHealth(w http.ResponseWriter, name string) {
	b, _ := json.Marshal(HealthResponse{Function: name, Status: "ok"})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(append(b, '\n'))
}

// recorder buffers a handler's response so that it can be converted into
// an event response, or replaced by a 500 if the handler panics.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

var _ http.ResponseWriter = (*recorder)(nil)

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

// Header returns the response header map.
func (rec *recorder) Header() http.Header { return rec.header }

// WriteHeader records the first status code.
func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

// Write buffers body bytes, implying a 200 if no status was set.
func (rec *recorder) Write(p []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return rec.body.Write(p)
}

// reset discards everything written so far.
func (rec *recorder) reset() {
	rec.header = make(http.Header)
	rec.status = 0
	rec.body.Reset()
}

// Flush is a no-op: event responses are delivered whole.
func (rec *recorder) Flush() {}

// finish fills in the status and Content-Type as net/http would.
func (rec *recorder) finish() {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.body.Len() > 0 && rec.header.Get("Content-Type") == "" {
		if _, set := rec.header["Content-Type"]; !set {
			rec.header.Set("Content-Type", http.DetectContentType(rec.body.Bytes()))
		}
	}
}

// encodedBody returns the body as event text: base64 with true when the
// body is not valid UTF-8 or its Content-Type is binary.
func (rec *recorder) encodedBody() (string, bool) {
	b := rec.body.Bytes()
	if len(b) == 0 {
		return "", false
	}
	if utf8.Valid(b) && isTextType(rec.header.Get("Content-Type")) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

// isTextType reports whether a Content-Type carries text. An empty or
// unparsable type counts as text; the UTF-8 check still applies.
func isTextType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return true
	}
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") ||
		strings.HasSuffix(mt, "+xml") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript",
		"application/x-www-form-urlencoded", "application/x-ndjson",
		"application/graphql", "application/problem+json":
		return true
	}
	return false
}

// serveHTTP runs the health route, f.HTTP or the 404 into rec, turning a
// panic into a 500 JSON error logged with its stack.
func (f Function) serveHTTP(rec *recorder, r *http.Request, l *slog.Logger) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				l.Warn("http aborted", "method", r.Method, "path", r.URL.Path)
			} else {
				l.Error("panic", "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
			rec.reset()
			WriteError(rec, http.StatusInternalServerError, "internal",
				"internal error", map[string]string{"request_id": RequestID(r.Context())})
		}
		rec.finish()
	}()
	switch {
	case isHealth(r):
		writeHealth(rec, FunctionName(r.Context()))
	case f.HTTP == nil:
		WriteError(rec, http.StatusNotFound, "not_found",
			fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path), nil)
	default:
		f.HTTP.ServeHTTP(rec, r)
	}
}

// logHTTP logs the outcome of one HTTP event.
func logHTTP(l *slog.Logger, r *http.Request, status int) {
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	l.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", status)
}
