package spec

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// document is the raw shape of s.yaml before resolution.
type document struct {
	Edition   string                    `yaml:"edition"`
	Name      string                    `yaml:"name"`
	Vars      orderedMap[any]           `yaml:"vars"`
	Template  map[string]map[string]any `yaml:"template"`
	Resources orderedMap[resource]      `yaml:"resources"`
}

type resource struct {
	Component string                      `yaml:"component"`
	Extend    *struct{ Name string }      `yaml:"extend"`
	Actions   map[string][]map[string]any `yaml:"actions"`
	Props     map[string]any              `yaml:"props"`
}

// orderedMap decodes a YAML mapping and remembers its key order.
type orderedMap[V any] struct {
	keys  []string
	items map[string]V
}

// UnmarshalYAML decodes a YAML mapping, keeping its keys in document order.
func (m *orderedMap[V]) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping", n.Line)
	}
	m.items = map[string]V{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		var v V
		if err := n.Content[i+1].Decode(&v); err != nil {
			return err
		}
		k := n.Content[i].Value
		m.keys = append(m.keys, k)
		m.items[k] = v
	}
	return nil
}

func newFunction(key string, m map[string]any,
	actions map[string][]map[string]any) (*Function, error) {
	f := &Function{
		Resource:    key,
		Name:        str(m, "functionName"),
		Description: str(m, "description"),
		Region:      str(m, "region"),
		Runtime:     str(m, "runtime"),
		Handler:     str(m, "handler"),
		Role:        str(m, "role"),
		Code:        str(m, "code"),
		MemoryMB:    integer(m, "memorySize", 512),
		Timeout:     time.Duration(integer(m, "timeout", 3)) * time.Second,
		Env:         map[string]string{},
	}
	if f.Name == "" {
		return nil, fmt.Errorf("props.functionName missing")
	}
	env, _ := m["environmentVariables"].(map[string]any)
	for k, v := range env {
		f.Env[k] = fmt.Sprint(v)
	}
	lc, _ := m["instanceLifecycleConfig"].(map[string]any)
	f.Initializer = newHook(lc, "initializer")
	f.PreStop = newHook(lc, "preStop")
	for _, a := range actions["pre-deploy"] {
		if run, ok := a["run"].(string); ok {
			f.PreDeploy = append(f.PreDeploy, run)
		}
	}
	triggers, _ := m["triggers"].([]any)
	for i, t := range triggers {
		tm, _ := t.(map[string]any)
		tr, err := newTrigger(tm)
		if err != nil {
			return nil, fmt.Errorf("trigger %d: %v", i, err)
		}
		f.Triggers = append(f.Triggers, tr)
	}
	return f, nil
}

func newHook(lc map[string]any, name string) *Hook {
	h, ok := lc[name].(map[string]any)
	if !ok || str(h, "handler") == "" {
		return nil
	}
	return &Hook{
		Handler: str(h, "handler"),
		Timeout: time.Duration(integer(h, "timeout", 3)) * time.Second,
	}
}

func newTrigger(m map[string]any) (Trigger, error) {
	t := Trigger{
		Name:           str(m, "triggerName"),
		Type:           str(m, "triggerType"),
		SourceArn:      str(m, "sourceArn"),
		InvocationRole: str(m, "invocationRole"),
	}
	if t.Name == "" || t.Type == "" {
		return t, fmt.Errorf("triggerName and triggerType are required")
	}
	cfg, ok := m["triggerConfig"].(map[string]any)
	if !ok {
		return t, fmt.Errorf("trigger %q: triggerConfig missing", t.Name)
	}
	switch t.Type {
	case TriggerHTTP:
		t.HTTP = &HTTPTrigger{AuthType: str(cfg, "authType"), Methods: strs(cfg, "methods")}
	case TriggerTimer:
		t.Timer = &TimerTrigger{
			CronExpression: str(cfg, "cronExpression"),
			Enable:         cfg["enable"] == true,
			Payload:        str(cfg, "payload"),
		}
		if t.Timer.CronExpression == "" {
			return t, fmt.Errorf("trigger %q: cronExpression missing", t.Name)
		}
	case TriggerOSS:
		oss, err := newOSSTrigger(t.SourceArn, cfg)
		if err != nil {
			return t, fmt.Errorf("trigger %q: %v", t.Name, err)
		}
		t.OSS = oss
	}
	return t, nil
}

func newOSSTrigger(arn string, cfg map[string]any) (*OSSTrigger, error) {
	// acs:oss:<region>:<account>:<bucket>
	parts := strings.Split(arn, ":")
	if len(parts) != 5 || parts[0] != "acs" || parts[1] != "oss" || parts[4] == "" {
		return nil, fmt.Errorf("sourceArn %q is not acs:oss:<region>:<account>:<bucket>", arn)
	}
	o := &OSSTrigger{Bucket: parts[4], Events: strs(cfg, "events")}
	filter, _ := cfg["filter"].(map[string]any)
	key, _ := filter["key"].(map[string]any)
	o.Prefix, o.Suffix = str(key, "prefix"), str(key, "suffix")
	if len(o.Events) == 0 {
		return nil, fmt.Errorf("events missing")
	}
	return o, nil
}

func newRoutes(m map[string]any) ([]Route, error) {
	rc, _ := m["routeConfig"].(map[string]any)
	list, _ := rc["routes"].([]any)
	var out []Route
	for i, item := range list {
		rm, _ := item.(map[string]any)
		r := Route{Path: str(rm, "path"), FunctionName: str(rm, "functionName"),
			Methods: strs(rm, "methods")}
		if !strings.HasPrefix(r.Path, "/") || r.FunctionName == "" {
			return nil, fmt.Errorf("route %d: want a path starting with / and a functionName", i)
		}
		out = append(out, r)
	}
	return out, nil
}

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func integer(m map[string]any, k string, def int) int {
	switch v := m[k].(type) {
	case int:
		return v
	case float64:
		return int(v)
	case string:
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil {
			return n
		}
	}
	return def
}

func strs(m map[string]any, k string) []string {
	list, _ := m[k].([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		out = append(out, fmt.Sprint(v))
	}
	return out
}
