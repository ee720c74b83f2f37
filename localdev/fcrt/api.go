package fcrt

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Function types sent in x-fc-function-type, as the SDK dispatches them.
const (
	typeHandler     = 0
	typeInitializer = 1
	typePreStop     = 2
)

const apiPrefix = "/2020-11-11/runtime/"

// job is one unit of work handed to an instance through /next.
type job struct {
	id       string
	payload  []byte
	fnType   int
	timeout  time.Duration
	started  chan time.Time // receives the deadline when the binary takes the job
	done     chan outcome   // receives the binary's answer
	instance *instance
}

type outcome struct {
	body []byte
	err  *FunctionError
}

func newJob(id string, payload []byte, fnType int, timeout time.Duration) *job {
	return &job{
		id:      id,
		payload: payload,
		fnType:  fnType,
		timeout: timeout,
		started: make(chan time.Time, 1),
		done:    make(chan outcome, 1),
	}
}

// apiHandler serves the FC runtime API for one instance.
func (in *instance) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"invocation/next", in.serveNext)
	mux.HandleFunc("POST "+apiPrefix+"invocation/{id}/response", in.serveResponse)
	mux.HandleFunc("POST "+apiPrefix+"invocation/{id}/error", in.serveError)
	mux.HandleFunc("POST "+apiPrefix+"init/error", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// serveNext holds the request open until the pool hands this instance a job. It never
// answers with an error status: the SDK would retry at once, in a tight loop.
func (in *instance) serveNext(w http.ResponseWriter, r *http.Request) {
	in.once.Do(func() { close(in.ready) })
	var j *job
	select {
	case j = <-in.jobs:
	case <-r.Context().Done():
		return
	}
	deadline := time.Now().Add(j.timeout)
	in.setCurrent(j)
	j.started <- deadline

	h := w.Header()
	for k, v := range in.headers(j, deadline) {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(j.payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(j.payload)
}

func (in *instance) headers(j *job, deadline time.Time) map[string]string {
	c := in.cfg
	h := map[string]string{
		"x-fc-request-id":        j.id,
		"x-fc-function-deadline": strconv.FormatInt(deadline.UnixMilli(), 10),
		"x-fc-function-timeout":  strconv.Itoa(seconds(j.timeout)),
		"x-fc-function-type":     strconv.Itoa(j.fnType),
		"x-fc-function-name":     c.FunctionName,
		"x-fc-function-handler":  c.Handler,
		"x-fc-function-memory":   strconv.Itoa(c.MemoryMB),
		"x-fc-region":            c.Region,
		"x-fc-account-id":        c.AccountID,
		"x-fc-access-key-id":     c.Credentials.AccessKeyID,
		"x-fc-access-key-secret": c.Credentials.AccessKeySecret,
		"x-fc-qualifier":         "LATEST",
		"x-fc-retry-count":       "0",
		"x-fc-instance-id":       in.id,
	}
	if c.Credentials.SecurityToken != "" {
		h["x-fc-security-token"] = c.Credentials.SecurityToken
	}
	if c.Initializer != nil {
		h["x-fc-function-initializer"] = c.Initializer.Handler
		h["x-fc-initialization-timeout"] = strconv.Itoa(seconds(c.Initializer.Timeout))
	}
	if c.PreStop != nil {
		h["x-fc-instance-lifecycle-pre-stop-handler"] = hookHandler(c.PreStop)
	}
	return h
}

func (in *instance) serveResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	in.finish(w, r.PathValue("id"), outcome{body: body})
}

func (in *instance) serveError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	fe := &FunctionError{}
	if err := json.Unmarshal(body, fe); err != nil || fe.Message == "" && fe.Type == "" {
		fe = &FunctionError{Message: string(body), Type: "UnknownError"}
	}
	in.finish(w, r.PathValue("id"), outcome{body: body, err: fe})
}

// finish delivers the answer for request id to the waiting invocation.
func (in *instance) finish(w http.ResponseWriter, id string, o outcome) {
	j := in.takeCurrent(id)
	if j == nil {
		http.Error(w, fmt.Sprintf("no invocation %q in progress", id), http.StatusBadRequest)
		return
	}
	j.done <- o
	w.WriteHeader(http.StatusOK)
}

func seconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		return 1
	}
	return s
}

func hookHandler(h *Hook) string {
	if h == nil {
		return ""
	}
	return h.Handler
}
