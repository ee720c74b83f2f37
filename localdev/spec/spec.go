// Package spec reads a Serverless Devs s.yaml (edition 3.0.0, components fc3 and fc3-domain)
// into the functions, triggers, routes and environment that localdev runs.
//
// It resolves the magic variables localdev needs (${vars.x}, ${env('X')},
// ${env('X', 'default')}, ${config('X')}) and template inheritance (extend), so that the
// file deployed with `s deploy` is the one that runs locally.
package spec

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Component names that spec understands; other resources are ignored.
const (
	ComponentFunction = "fc3"
	ComponentDomain   = "fc3-domain"
)

// Trigger types that localdev runs.
const (
	TriggerHTTP  = "http"
	TriggerTimer = "timer"
	TriggerOSS   = "oss"
)

// ErrInvalid is wrapped by every error about the content of an s.yaml.
var ErrInvalid = errors.New("invalid s.yaml")

// Options supply the values that magic variables resolve from.
type Options struct {
	// Env answers ${env('NAME')}. A name missing from Env takes the default given in the
	// file, or resolves to "" when there is none.
	Env map[string]string
	// Config answers ${config('Key')}, as `s config get` would (AccountID, ...).
	Config map[string]string
}

// Project is a parsed s.yaml.
type Project struct {
	// Name is the project name (top-level name).
	Name string
	// Vars holds the resolved global vars.
	Vars map[string]string
	// Functions are the fc3 resources in file order.
	Functions []*Function
	// Routes are the custom-domain routes of every fc3-domain resource, in file order.
	Routes []Route
}

// Function is one fc3 resource with its template merged in.
type Function struct {
	// Resource is the key under resources; by convention it is also functions/<Resource>.
	Resource string
	// Name is props.functionName, the name deployed in FC.
	Name        string
	Description string
	Region      string
	Runtime     string
	Handler     string
	Role        string
	// Code is props.code, the directory holding the deployed binary.
	Code     string
	MemoryMB int
	Timeout  time.Duration
	// Env is props.environmentVariables, resolved.
	Env         map[string]string
	Initializer *Hook
	PreStop     *Hook
	Triggers    []Trigger
	// PreDeploy lists the run commands of actions.pre-deploy.
	PreDeploy []string
}

// Hook is a lifecycle hook from instanceLifecycleConfig.
type Hook struct {
	Handler string
	Timeout time.Duration
}

// Trigger is one entry of props.triggers. Exactly one of HTTP, Timer and OSS is set for
// the types localdev runs; other types keep only Name and Type.
type Trigger struct {
	Name           string
	Type           string
	SourceArn      string
	InvocationRole string
	HTTP           *HTTPTrigger
	Timer          *TimerTrigger
	OSS            *OSSTrigger
}

// HTTPTrigger is the triggerConfig of an http trigger.
type HTTPTrigger struct {
	AuthType string
	Methods  []string
}

// TimerTrigger is the triggerConfig of a timer trigger.
type TimerTrigger struct {
	CronExpression string
	Enable         bool
	Payload        string
}

// OSSTrigger is the triggerConfig of an oss trigger, with the bucket taken from sourceArn.
type OSSTrigger struct {
	Bucket string
	Events []string
	Prefix string
	Suffix string
}

// Route maps a custom-domain path to a function.
type Route struct {
	// Path is the route path: exact ("/a") or a wildcard prefix ("/api/tasks/*", "/*").
	Path string
	// Function is the resource key of the target function.
	Function string
	// FunctionName is the deployed name the route names.
	FunctionName string
	Methods      []string
}

// Load reads and parses the s.yaml at path.
func Load(path string, opts Options) (*Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("spec: load %q: %w", path, err)
	}
	p, err := Parse(data, opts)
	if err != nil {
		return nil, fmt.Errorf("spec: load %q: %w", path, err)
	}
	return p, nil
}

// Function returns the function whose resource key or deployed name is name, or nil.
func (p *Project) Function(name string) *Function {
	for _, f := range p.Functions {
		if f.Resource == name || f.Name == name {
			return f
		}
	}
	return nil
}

// Trigger returns the function's trigger called name, or nil.
func (f *Function) Trigger(name string) *Trigger {
	for i := range f.Triggers {
		if f.Triggers[i].Name == name {
			return &f.Triggers[i]
		}
	}
	return nil
}

// HasTrigger reports whether the function has a trigger of the given type.
func (f *Function) HasTrigger(typ string) bool {
	for _, t := range f.Triggers {
		if t.Type == typ {
			return true
		}
	}
	return false
}

// Matches reports whether an object event (name without the "oss:" prefix, as in the event
// payload, e.g. "ObjectCreated:PutObject") on bucket/key fires this trigger.
func (t *OSSTrigger) Matches(bucket, key, eventName string) bool {
	if bucket != t.Bucket || !strings.HasPrefix(key, t.Prefix) ||
		!strings.HasSuffix(key, t.Suffix) {
		return false
	}
	name := "oss:" + eventName
	for _, e := range t.Events {
		if e == name {
			return true
		}
		if rest, ok := strings.CutSuffix(e, "*"); ok && strings.HasPrefix(name, rest) {
			return true
		}
	}
	return false
}

// EnvList returns the function's environment as sorted KEY=VALUE strings.
func (f *Function) EnvList() []string {
	keys := make([]string, 0, len(f.Env))
	for k := range f.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+f.Env[k])
	}
	return out
}

// Parse parses s.yaml content.
func Parse(data []byte, opts Options) (*Project, error) {
	var doc document
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !strings.HasPrefix(doc.Edition, "3.") {
		return nil, fmt.Errorf("%w: edition %q, want 3.x", ErrInvalid, doc.Edition)
	}
	r := &resolver{opts: opts, vars: map[string]string{}}
	if err := r.resolveVars(doc.Vars); err != nil {
		return nil, err
	}
	p := &Project{Name: doc.Name, Vars: r.vars}
	if err := p.addResources(&doc, r); err != nil {
		return nil, err
	}
	if err := p.linkRoutes(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Project) addResources(doc *document, r *resolver) error {
	for _, key := range doc.Resources.keys {
		res := doc.Resources.items[key]
		props, err := mergedProps(doc, key, res)
		if err != nil {
			return err
		}
		resolved, err := r.resolveTree(props)
		if err != nil {
			return fmt.Errorf("%w: resource %q: %v", ErrInvalid, key, err)
		}
		m, _ := resolved.(map[string]any)
		switch res.Component {
		case ComponentFunction:
			f, err := newFunction(key, m, res.Actions)
			if err != nil {
				return fmt.Errorf("%w: resource %q: %v", ErrInvalid, key, err)
			}
			p.Functions = append(p.Functions, f)
		case ComponentDomain:
			routes, err := newRoutes(m)
			if err != nil {
				return fmt.Errorf("%w: resource %q: %v", ErrInvalid, key, err)
			}
			p.Routes = append(p.Routes, routes...)
		}
	}
	return nil
}

func (p *Project) linkRoutes() error {
	for i := range p.Routes {
		rt := &p.Routes[i]
		f := p.Function(rt.FunctionName)
		if f == nil {
			return fmt.Errorf("%w: route %q: no function %q", ErrInvalid, rt.Path, rt.FunctionName)
		}
		rt.Function = f.Resource
	}
	return nil
}

func mergedProps(doc *document, key string, res resource) (map[string]any, error) {
	props := res.Props
	if props == nil {
		props = map[string]any{}
	}
	if res.Extend == nil {
		return props, nil
	}
	tmpl, ok := doc.Template[res.Extend.Name]
	if !ok {
		return nil, fmt.Errorf("%w: resource %q: no template %q", ErrInvalid, key, res.Extend.Name)
	}
	return mergeMaps(tmpl, props), nil
}

// mergeMaps returns base overlaid with over: maps merge recursively, anything else
// (arrays included) is replaced, as Serverless Devs' extend does.
func mergeMaps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = mergeMaps(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}
