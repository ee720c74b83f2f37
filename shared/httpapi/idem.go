package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/xietong/xietong/shared/tables"
)

// IdemTTL is how long an Idempotency-Key is remembered.
const IdemTTL = 24 * time.Hour

// MaxIdemKey bounds the length of an Idempotency-Key header.
const MaxIdemKey = 128

// OnceStore is the part of tables.Store that Idempotent needs.
type OnceStore interface {
	Once(ctx context.Context, table string, key tables.Key, hash string, ttl time.Duration,
		do func() ([]byte, error)) ([]byte, bool, error)
}

// Idempotent runs do once per Idempotency-Key header, when there is one, and
// answers status with its result as JSON. A repeat of the same request (same
// method, path and req) gets the stored answer with the header
// Idempotent-Replayed: true; a different request under the same key gets a
// 422, a repeat while the first still runs a 409. Keys live in tables.Idem
// under tid and scope (a function name and the caller's uid), so callers
// never share them. Without a key do simply runs.
func Idempotent(w http.ResponseWriter, r *http.Request, db OnceStore, tid, scope string,
	status int, req any, do func() (any, error)) error {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		v, err := do()
		if err == nil {
			WriteJSON(w, status, v)
		}
		return err
	}
	if len(key) > MaxIdemKey {
		return Invalid(FieldError{Field: "Idempotency-Key", Rule: "at most 128 characters"})
	}
	body, _ := json.Marshal(req)
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	ik := tables.Key{tid, scope + "/" + key}
	out, replayed, err := db.Once(r.Context(), tables.Idem.Name, ik,
		hex.EncodeToString(sum[:]), IdemTTL, func() ([]byte, error) { return marshal(do()) })
	if err := onceErr(err); err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(out)
	return nil
}

// marshal encodes an idempotent request's answer for storing.
func marshal(v any, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(v)
	return append(out, '\n'), err
}

// onceErr maps tables.Store.Once's refusals to the API's answers.
func onceErr(err error) error {
	switch {
	case errors.Is(err, tables.ErrConflict):
		return Err(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this Idempotency-Key was used for a different request")
	case errors.Is(err, tables.ErrInProgress):
		return Err(http.StatusConflict, "in_progress", "the same request is still running")
	}
	return err
}
