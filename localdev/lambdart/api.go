package lambdart

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Runtime API header names.
const (
	HeaderRequestID   = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs  = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID     = "Lambda-Runtime-Trace-Id"
	HeaderErrorType   = "Lambda-Runtime-Function-Error-Type"
	headerErrorBody   = "Lambda-Runtime-Function-Error-Body"
	headerExtensionID = "Lambda-Extension-Identifier"
)

const prefix = "/2018-06-01/runtime"

// Handler returns the Runtime API routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/invocation/next", s.next)
	mux.HandleFunc("POST "+prefix+"/invocation/{id}/response", s.response)
	mux.HandleFunc("POST "+prefix+"/invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST "+prefix+"/init/error", s.initError)
	mux.HandleFunc("POST /2020-01-01/extension/register", s.registerExtension)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", s.extensionNext)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, "InvalidRoute", r.Method+" "+r.URL.Path)
	})
	return mux
}

// Invoke queues payload for the runtime and waits for its response body,
// a *FunctionError, ErrTimeout (no answer by the deadline plus a second's grace),
// ErrClosed, the reported initialisation error, or ctx's error.
func (s *Server) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if ierr, ok := s.InitError(); ok {
		return nil, ierr
	}
	inv := s.enqueue(payload)
	var expired <-chan time.Time
	started := inv.started
	for {
		select {
		case res := <-inv.result:
			return res.body, res.err
		case <-started:
			started = nil
			t := time.NewTimer(time.Until(inv.deadline) + s.grace)
			defer t.Stop()
			expired = t.C
		case <-expired:
			s.forget(inv.id)
			return nil, fmt.Errorf("lambdart: invoke %s: %w", inv.id, ErrTimeout)
		case <-s.initFailed:
			ierr, _ := s.InitError()
			return nil, ierr
		case <-ctx.Done():
			s.forget(inv.id)
			return nil, fmt.Errorf("lambdart: invoke %s: %w", inv.id, ctx.Err())
		case <-s.done:
			return nil, ErrClosed
		}
	}
}

// enqueue registers a new invocation and queues it for /next.
func (s *Server) enqueue(payload []byte) *invocation {
	inv := &invocation{id: uuid.NewString(), payload: payload,
		started: make(chan struct{}), result: make(chan result, 1)}
	s.mu.Lock()
	s.pending[inv.id] = inv
	s.mu.Unlock()
	select {
	case s.queue <- inv:
	case <-s.done:
	}
	return inv
}

// take removes and returns the pending invocation id.
func (s *Server) take(id string) (*invocation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.pending[id]
	delete(s.pending, id)
	return inv, ok
}

func (s *Server) forget(id string) { s.take(id) }

// next long-polls for the next invocation.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	for {
		var inv *invocation
		select {
		case inv = <-s.queue:
		case <-r.Context().Done():
			return
		case <-s.done:
			writeAPIError(w, http.StatusInternalServerError, "ServerClosed", "runtime API closed")
			return
		}
		s.mu.Lock()
		_, live := s.pending[inv.id]
		if live {
			inv.deadline = time.Now().Add(s.cfg.Timeout)
			close(inv.started)
		}
		s.mu.Unlock()
		if !live {
			continue // the caller gave up while it was queued
		}
		h := w.Header()
		h.Set(HeaderRequestID, inv.id)
		h.Set(HeaderDeadlineMs, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set(HeaderFunctionARN, s.cfg.FunctionARN)
		h.Set(HeaderTraceID, traceID())
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload)
		return
	}
}

// response accepts a function result.
func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	inv, ok := s.take(r.PathValue("id"))
	if !ok {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "unknown request id "+
			strconv.Quote(r.PathValue("id")))
		return
	}
	if len(body) > MaxResponseBytes {
		inv.result <- result{err: &FunctionError{RequestID: inv.id,
			Type: "Function.ResponseSizeTooLarge", Message: "response payload over 6 MB"}}
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"response payload over 6 MB")
		return
	}
	if fe := trailerError(r, inv.id); fe != nil {
		inv.result <- result{err: fe}
	} else {
		inv.result <- result{body: body}
	}
	writeAccepted(w)
}

// trailerError decodes an error a streaming runtime reported in trailers.
func trailerError(r *http.Request, id string) *FunctionError {
	typ := r.Trailer.Get(HeaderErrorType)
	if typ == "" {
		return nil
	}
	fe := &FunctionError{RequestID: id, Type: typ, HeaderType: typ}
	if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get(headerErrorBody)); err == nil {
		json.Unmarshal(b, fe)
	}
	return fe
}

// invocationError accepts a function error.
func (s *Server) invocationError(w http.ResponseWriter, r *http.Request) {
	fe, err := readFunctionError(r)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	inv, ok := s.take(r.PathValue("id"))
	if !ok {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "unknown request id "+
			strconv.Quote(r.PathValue("id")))
		return
	}
	fe.RequestID = inv.id
	inv.result <- result{err: fe}
	writeAccepted(w)
}

// initError records an initialisation failure and fails waiting invocations.
func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	fe, err := readFunctionError(r)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	s.mu.Lock()
	first := s.initErr == nil
	if first {
		s.initErr = fe
	}
	s.mu.Unlock()
	if first {
		close(s.initFailed)
	}
	writeAccepted(w)
}

// readFunctionError decodes an error body; a body that is not the JSON
// error shape is kept as the message.
func readFunctionError(r *http.Request) (*FunctionError, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	if err != nil {
		return nil, err
	}
	fe := &FunctionError{HeaderType: r.Header.Get(HeaderErrorType)}
	if json.Unmarshal(body, fe) != nil {
		fe.Message = string(body)
	}
	if fe.Type == "" {
		fe.Type = fe.HeaderType
	}
	return fe, nil
}

// registerExtension answers the Extensions API register call.
func (s *Server) registerExtension(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(headerExtensionID, uuid.NewString())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{
		"functionName": s.cfg.FunctionName, "functionVersion": "$LATEST", "handler": "bootstrap",
	})
}

// extensionNext holds the extension's poll until shutdown.
func (s *Server) extensionNext(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`+"\n")
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// traceID returns an X-Ray style trace header value.
func traceID() string {
	var b [20]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(),
		hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}

// pendingCount reports how many invocations await a result.
func (s *Server) pendingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}
