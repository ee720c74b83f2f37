package ledgerapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/runtime"
)

// Handler returns the HTTP API. Errors are runtime.ErrorBody JSON; bad
// input is a 4xx that changes nothing.
//
//	POST /api/ledger/entries                    submit (202; Idempotency-Key honoured)
//	GET  /api/ledger/entries/{index}            the entry's bytes (Ledger-Status header)
//	GET  /api/ledger/proof/inclusion?index=&size=  inclusion proof (size: checkpoint's)
//	GET  /api/ledger/proof/consistency?old=&new=   consistency proof (new: checkpoint's)
//	GET  /api/ledger/checkpoint                 latest checkpoint note, with cosignatures
//	GET  /api/ledger/receipts/{index}           c2sp.org/tlog-proof receipt
//	GET  /api/ledger/tile/...                   tiles and entry bundles (tlog-tiles)
//	GET  /api/ledger/keys                       public keys and witness policy (no auth)
//	GET  /api/ledger/uses?cursor=&limit=        uses of the caller's org's data (session)
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		mux.Handle(pattern, endpoint(h))
	}
	route("POST /api/ledger/entries", s.submit)
	route("GET /api/ledger/entries/{index}", s.getEntry)
	route("GET /api/ledger/proof/inclusion", s.inclusion)
	route("GET /api/ledger/proof/consistency", s.consistency)
	route("GET /api/ledger/checkpoint", s.checkpoint)
	route("GET /api/ledger/receipts/{index}", s.receipt)
	route("GET /api/ledger/tile/{path...}", s.tile)
	route("GET /api/ledger/keys", s.publicKeys)
	route("GET /api/ledger/uses", s.uses)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteError(w, http.StatusNotFound, "no_route",
			fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path), nil)
	})
	return mux
}

func fail(status int, code, format string, args ...any) error {
	return httpapi.Err(status, code, fmt.Sprintf(format, args...))
}

// endpoint turns a handler's error into its JSON answer: the log's own
// sentinels first, then httpapi.WriteErr's mapping.
func endpoint(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		var ae *httpapi.Error
		switch {
		case err == nil, errors.As(err, &ae):
		case errors.Is(err, ledger.ErrNotFound):
			err = httpapi.Err(http.StatusNotFound, "not_found", err.Error())
		case errors.Is(err, ledger.ErrConflict):
			err = httpapi.Err(http.StatusConflict, "conflict", "a concurrent change won; retry")
		}
		if err != nil {
			httpapi.WriteErr(w, r, err, "not found")
		}
	})
}

// writeText writes a signed note, receipt or tile as is.
func writeText(w http.ResponseWriter, contentType, cache string, body []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", cache)
	_, err := w.Write(body)
	return err
}

// uintParam parses a decimal parameter; def is used when it is absent and
// def is not nil.
func uintParam(name, v string, def *uint64) (uint64, error) {
	if v == "" && def != nil {
		return *def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fail(http.StatusBadRequest, "bad_parameter",
			"%s %q: want a non-negative integer", name, v)
	}
	return n, nil
}

// getEntry answers the entry's exact bytes (canonical JSON), integrated or
// only sequenced so far, as the Ledger-Status header says.
func (s *Service) getEntry(w http.ResponseWriter, r *http.Request) error {
	index, err := uintParam("index", r.PathValue("index"), nil)
	if err != nil {
		return err
	}

	entry, status, err := s.entryAt(r.Context(), index)
	if err != nil {
		return err
	}

	w.Header().Set("Ledger-Index", strconv.FormatUint(index, 10))
	w.Header().Set("Ledger-Status", status)
	return writeText(w, "application/json", "no-cache", entry)
}

// entryAt reads entry index from the bundles once it is integrated, from
// the sequencer before.
func (s *Service) entryAt(ctx context.Context, index uint64) ([]byte, string, error) {
	st, err := s.seq.State(ctx)
	if err != nil {
		return nil, "", err
	}
	if index < st.Size {
		entry, err := s.log.Entry(ctx, index, st.Size)
		return entry, "integrated", err
	}
	es, err := s.seq.Sequenced(ctx, index, 1)
	if err != nil {
		return nil, "", err
	}
	if len(es) == 0 {
		return nil, "", fail(http.StatusNotFound, "not_found", "no entry %d", index)
	}
	return es[0], "sequenced", nil
}

// proofBody is the answer of the proof routes; hashes are standard base64.
type proofBody struct {
	Index  *uint64  `json:"index,omitempty"`
	Old    *uint64  `json:"old,omitempty"`
	Size   uint64   `json:"size"`
	Hashes []string `json:"hashes"`
}

func encodeHashes(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

// publishedSize returns the latest checkpoint's size, 0 before the first.
func (s *Service) publishedSize(r *http.Request) (uint64, error) {
	c, err := s.log.Checkpoint(r.Context())
	if errors.Is(err, ledger.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return c.Size, nil
}

// checkSize refuses tree sizes the log has not integrated.
func (s *Service) checkSize(r *http.Request, name string, size uint64) error {
	st, err := s.seq.State(r.Context())
	if err != nil {
		return err
	}
	if size > st.Size {
		return fail(http.StatusNotFound, "size_not_found",
			"%s %d: the log has integrated %d entries", name, size, st.Size)
	}
	return nil
}

func (s *Service) inclusion(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	published, err := s.publishedSize(r)
	if err != nil {
		return err
	}
	index, err := uintParam("index", q.Get("index"), nil)
	if err != nil {
		return err
	}
	size, err := uintParam("size", q.Get("size"), &published)
	if err != nil {
		return err
	}
	if index >= size {
		return fail(http.StatusBadRequest, "bad_parameter",
			"index %d: not below size %d", index, size)
	}
	if err := s.checkSize(r, "size", size); err != nil {
		return err
	}

	hashes, err := s.log.InclusionProof(r.Context(), index, size)
	if errors.Is(err, ledger.ErrNotFound) {
		return fail(http.StatusNotFound, "size_not_found",
			"no tiles for size %d: ask for the size of a checkpoint", size)
	}
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, proofBody{Index: &index, Size: size,
		Hashes: encodeHashes(hashes)})
	return nil
}

func (s *Service) consistency(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	published, err := s.publishedSize(r)
	if err != nil {
		return err
	}
	old, err := uintParam("old", q.Get("old"), nil)
	if err != nil {
		return err
	}
	size, err := uintParam("new", q.Get("new"), &published)
	if err != nil {
		return err
	}
	if old > size {
		return fail(http.StatusBadRequest, "bad_parameter", "old %d: above new %d", old, size)
	}
	if err := s.checkSize(r, "new", size); err != nil {
		return err
	}

	hashes, err := s.log.ConsistencyProof(r.Context(), old, size)
	if errors.Is(err, ledger.ErrNotFound) {
		return fail(http.StatusNotFound, "size_not_found",
			"no tiles for size %d: ask for the size of a checkpoint", size)
	}
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, proofBody{Old: &old, Size: size,
		Hashes: encodeHashes(hashes)})
	return nil
}

func (s *Service) checkpoint(w http.ResponseWriter, r *http.Request) error {
	raw, err := s.log.Store.Get(r.Context(), ledger.CheckpointPath)
	if errors.Is(err, ledger.ErrNotFound) {
		return fail(http.StatusNotFound, "not_found", "no checkpoint published yet")
	}
	if err != nil {
		return err
	}
	return writeText(w, "text/plain; charset=utf-8", "no-cache", raw)
}

func (s *Service) receipt(w http.ResponseWriter, r *http.Request) error {
	index, err := uintParam("index", r.PathValue("index"), nil)
	if err != nil {
		return err
	}
	rc, err := s.log.Receipt(r.Context(), index)
	if errors.Is(err, ledger.ErrNotFound) {
		return fail(http.StatusNotFound, "not_published",
			"entry %d is not covered by a published checkpoint yet", index)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition",
		fmt.Sprintf(`attachment; filename="%d.tlog-proof"`, index))
	return writeText(w, "text/plain; charset=utf-8", "no-cache", rc)
}

// tilePathRE matches the tlog-tiles paths of hash tiles and entry bundles.
var tilePathRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(entries|[0-9]|[1-5][0-9]|6[0-3])/` +
		`(x[0-9]{3}/)*[0-9]{3}` +
		`(\.p/([1-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?$`)
})

func (s *Service) tile(w http.ResponseWriter, r *http.Request) error {
	path := r.PathValue("path")
	if !tilePathRE().MatchString(path) {
		return fail(http.StatusNotFound, "not_found", "no tile %q", path)
	}
	data, err := s.log.Store.Get(r.Context(), "tile/"+path)
	if errors.Is(err, ledger.ErrNotFound) {
		return fail(http.StatusNotFound, "not_found", "no tile %q", path)
	}
	if err != nil {
		return err
	}
	return writeText(w, "application/octet-stream", "max-age=604800, immutable", data)
}
