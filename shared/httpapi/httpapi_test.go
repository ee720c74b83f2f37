package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/tables"
)

type input struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		status            int
		code, field       string
	}{
		{"ok", "application/json", `{"name":"a","count":2}`, 0, "", ""},
		{"no content type", "", `{"name":"a"}`, 0, "", ""},
		{"unknown field", "application/json", `{"nam":"a"}`, 400, "invalid_input", "nam"},
		{"wrong type", "application/json", `{"count":"x"}`, 400, "invalid_input", "count"},
		{"trailing data", "application/json", `{"name":"a"} {}`, 400, "invalid_json", ""},
		{"not json", "application/json", `name=a`, 400, "invalid_json", ""},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", 64) + `"}`,
			413, "body_too_large", ""},
		{"form", "application/x-www-form-urlencoded", `name=a`, 415,
			"unsupported_media_type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/x", strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			var v input
			err := httpapi.Decode(r, &v, 48)
			if tt.status == 0 {
				if err != nil || v.Name != "a" {
					t.Fatalf("Decode = %v, %+v; want name a", err, v)
				}
				return
			}
			var ae *httpapi.Error
			if !errors.As(err, &ae) {
				t.Fatalf("Decode = %v; want *httpapi.Error", err)
			}
			if ae.Status != tt.status || ae.Code != tt.code {
				t.Errorf("got %d %s (%s); want %d %s", ae.Status, ae.Code, ae.Message,
					tt.status, tt.code)
			}
			if tt.field != "" {
				fe, _ := ae.Details.([]httpapi.FieldError)
				if len(fe) != 1 || fe[0].Field != tt.field {
					t.Errorf("details %+v; want field %q", ae.Details, tt.field)
				}
			}
		})
	}
}

func TestWriteErr(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{httpapi.Invalid(httpapi.FieldError{"due", "a date"}), 400, "invalid_input"},
		{httpapi.Forbidden("edit"), 403, "forbidden"},
		{fmt.Errorf("x: get: %w", tables.ErrNotFound), 404, "not_found"},
		{fmt.Errorf("x: put: %w", tables.ErrConflict), 409, "conflict"},
		{fmt.Errorf("x: put: %w", tables.ErrThrottled), 503, "unavailable"},
		{errors.New("disk on fire"), 500, "internal"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		httpapi.WriteErr(w, httptest.NewRequest("GET", "/x", nil), tt.err, "no such thing")
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: body %q: %v", tt.err, w.Body, err)
		}
		if w.Code != tt.status || body.Error.Code != tt.code {
			t.Errorf("%v: got %d %s; want %d %s", tt.err, w.Code, body.Error.Code,
				tt.status, tt.code)
		}
		if tt.status == 500 && strings.Contains(w.Body.String(), "fire") {
			t.Errorf("500 leaks the cause: %s", w.Body)
		}
		if tt.status == 503 && w.Header().Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
	}
}

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	httpapi.WriteJSON(w, http.StatusCreated, input{Name: "b"})
	if w.Code != 201 || w.Header().Get("Cache-Control") != "no-store" ||
		strings.TrimSpace(w.Body.String()) != `{"name":"b","count":0}` {
		t.Errorf("got %d %v %q", w.Code, w.Header(), w.Body)
	}
}

func TestWriteJSONKeepsCacheControl(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set("Cache-Control", "max-age=300")
	httpapi.WriteJSON(w, http.StatusOK, input{})
	if got := w.Header().Get("Cache-Control"); got != "max-age=300" {
		t.Errorf("Cache-Control %q; want the handler's max-age=300", got)
	}
}
