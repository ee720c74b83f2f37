package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const sample = `
edition: 3.0.0
name: app
vars:
  region: ${env('REGION', 'cn-shanghai')}
  bucket: b-${vars.region}
template:
  base:
    region: ${vars.region}
    runtime: go1
    handler: main
    timeout: 10
    environmentVariables:
      A: from-template
      SECRET: ${env('SECRET')}
      ACCOUNT: ${config('AccountID')}
resources:
  api:
    component: fc3
    extend:
      name: base
    actions:
      pre-deploy:
        - run: make build FUNCTIONS=api
          path: ./
    props:
      functionName: app-api
      timeout: 20
      environmentVariables:
        B: "own, with ${vars.bucket}"
      instanceLifecycleConfig:
        initializer: {handler: main.init, timeout: 5}
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: {authType: anonymous, methods: [GET]}
        - triggerName: up
          triggerType: oss
          sourceArn: acs:oss:${vars.region}:${config('AccountID')}:${vars.bucket}
          triggerConfig:
            events: [oss:ObjectCreated:*, oss:ObjectRemoved:DeleteObject]
            filter: {key: {prefix: in/, suffix: .pdf}}
  other:
    component: some-other-component
    props: {x: 1}
  dom:
    component: fc3-domain
    props:
      routeConfig:
        routes:
          - {path: /api/*, functionName: app-api, methods: [GET]}
`

func TestParseResolvesAndMerges(t *testing.T) {
	p, err := Parse([]byte(sample), Options{
		Env:    map[string]string{"SECRET": "s3"},
		Config: map[string]string{"AccountID": "42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 1 {
		t.Fatalf("%d functions, want 1 (other components ignored)", len(p.Functions))
	}
	f := p.Functions[0]
	wantEnv := map[string]string{"A": "from-template", "SECRET": "s3", "ACCOUNT": "42",
		"B": "own, with b-cn-shanghai"}
	if diff := cmp.Diff(wantEnv, f.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if f.Timeout != 20*time.Second || f.Region != "cn-shanghai" || f.Runtime != "go1" ||
		f.Name != "app-api" {
		t.Errorf("function = %+v", f)
	}
	if f.Initializer == nil || f.Initializer.Timeout != 5*time.Second || f.PreStop != nil {
		t.Errorf("hooks = %+v, %+v", f.Initializer, f.PreStop)
	}
	if diff := cmp.Diff([]string{"make build FUNCTIONS=api"}, f.PreDeploy); diff != "" {
		t.Errorf("pre-deploy (-want +got):\n%s", diff)
	}
	oss := f.Trigger("up").OSS
	if oss == nil || oss.Bucket != "b-cn-shanghai" {
		t.Fatalf("oss trigger = %+v", oss)
	}
	want := []Route{{Path: "/api/*", Function: "api", FunctionName: "app-api",
		Methods: []string{"GET"}}}
	if diff := cmp.Diff(want, p.Routes); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
}

func TestOSSMatches(t *testing.T) {
	o := &OSSTrigger{Bucket: "b", Prefix: "in/", Suffix: ".pdf",
		Events: []string{"oss:ObjectCreated:*", "oss:ObjectRemoved:DeleteObject"}}
	tests := []struct {
		bucket, key, event string
		want               bool
	}{
		{"b", "in/x.pdf", "ObjectCreated:PutObject", true},
		{"b", "in/x.pdf", "ObjectCreated:PostObject", true},
		{"b", "in/x.pdf", "ObjectRemoved:DeleteObject", true},
		{"b", "in/x.pdf", "ObjectRemoved:DeleteObjects", false},
		{"b", "out/x.pdf", "ObjectCreated:PutObject", false},
		{"b", "in/x.txt", "ObjectCreated:PutObject", false},
		{"c", "in/x.pdf", "ObjectCreated:PutObject", false},
	}
	for _, tt := range tests {
		if got := o.Matches(tt.bucket, tt.key, tt.event); got != tt.want {
			t.Errorf("Matches(%q, %q, %q) = %v, want %v", tt.bucket, tt.key, tt.event, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"not yaml", "edition: [", "yaml"},
		{"old edition", "edition: 1.0.0", "edition"},
		{"unknown var", "edition: 3.0.0\nvars: {a: '${vars.b}'}", "no such var"},
		{"unknown function", "edition: 3.0.0\nresources:\n  d:\n    component: fc3-domain\n" +
			"    props: {routeConfig: {routes: [{path: /x, functionName: " +
			"nope}]}}", `no function "nope"`},
		{"unknown template", "edition: 3.0.0\nresources:\n  f:\n    component: fc3\n    extend: " +
			"{name: t}\n" +
			"    props: {functionName: f}", `no template "t"`},
		{"bad expression", "edition: 3.0.0\nvars: {a: '${file(\"x\")}'}", "unsupported"},
		{"bad arn", "edition: 3.0.0\nresources:\n  f:\n    component: fc3\n    props:\n      " +
			"functionName: f\n" +
			"      triggers: [{triggerName: o, triggerType: oss, sourceArn: x, triggerConfig: " +
			"{events: [a]}}]", "sourceArn"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.yaml), Options{})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse error = %v, want ErrInvalid mentioning %q", tt.name, err, tt.want)
		}
	}
}

// TestRealSpec checks the repository's s.yaml: every function exists as functions/<name>,
// every route reaches a function with an HTTP trigger, secrets come from env references.
func TestRealSpec(t *testing.T) {
	root := filepath.Join("..", "..")
	p, err := Load(filepath.Join(root, "s.yaml"), Options{
		Env: map[string]string{"XT_SESSION_KEY": "k", "XT_LEDGER_KEY": "l", "DINGTALK_APPS": "[]"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dingtalk-callback", "projects", "tasks", "contracts", "ledger", "reports",
		"notify"}
	var got []string
	for _, f := range p.Functions {
		got = append(got, f.Resource)
		if _, err := os.Stat(filepath.Join(root, "functions", f.Resource, "main.go")); err != nil {
			t.Errorf("function %q: %v", f.Resource, err)
		}
		if f.Name != "xietong-"+f.Resource || f.Code != "./build/"+f.Resource ||
			f.Runtime != "go1" {
			t.Errorf("function %q: name %q code %q runtime %q", f.Resource, f.Name, f.Code,
				f.Runtime)
		}
		if f.HasTrigger(TriggerHTTP) == (f.Resource == "notify") {
			t.Errorf("function %q: HTTP trigger %v, want one on all but notify", f.Resource,
				f.HasTrigger(TriggerHTTP))
		}
		if len(f.PreDeploy) == 0 {
			t.Errorf("function %q: no pre-deploy build", f.Resource)
		}
		for _, k := range []string{"XT_SESSION_KEY", "XT_LEDGER_KEY", "DINGTALK_APPS"} {
			if v := f.Env[k]; v == "" {
				t.Errorf("function %q: %s = %q, want it from the env", f.Resource, k, v)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
	for _, r := range p.Routes {
		if f := p.Function(r.Function); f == nil || !f.HasTrigger(TriggerHTTP) {
			t.Errorf("route %q: function %q missing or without HTTP trigger", r.Path, r.Function)
		}
	}
	if len(p.Routes) < 9 {
		t.Errorf("%d routes, want at least 9", len(p.Routes))
	}
}

func TestRealSpecHasNoLiteralSecrets(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"XT_SESSION_KEY", "XT_LEDGER_KEY", "DINGTALK_APPS"} {
		if !strings.Contains(string(data), k+": ${env('"+k+"')}") {
			t.Errorf("s.yaml does not take %s from ${env('%s')}", k, k)
		}
	}
}
