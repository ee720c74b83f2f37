package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const watchMain = `package main

import (
	"context"
	"encoding/json"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

func main() {
	fc.Start(func(ctx context.Context, ev json.RawMessage) (events.HTTPTriggerResponse, error) {
		return events.HTTPTriggerResponse{StatusCode: 200, Body: %q}, nil
	})
}
`

const watchSpec = `edition: 3.0.0
name: watch
resources:
  w:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: watch-w
      runtime: go1
      handler: main
      timeout: 5
      code: ./build/w
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: {authType: anonymous, methods: [GET]}
  d:
    component: fc3-domain
    props:
      routeConfig: {routes: [{path: /w/*, functionName: watch-w}]}
`

// writeWatchProject lays out a module of its own with one function, functions/w.
func writeWatchProject(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	sum, err := os.ReadFile("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(l, "github.com/aliyun/fc-runtime-go-sdk ") {
			lines = append(lines, l)
		}
	}
	files := map[string]string{
		"go.mod": "module watchtest\n\ngo 1.26\n\nrequire " +
			"github.com/aliyun/fc-runtime-go-sdk v0.3.1\n",
		"go.sum":              strings.Join(lines, "\n") + "\n",
		"s.yaml":              watchSpec,
		"functions/w/main.go": fmt.Sprintf(watchMain, "v1"),
	}
	for name, body := range files {
		path := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestWatchRebuildsChangedFunction changes a function's source under `up --watch` and
// waits for the gateway to answer from the rebuilt binary.
func TestWatchRebuildsChangedFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function binary twice")
	}
	root := writeWatchProject(t)
	proj := project{root: root, sfile: filepath.Join(root, "s.yaml"),
		data: filepath.Join(root, ".localdev")}
	logs := &syncBuffer{}
	s, err := startStack(t.Context(), stackConfig{proj: proj, addr: "127.0.0.1:0", maxInstances: 1,
		out: logs, noTimers: true})
	if err != nil {
		t.Fatalf("start: %v\n%s", err, logs)
	}
	defer s.close()
	if _, body := do(t, "GET", s.gatewayURL+"/w/x", "", nil); string(body) != "v1" {
		t.Fatalf("before the change: %q, want v1", body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.watch(ctx, 50*time.Millisecond)
	for !strings.Contains(logs.String(), "watching sources") {
		time.Sleep(10 * time.Millisecond)
	}

	src := filepath.Join(root, "functions/w/main.go")
	os.WriteFile(src, []byte(fmt.Sprintf(watchMain, "v2")), 0o644)
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(src, later, later)

	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, body := do(t, "GET", s.gatewayURL+"/w/x", "", nil)
		if string(body) == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %q after the source changed; logs:\n%s", body, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "rebuild w ... ") {
		t.Errorf("no rebuild progress line in:\n%s", logs)
	}
}
