// Package gateway is localdev's HTTP front door on loopback. It routes requests by the
// custom-domain routes of s.yaml to functions, converts each request into the FC3 HTTP
// trigger event and the function's HTTPTriggerResponse back into the reply, as FC does
// for built-in runtimes. It also serves FC's InvokeFunction path for direct invocation.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/xietong/xietong/localdev/fcrt"
)

// MaxEventBytes is FC's limit on a synchronous invocation's event (32 MB).
const MaxEventBytes = 32 << 20

// invokePrefix is FC's InvokeFunction API path (version 2023-03-30).
const invokePrefix = "/2023-03-30/functions/"

// Invoker runs one event through a function; *fcrt.Pool implements it.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (fcrt.Result, error)
}

var _ Invoker = (*fcrt.Pool)(nil)

// Route maps a path to a function. Path is exact ("/callback/dingtalk") or a wildcard
// prefix ending in "/*" ("/api/tasks/*" matches "/api/tasks/" and everything below it).
// Empty Methods allow every method.
type Route struct {
	Path     string
	Function string
	Methods  []string
}

// Config configures a Gateway.
type Config struct {
	Routes []Route
	// Functions maps names (as Route.Function and the InvokeFunction path use them) to
	// invokers.
	Functions map[string]Invoker
	// AccountID and Domain fill requestContext.
	AccountID string
	Domain    string
	// Admin, when set, serves paths under /_localdev/.
	Admin http.Handler
	// Logger, when set, gets one line per request.
	Logger *slog.Logger
}

// Gateway is an http.Handler; see the package comment.
type Gateway struct {
	cfg    Config
	routes []Route
}

// New returns a gateway over cfg. Routes are matched exact first, then by the longest
// wildcard prefix.
func New(cfg Config) *Gateway {
	routes := append([]Route(nil), cfg.Routes...)
	sort.SliceStable(routes, func(i, j int) bool { return rank(routes[i]) > rank(routes[j]) })
	return &Gateway{cfg: cfg, routes: routes}
}

// rank orders exact routes before wildcards and longer prefixes before shorter ones.
func rank(r Route) int {
	if !strings.HasSuffix(r.Path, "*") {
		return 1<<20 + len(r.Path)
	}
	return len(r.Path)
}

// Match returns the route for path.
func (g *Gateway) Match(path string) (Route, bool) {
	for _, r := range g.routes {
		if prefix, ok := strings.CutSuffix(r.Path, "*"); ok {
			if strings.HasPrefix(path, prefix) {
				return r, true
			}
			continue
		}
		if path == r.Path {
			return r, true
		}
	}
	return Route{}, false
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	fn := g.serve(rec, r)
	if g.cfg.Logger != nil {
		g.cfg.Logger.Info("request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "function", fn, "request_id", rec.Header().Get(headerRequestID),
			"duration_ms", time.Since(start).Milliseconds())
	}
}

const headerRequestID = "X-Fc-Request-Id"

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) string {
	switch {
	case strings.HasPrefix(r.URL.Path, "/_localdev/") && g.cfg.Admin != nil:
		g.cfg.Admin.ServeHTTP(w, r)
		return ""
	case strings.HasPrefix(r.URL.Path, invokePrefix):
		return g.serveInvoke(w, r)
	}
	route, ok := g.Match(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, "RouteNotFound",
			fmt.Sprintf("no route for path %q", r.URL.Path), map[string]string{"path": r.URL.Path})
		return ""
	}
	if !methodAllowed(route.Methods, r.Method) {
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("method %s not allowed on %q", r.Method, route.Path),
			map[string]any{"allowed": route.Methods})
		return route.Function
	}
	g.serveFunction(w, r, route.Function)
	return route.Function
}

func (g *Gateway) serveFunction(w http.ResponseWriter, r *http.Request, name string) {
	inv, ok := g.cfg.Functions[name]
	if !ok {
		writeError(w, http.StatusNotFound, "FunctionNotFound",
			fmt.Sprintf("route names function %q, which is not running", name), nil)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	id := fcrt.NewRequestID()
	w.Header().Set(headerRequestID, id)
	event, err := newEvent(r, body, eventMeta{requestID: id, accountID: g.cfg.AccountID,
		domain: g.cfg.Domain, now: time.Now()})
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error(), nil)
		return
	}
	if len(event) > MaxEventBytes {
		tooLarge(w, len(event))
		return
	}
	res, err := inv.Invoke(fcrt.WithRequestID(r.Context(), id), event)
	if !writeFailure(w, res, err) {
		status, h, out := decodeResponse(res.Body)
		for k, vs := range h {
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		_, _ = w.Write(out)
	}
}

// serveInvoke implements POST /2023-03-30/functions/{name}/invocations: the body is the
// event and the reply is the raw result.
func (g *Gateway) serveInvoke(w http.ResponseWriter, r *http.Request) string {
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, invokePrefix), "/invocations")
	inv, found := g.cfg.Functions[name]
	if !ok || !found || r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, "FunctionNotFound",
			fmt.Sprintf("no function at %q (POST %s<name>/invocations)", r.URL.Path, invokePrefix),
			nil)
		return name
	}
	body, ok := readBody(w, r)
	if !ok {
		return name
	}
	id := fcrt.NewRequestID()
	w.Header().Set(headerRequestID, id)
	res, err := inv.Invoke(fcrt.WithRequestID(r.Context(), id), body)
	if !writeFailure(w, res, err) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(res.Body)
	}
	return name
}

// readBody reads at most MaxEventBytes; a larger body gets a 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > MaxEventBytes {
		drain(r)
		tooLarge(w, int(r.ContentLength))
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxEventBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "read body: "+err.Error(), nil)
		return nil, false
	}
	if len(body) > MaxEventBytes {
		drain(r)
		tooLarge(w, len(body))
		return nil, false
	}
	return body, true
}

// drain reads what the client is still sending (up to a bound), so that it sees the
// error reply instead of a reset connection.
func drain(r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 8*MaxEventBytes))
}

func tooLarge(w http.ResponseWriter, n int) {
	writeError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge",
		fmt.Sprintf("event of %d bytes exceeds FC's limit of %d bytes", n, MaxEventBytes), nil)
}

// writeFailure answers a failed invocation and reports whether it did: a function error
// is a 502, a timeout a 504, anything else a 503.
// TODO(#2): FC3's own status and body for these cases are unverified (reference §2.2);
// check them against a real HTTP trigger and match them.
func writeFailure(w http.ResponseWriter, res fcrt.Result, err error) bool {
	switch {
	case err == nil && res.Err == nil:
		return false
	case err == nil:
		writeError(w, http.StatusBadGateway, "FunctionError", res.Err.Message,
			map[string]any{"errorType": res.Err.Type, "requestId": res.RequestID,
				"stackTrace": res.Err.StackTrace})
	case errors.Is(err, fcrt.ErrTimeout):
		writeError(w, http.StatusGatewayTimeout, "FunctionTimeout", err.Error(),
			map[string]string{"requestId": res.RequestID})
	default:
		writeError(w, http.StatusServiceUnavailable, "FunctionUnavailable", err.Error(),
			map[string]string{"requestId": res.RequestID})
	}
	return true
}

func methodAllowed(methods []string, m string) bool {
	if len(methods) == 0 {
		return true
	}
	for _, x := range methods {
		if strings.EqualFold(x, m) {
			return true
		}
	}
	return false
}

// writeError writes {"error":{"code","message","details"}}.
func writeError(w http.ResponseWriter, status int, code, msg string, details any) {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "details": details}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status before writing it.
func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
