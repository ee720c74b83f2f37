// Command probe is a minimal function binary for host tests: it echoes HTTP
// requests, fails or panics on demand, and fails Init when PROBE_INIT_FAIL is set.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"

	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	failInit := os.Getenv("PROBE_INIT_FAIL") != ""
	f := runtime.Function{
		Name:   "probe",
		Logger: logger,
		HTTP:   http.HandlerFunc(echo),
		Init: func(context.Context) error {
			if failInit {
				return errors.New("probe: init: PROBE_INIT_FAIL is set")
			}
			return nil
		},
		Invoke: invoke,
	}
	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}

// echo answers 201 with the request body and headers describing the request.
func echo(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/panic" {
		panic("probe panic")
	}
	body, _ := io.ReadAll(r.Body)
	h := w.Header()
	h.Set("X-Echo-Method", r.Method)
	h.Set("X-Echo-Path", r.URL.EscapedPath())
	h.Set("X-Echo-Query", r.URL.RawQuery)
	h.Set("X-Echo-Header", r.Header.Get("X-Probe"))
	h.Set("X-Echo-Request-Id", runtime.RequestID(r.Context()))
	h.Add("Set-Cookie", "a=1")
	h.Add("Set-Cookie", "b=2")
	h.Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusCreated)
	w.Write(body)
}

// invoke fails on {"fail":true}, panics on {"panic":true} and echoes otherwise.
func invoke(_ context.Context, payload json.RawMessage) (any, error) {
	var in struct{ Fail, Panic bool }
	json.Unmarshal(payload, &in)
	if in.Panic {
		panic("probe invoke panic")
	}
	if in.Fail {
		return nil, errors.New("probe: asked to fail")
	}
	return map[string]json.RawMessage{"echo": payload}, nil
}
