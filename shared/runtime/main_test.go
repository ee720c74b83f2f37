package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRunFailsFastOnBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		build   Build
		wantErr string
	}{
		{"bad log level", map[string]string{EnvLogLevel: "loud"}, okBuild, "loud"},
		{"build refuses", nil, func(func(string) string) (Function, error) {
			return Function{}, errors.New("ledgerapi: config: XT_LEDGER_KEY is required")
		}, "XT_LEDGER_KEY"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := run("fn", tt.build, &out, func(k string) string { return tt.env[k] })
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if code != 1 || len(lines) != 1 {
			t.Errorf("%s: status %d, %d log lines; want 1 and one line:\n%s", tt.name, code,
				len(lines), out.String())
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
			t.Errorf("%s: log line is not JSON: %s", tt.name, lines[0])
			continue
		}
		if rec["msg"] != "config" || rec["function"] != "fn" ||
			!strings.Contains(rec["error"].(string), tt.wantErr) {
			t.Errorf("%s: log line %v, want msg config naming %q", tt.name, rec, tt.wantErr)
		}
	}
}

func TestRunPassesGetenvToBuild(t *testing.T) {
	var seen string
	build := func(getenv func(string) string) (Function, error) {
		seen = getenv("XT_PROBE")
		return Function{}, errors.New("stop here")
	}
	run("fn", build, &bytes.Buffer{}, func(k string) string {
		if k == "XT_PROBE" {
			return "yes"
		}
		return ""
	})
	if seen != "yes" {
		t.Errorf("build saw XT_PROBE = %q, want the getenv given to run", seen)
	}
}

func okBuild(func(string) string) (Function, error) { return Function{}, nil }
