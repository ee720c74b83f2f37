package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Routes of the local host that feed the typed handlers. The prefix is
// reserved: f.HTTP never sees it.
const (
	LocalTimerPath = "/_invoke/timer"
	LocalOSSPath   = "/_invoke/oss"
	LocalEventPath = "/_invoke/event"
)

// maxLocalEvent caps the body of a local /_invoke request, like FC's 32 MB limit.
const maxLocalEvent = 32 << 20

// startLocal serves f on addr until SIGINT or SIGTERM.
func (h *host) startLocal(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("runtime: listen %q: %w", addr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h.f.logger().Info("listening", "function", h.f.Name, "addr", ln.Addr().String())
	return h.serveLocal(ctx, ln)
}

// serveLocal runs Init, serves ln until ctx ends, then shuts down and runs PreStop.
func (h *host) serveLocal(ctx context.Context, ln net.Listener) error {
	if err := h.ensureInit(ctx); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: h.localHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("runtime: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	h.preStop(sctx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("runtime: shutdown: %w", err)
	}
	return nil
}

// localHandler is the local host's root handler.
func (h *host) localHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+LocalTimerPath, h.localKind(KindTimer))
	mux.HandleFunc("POST "+LocalOSSPath, h.localKind(KindOSS))
	mux.HandleFunc("POST "+LocalEventPath, h.localKind(KindInvoke))
	mux.HandleFunc("/_invoke/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "not_found",
			"local invoke routes: POST "+LocalTimerPath+", "+LocalOSSPath+", "+LocalEventPath, nil)
	})
	mux.HandleFunc("/", h.localHTTP)
	return mux
}

// localHTTP serves one plain HTTP request through the same health, 404
// and panic handling as an HTTP event. The response is buffered.
func (h *host) localHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, l := h.f.begin(r.Context())
	r = r.WithContext(ctx)
	rec := newRecorder()
	h.f.serveHTTP(rec, r, l)
	logHTTP(l, r, rec.status)
	for k, vs := range rec.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body.Bytes())
}

// localKind returns a handler that runs the request body as an event of kind.
func (h *host) localKind(kind Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLocalEvent))
		if err != nil {
			WriteError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error(), nil)
			return
		}
		if err := h.ensureInit(r.Context()); err != nil {
			WriteError(w, http.StatusServiceUnavailable, "init_failed", err.Error(), nil)
			return
		}
		ctx, l := h.f.begin(r.Context())
		res, err := h.f.dispatchKind(ctx, l, kind, payload)
		if err != nil {
			l.Error("invoke", "kind", string(kind), "error", err)
			writeInvokeError(w, err)
			return
		}
		b, err := json.Marshal(res)
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "internal", err.Error(), nil)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(append(b, '\n'))
	}
}

// writeInvokeError maps a dispatch error onto an HTTP error.
func writeInvokeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrMalformedEvent):
		WriteError(w, http.StatusBadRequest, "malformed_event", err.Error(), nil)
	case errors.Is(err, ErrNoHandler):
		WriteError(w, http.StatusNotFound, "no_handler", err.Error(), nil)
	case errors.Is(err, ErrPanic):
		WriteError(w, http.StatusInternalServerError, "internal", err.Error(), nil)
	default:
		WriteError(w, http.StatusInternalServerError, "handler_error", err.Error(), nil)
	}
}
