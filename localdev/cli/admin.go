package cli

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/xietong/xietong/localdev/timers"
)

// admin serves the stack's own routes under /_localdev/ on the gateway:
//
//	GET  /_localdev/health                              functions and their instances
//	POST /_localdev/trigger?function=<f>&trigger=<t>    fire a timer trigger now
//	POST /_localdev/dingtalk/emit                      push a DingTalk event (emitRequest)
func (s *stack) admin() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_localdev/health", s.serveHealth)
	mux.HandleFunc("POST /_localdev/trigger", s.serveTrigger)
	mux.HandleFunc("POST /_localdev/dingtalk/emit", s.serveEmit)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody("NotFound", "no admin route "+r.URL.Path))
	})
	return mux
}

func (s *stack) serveHealth(w http.ResponseWriter, r *http.Request) {
	type fn struct {
		Name string `json:"name"`
		Live int    `json:"live"`
		Idle int    `json:"idle"`
	}
	var out []fn
	for _, name := range s.functionNames() {
		live, idle := s.pools[name].Stats()
		out = append(out, fn{Name: name, Live: live, Idle: idle})
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "functions": out})
}

func (s *stack) serveTrigger(w http.ResponseWriter, r *http.Request) {
	fname, tname := r.URL.Query().Get("function"), r.URL.Query().Get("trigger")
	f := s.spec.Function(fname)
	if f == nil {
		writeJSON(w, http.StatusNotFound,
			errorBody("FunctionNotFound", "no function "+quote(fname)))
		return
	}
	t := f.Trigger(tname)
	if t == nil || t.Timer == nil {
		writeJSON(w, http.StatusNotFound, errorBody("TriggerNotFound",
			"function "+quote(f.Resource)+" has no timer trigger "+quote(tname)))
		return
	}
	job := timers.Job{Function: f.Resource, Trigger: t.Name, Cron: t.Timer.CronExpression,
		Payload: t.Timer.Payload}
	o := s.invoke(r.Context(), f.Resource, timers.Event(job, time.Now()))
	s.report("trigger "+f.Resource+"/"+t.Name, o)
	status := http.StatusOK
	if o.failed {
		status = http.StatusBadGateway
	}
	writeJSON(w, status, o)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func errorBody(code, msg string) any {
	return map[string]any{"error": map[string]any{"code": code, "message": msg}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
