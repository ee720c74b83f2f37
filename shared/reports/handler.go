package reports

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// Handler serves the reports API:
//
//	POST /api/reports/{corp}/{kind}            the caller's reports of kind
//	                                           for the current period, sent
//	                                           (once per period) and returned
//	GET  /api/reports/{corp}/snapshots/{id}    a report as it was sent
//
// Both need a session (Authorization: Bearer). A caller gets only reports
// addressed to them under the timers' rules: anyone their own daily
// report, project leads and department managers their weekly ones,
// executives of corp the monthly one; 403 when there is none for them.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/reports/{corp}/{kind}", s.onDemand)
	mux.HandleFunc("GET /api/reports/{corp}/snapshots/{id}", s.snapshot)
	return mux
}

// Reports is the answer to an on-demand request.
type Reports struct {
	Reports []Sent `json:"reports"`
}

// Sent is one report with its snapshot id.
type Sent struct {
	ID string `json:"id"`
	Report
}

// Snapshot is a stored report: its content exactly as sent, and fresh
// presigned URLs of its charts by OSS key.
type Snapshot struct {
	ID        string            `json:"id"`
	Report    Report            `json:"report"`
	ChartURLs map[string]string `json:"chartUrls"`
}

func (s *Service) caller(w http.ResponseWriter, r *http.Request) (session.Claims, bool) {
	if s.sessions == nil {
		runtime.WriteError(w, http.StatusUnauthorized, "unauthenticated", "sessions are off", nil)
		return session.Claims{}, false
	}
	c, err := s.sessions.Authenticate(r)
	if err != nil {
		runtime.WriteError(w, http.StatusUnauthorized, "unauthenticated",
			"sign in: send Authorization: Bearer <session token>", nil)
		return session.Claims{}, false
	}
	return c, true
}

func (s *Service) onDemand(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	corp, k := r.PathValue("corp"), Kind(r.PathValue("kind"))
	if !k.Valid() {
		runtime.WriteError(w, http.StatusNotFound, "unknown_kind",
			"kind must be daily, weekly or monthly", nil)
		return
	}

	sent, err := s.For(r.Context(), corp, k, c.UID())
	if err != nil {
		serverError(w, r, err)
		return
	}
	if len(sent) == 0 && k != Daily {
		runtime.WriteError(w, http.StatusForbidden, "forbidden",
			"no "+string(k)+" report is addressed to you in this organization", nil)
		return
	}

	writeJSON(w, http.StatusOK, Reports{Reports: sent})
}

// For builds, sends (once per period, see Run) and returns the reports of
// kind k for the current period that are addressed to uid in corp.
//
// TODO(#8): it loads the whole organization for one person; a daily report
// on demand could read the user's task mirror instead.
func (s *Service) For(ctx context.Context, corp string, k Kind, uid string) ([]Sent, error) {
	at := s.cfg.Now()
	period := Period(k, at)
	c, err := s.composer(ctx, corp, k, at, period, &counter{})
	if err != nil {
		return nil, err
	}
	out := []Sent{}
	for _, j := range c.jobs() {
		aud, who, _ := strings.Cut(j.recipient, ":")
		if who != uid || aud == "" {
			continue
		}
		d, err := j.compose()
		if err != nil {
			return nil, err
		}
		rep, err := s.deliver(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, Sent{ID: SnapshotID(k, period, j.recipient), Report: rep})
	}
	return out, nil
}

func (s *Service) snapshot(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	corp, id := r.PathValue("corp"), r.PathValue("id")
	k, period, hash, ok := parseSnapshotID(id)
	if !ok {
		runtime.WriteError(w, http.StatusBadRequest, "bad_id", "not a report snapshot id", nil)
		return
	}

	ctx := r.Context()
	row, err := s.db.Get(ctx, tables.Report.Name, snapshotKey(corp, k, period, hash))
	if errors.Is(err, tables.ErrNotFound) || err == nil && row.String("uid") != c.UID() {
		// Someone else's report reads as missing, so ids cannot be probed.
		runtime.WriteError(w, http.StatusNotFound, "not_found", "no such report", nil)
		return
	}
	if err != nil {
		serverError(w, r, err)
		return
	}
	rep, err := s.content(ctx, corp, id)
	if err != nil {
		serverError(w, r, err)
		return
	}

	out := Snapshot{ID: id, Report: rep, ChartURLs: map[string]string{}}
	for _, key := range rep.Charts {
		if out.ChartURLs[key], err = s.files.GetURL(key, s.cfg.LinkTTL); err != nil {
			serverError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func serverError(w http.ResponseWriter, r *http.Request, err error) {
	runtime.Logger(r.Context()).Error("reports api", "path", r.URL.Path, "error", err)
	runtime.WriteError(w, http.StatusInternalServerError, "internal", "internal error", nil)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
