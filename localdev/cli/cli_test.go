package cli

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xietong/xietong/localdev/spec"
	"github.com/xietong/xietong/localdev/timers"
)

const realSpec = "../../s.yaml"

func TestRealSpecTimersParse(t *testing.T) {
	p, err := spec.Load(realSpec, spec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{spec: p}
	jobs := s.timerJobs()
	if len(jobs) < 6 {
		t.Errorf("%d timer jobs, want ledger, reports x3, notify and dingtalk-callback", len(jobs))
	}
	for _, j := range jobs {
		if _, err := timers.Parse(j.Cron); err != nil {
			t.Errorf("%s/%s: %v", j.Function, j.Trigger, err)
		}
	}
}

// TestInvokeRealFunction runs an events/ fixture through the real projects binary, with
// its own emulators and a private data directory.
func TestInvokeRealFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function binary")
	}
	var stdout, stderr bytes.Buffer
	code := Main([]string{"invoke", "--file", realSpec, "--data", t.TempDir(),
		"projects", "../../events/fc-http-get.json"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("invoke projects: exit %d\nstdout %s\nstderr %s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), `"statusCode"`) {
		t.Errorf("invoke projects printed %q, want an HTTP trigger response", &stdout)
	}
	if !strings.Contains(stderr.String(), "build 1/1 projects") {
		t.Errorf("invoke progress %q, want the build line", &stderr)
	}
}

func TestInvokeUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"invoke", "projects"}, "want: invoke"},
		{[]string{"invoke", "projects", "no-such-file.json"}, "event file"},
		{[]string{"invoke", "--file", realSpec, "--data", os.TempDir(), "nope",
			"../../events/fc-timer.json"}, `no function "nope"`},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := Main(tt.args, &stdout, &stderr); code != exitUsage ||
			!strings.Contains(stderr.String(), tt.want) {
			t.Errorf("Main(%q) = %d, stderr %q; want 2 mentioning %q", tt.args, code, &stderr,
				tt.want)
		}
	}
}

func TestPackageZipsBinaries(t *testing.T) {
	build, dist := t.TempDir(), filepath.Join(t.TempDir(), "dist")
	for _, name := range []string{"projects", "notify"} {
		os.MkdirAll(filepath.Join(build, name), 0o755)
		os.WriteFile(filepath.Join(build, name, "main"), []byte("binary of "+name), 0o755)
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"package", build, dist}, &stdout, &stderr); code != exitOK {
		t.Fatalf("package: exit %d: %s", code, &stderr)
	}
	zr, err := zip.OpenReader(filepath.Join(dist, "projects.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "main" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("zip entries = %v, want one 0755 \"main\" at the root", zr.File)
	}
	rc, _ := zr.File[0].Open()
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "binary of projects" {
		t.Errorf("zipped main = %q", body)
	}
	if code := Main([]string{"package", t.TempDir(), dist}, &stdout, &stderr); code != exitUsage {
		t.Errorf("package of an empty build dir: exit %d, want 2", code)
	}
}

func TestSecretsGeneratedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	a, err := loadSecrets(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadSecrets(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKeySecret == "" || a.AccessKeySecret != b.AccessKeySecret ||
		a.Env["XT_LEDGER_KEY"] != b.Env["XT_LEDGER_KEY"] {
		t.Errorf("secrets changed between loads or are empty")
	}
	if !strings.HasPrefix(a.Env["XT_LEDGER_KEY"], "PRIVATE+KEY+"+ledgerOrigin+"+") {
		t.Errorf("XT_LEDGER_KEY = %.30q..., want a signed-note private key", a.Env["XT_LEDGER_KEY"])
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secrets.json mode %v, want 0600", info.Mode().Perm())
	}
}
