package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/tables"
)

// memOnce keeps Once's answers in memory, keyed as tables.Store keys them.
type memOnce struct{ rows map[string][2]string } // key → hash, result

func (m *memOnce) Once(_ context.Context, table string, key tables.Key, hash string,
	_ time.Duration, do func() ([]byte, error)) ([]byte, bool, error) {
	k := fmt.Sprint(table, key)
	if row, ok := m.rows[k]; ok {
		if row[0] != hash {
			return nil, false, tables.ErrConflict
		}
		return []byte(row[1]), true, nil
	}
	out, err := do()
	if err == nil {
		m.rows[k] = [2]string{hash, string(out)}
	}
	return out, false, err
}

func TestIdempotent(t *testing.T) {
	db := &memOnce{rows: map[string][2]string{}}
	runs := 0
	call := func(key string, req any) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/api/things", nil)
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		err := httpapi.Idempotent(w, r, db, "t1", "things/u1", http.StatusCreated, req,
			func() (any, error) { runs++; return map[string]int{"run": runs}, nil })
		if err != nil {
			httpapi.WriteErr(w, r, err, "no such thing")
		}
		return w
	}
	first := call("k1", "a")
	again := call("k1", "a")
	if first.Code != 201 || again.Code != 201 || runs != 1 {
		t.Fatalf("first %d, repeat %d, runs %d; want 201, 201, 1", first.Code, again.Code, runs)
	}
	if again.Body.String() != first.Body.String() ||
		again.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat answered %q %v; want the first answer %q, replayed",
			again.Body, again.Header(), first.Body)
	}
	if w := call("k1", "b"); w.Code != 422 || !strings.Contains(w.Body.String(), "reused") {
		t.Errorf("other request under the same key: %d %s; want 422", w.Code, w.Body)
	}
	if w := call("", "a"); w.Code != 201 || runs != 2 {
		t.Errorf("no key: %d, runs %d; want 201 and a second run", w.Code, runs)
	}
	if w := call(strings.Repeat("k", 129), "a"); w.Code != 400 || runs != 2 {
		t.Errorf("long key: %d, runs %d; want 400 and no run", w.Code, runs)
	}
}
