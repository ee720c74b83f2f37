package witness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Content types of tlog-witness responses.
const (
	sizeContentType     = "text/x.tlog.size"
	maxRequestBytes     = 64 << 10
	maxConsistencyLines = 63
)

// Handler serves the witness's C2SP tlog-witness endpoint, POST
// /add-checkpoint.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.serveAddCheckpoint)
	return mux
}

func (w *Witness) serveAddCheckpoint(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxRequestBytes))
	if err != nil {
		http.Error(rw, "witness: request too large", http.StatusRequestEntityTooLarge)
		return
	}
	old, cons, cp, err := ParseRequest(body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}

	cosig, err := w.AddCheckpoint(r.Context(), old, cons, cp)
	var conflict *ConflictError
	switch {
	case errors.As(err, &conflict):
		rw.Header().Set("Content-Type", sizeContentType)
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", conflict.Size)
		return
	case err != nil:
		http.Error(rw, err.Error(), statusOf(err))
		return
	}

	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Write(cosig)
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownLog):
		return http.StatusNotFound
	case errors.Is(err, ErrBadSignature):
		return http.StatusForbidden
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrInconsistent):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// FormatRequest returns an add-checkpoint request body: the old size, the
// consistency proof lines, a blank line and the signed checkpoint.
func FormatRequest(old uint64, cons [][]byte, cp []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range cons {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(cp)
	return b.Bytes()
}

// ParseRequest splits an add-checkpoint request body into its parts.
func ParseRequest(body []byte) (old uint64, cons [][]byte, cp []byte, err error) {
	br := bufio.NewReader(bytes.NewReader(body))
	line, err := br.ReadString('\n')
	sizeText, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "old ")
	if err != nil || !ok {
		return 0, nil, nil, fmt.Errorf("witness: request: missing old size line: %w", ErrBadRequest)
	}
	old, err = strconv.ParseUint(sizeText, 10, 64)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("witness: request: old size %q: %w", sizeText, ErrBadRequest)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return 0, nil, nil, fmt.Errorf("witness: request: missing blank line: %w",
				ErrBadRequest)
		}
		if line == "\n" {
			break
		}
		h, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(line, "\n"))
		if err != nil || len(h) != 32 || len(cons) == maxConsistencyLines {
			return 0, nil, nil, fmt.Errorf("witness: request: bad proof line %d: %w",
				len(cons)+1, ErrBadRequest)
		}
		cons = append(cons, h)
	}
	cp, _ = io.ReadAll(br)
	return old, cons, cp, nil
}

// Client submits checkpoints to a witness over HTTP. Its zero HTTP field
// means http.DefaultClient.
type Client struct {
	// URL is the witness's submission prefix; the client posts to
	// URL + "/add-checkpoint".
	URL  string
	HTTP *http.Client
}

// AddCheckpoint posts the checkpoint and returns the witness's cosignature
// lines. A 409 answer is returned as a *ConflictError with the witness's
// known size; other refusals carry the witness's status and message.
func (c *Client) AddCheckpoint(
	ctx context.Context, old uint64, cons [][]byte, cp []byte,
) ([]byte, error) {
	url := strings.TrimSuffix(c.URL, "/") + "/add-checkpoint"
	reqBody := bytes.NewReader(FormatRequest(old, cons, cp))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, reqBody)
	if err != nil {
		return nil, fmt.Errorf("witness: post %q: %w", url, err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness: post %q: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRequestBytes))
	if err != nil {
		return nil, fmt.Errorf("witness: post %q: %w", url, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusConflict:
		size, err := strconv.ParseUint(strings.TrimSpace(string(body)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("witness: post %q: 409 with bad size %q", url, body)
		}
		return nil, &ConflictError{Size: size}
	}
	return nil, fmt.Errorf("witness: post %q: %s: %s", url, resp.Status, bytes.TrimSpace(body))
}
