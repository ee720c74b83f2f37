package tasksapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// schema is the part of an OpenAPI schema object the tests read.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Enum       []string           `json:"enum"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	AllOf      []*schema          `json:"allOf"`
	Additional *bool              `json:"additionalProperties"`
}

type operation struct {
	OperationID string `json:"operationId"`
	RequestBody *struct {
		Content map[string]struct{ Schema schema } `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct{ Schema schema } `json:"content"`
	} `json:"responses"`
}

type document struct {
	Paths      map[string]map[string]operation `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

func loadDoc(t *testing.T) document {
	t.Helper()
	var d document
	if err := json.Unmarshal(OpenAPI(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOpenAPIRoutes(t *testing.T) {
	d := loadDoc(t)
	var doc, served []string
	for path, ops := range d.Paths {
		for method := range ops {
			doc = append(doc, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range routes {
		served = append(served, rt.pattern)
	}
	sort.Strings(doc)
	sort.Strings(served)
	if !slices.Equal(doc, served) {
		t.Errorf("document %q\nhandler  %q", doc, served)
	}
}

// goTypes are the Go types behind the document's object schemas.
var goTypes = map[string]any{
	"Task": Task{}, "TaskList": TaskList{}, "CreateRequest": CreateRequest{},
	"UpdateRequest": UpdateRequest{}, "AssignRequest": AssignRequest{},
	"MoveRequest": MoveRequest{}, "StatusRequest": StatusRequest{},
	"ProgressRequest": ProgressRequest{}, "DependencyRequest": DependencyRequest{},
	"BulkItem": BulkItem{}, "BulkRequest": BulkRequest{}, "ErrorInfo": ErrorInfo{},
	"BulkResult": BulkResult{}, "BulkResponse": BulkResponse{},
	"WorkLogRequest": WorkLogRequest{}, "WorkLog": WorkLog{}, "CommentRequest": CommentRequest{},
	"Comment": Comment{}, "BaselineRequest": BaselineRequest{}, "Baseline": Baseline{},
	"Variance": Variance{}, "VarianceResponse": VarianceResponse{}, "ProjectRef": ProjectRef{},
	"MemberRef": MemberRef{}, "MilestoneRef": MilestoneRef{}, "CriticalPath": CriticalPath{},
	"GanttRow": GanttRow{}, "MilestoneRisk": MilestoneRisk{}, "Load": Load{},
	"LeadView": LeadView{}, "MyTask": MyTask{}, "MyTasks": MyTasks{}, "MyWeek": MyWeek{},
	"FieldError": FieldError{},
}

// jsonFields returns the JSON names of v's fields and which are optional
// (omitempty).
func jsonFields(v any) map[string]bool {
	out := map[string]bool{}
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, opts, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name == "-" || name == "" {
			continue
		}
		out[name] = strings.Contains(opts, "omitempty")
	}
	return out
}

func TestOpenAPISchemasMatchTypes(t *testing.T) {
	d := loadDoc(t)
	for name, v := range goTypes {
		sc := d.Components.Schemas[name]
		if sc == nil {
			t.Errorf("schema %s missing", name)
			continue
		}
		want := map[string]bool{}
		for p := range sc.Properties {
			want[p] = !slices.Contains(sc.Required, p)
		}
		if got := jsonFields(v); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: Go fields (name:optional) %v, schema %v", name, got, want)
		}
	}
}

// validate checks v against sc, returning the first mismatch.
func (d document) validate(sc *schema, v any, at string) error {
	if sc.Ref != "" {
		return d.validate(d.Components.Schemas[strings.TrimPrefix(sc.Ref,
			"#/components/schemas/")], v, at)
	}
	if len(sc.AllOf) > 0 {
		return d.validateAll(sc, v, at)
	}
	switch sc.Type {
	case "object":
		return d.validateObject(sc, v, at)
	case "array":
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an array", at, v)
		}
		for i, x := range list {
			if err := d.validate(sc.Items, x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok || len(sc.Enum) > 0 && !slices.Contains(sc.Enum, s) {
			return fmt.Errorf("%s: %v, want a string of %v", at, v, sc.Enum)
		}
	case "integer", "number":
		n, ok := v.(float64)
		if !ok || sc.Type == "integer" && n != math.Trunc(n) {
			return fmt.Errorf("%s: %v, want %s", at, v, sc.Type)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %v, want a boolean", at, v)
		}
	}
	return nil
}

func (d document) validateAll(sc *schema, v any, at string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: %T, want an object", at, v)
	}
	known := map[string]bool{}
	for _, part := range sc.AllOf {
		p := part
		if p.Ref != "" {
			p = d.Components.Schemas[strings.TrimPrefix(p.Ref, "#/components/schemas/")]
		}
		sub := map[string]any{}
		for k := range p.Properties {
			known[k] = true
			if x, ok := m[k]; ok {
				sub[k] = x
			}
		}
		if err := d.validate(p, sub, at); err != nil {
			return err
		}
	}
	for k := range m {
		if !known[k] {
			return fmt.Errorf("%s.%s: not in the schema", at, k)
		}
	}
	return nil
}

func (d document) validateObject(sc *schema, v any, at string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: %T, want an object", at, v)
	}
	for _, r := range sc.Required {
		if _, ok := m[r]; !ok {
			return fmt.Errorf("%s.%s: required, missing", at, r)
		}
	}
	for k, x := range m {
		p, ok := sc.Properties[k]
		if !ok {
			if sc.Additional != nil && !*sc.Additional {
				return fmt.Errorf("%s.%s: not in the schema", at, k)
			}
			continue
		}
		if err := d.validate(p, x, at+"."+k); err != nil {
			return err
		}
	}
	return nil
}

// TestOpenAPIAnswers runs a scenario that calls every operation and checks
// every answer against the schema the document gives for its status.
func TestOpenAPIAnswers(t *testing.T) {
	d := loadDoc(t)
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.pattern, func(http.ResponseWriter, *http.Request) {})
	}
	st := newStack(t)
	covered := map[string]bool{}
	st.seen = func(method, path string, a answer) {
		req, _ := http.NewRequest(method, path, nil)
		_, pattern := mux.Handler(req)
		m, p, _ := strings.Cut(pattern, " ")
		op := d.Paths[p][strings.ToLower(m)]
		resp, ok := op.Responses[fmt.Sprint(a.status)]
		if !ok {
			resp = op.Responses["default"]
		} else {
			covered[pattern] = true
		}
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Errorf("%s %s: %d %q is not JSON", method, path, a.status, a.body)
			return
		}
		sc := resp.Content["application/json"].Schema
		if err := d.validate(&sc, v, "body"); err != nil {
			t.Errorf("%s %s (%d): %v\n%s", method, path, a.status, err, a.body)
		}
	}
	scenario(t, st)
	for _, rt := range routes {
		if !covered[rt.pattern] {
			t.Errorf("%s: no successful answer checked", rt.pattern)
		}
	}
}

// scenario calls every route at least once successfully, and a few
// refusals.
func scenario(t *testing.T, st *stack) {
	p1 := st.uniProject()
	st.createTask(director, p1, CreateRequest{Title: "一", Assignees: []string{dev1},
		Estimate: 60, Due: "2026-12-09"})
	st.createTask(director, p1, CreateRequest{Title: "二", Parent: "T-1"})
	st.createTask(director, p1, CreateRequest{Title: "三"})
	st.must(200, director, "GET", p1+"/tasks", nil)
	st.must(200, director, "GET", p1+"/tasks?view=tree", nil)
	st.must(200, director, "GET", p1+"/tasks/T-1", nil)
	st.must(200, director, "PATCH", p1+"/tasks/T-3", map[string]any{"ver": 1, "title": "叁"})
	st.must(200, director, "POST", p1+"/tasks/T-3/assign", AssignRequest{Ver: 2,
		Assignees: []string{dev2}})
	st.must(200, director, "POST", p1+"/tasks/T-3/move", map[string]any{"ver": 3,
		"milestone": "M-1"})
	st.must(200, dev2, "POST", p1+"/tasks/T-3/progress", map[string]any{"ver": 4,
		"progress": 20})
	st.must(200, director, "POST", p1+"/tasks/T-3/dependencies",
		DependencyRequest{Ver: 5, After: "T-1"})
	st.must(200, director, "DELETE", p1+"/tasks/T-3/dependencies/T-1?ver=6", nil)
	st.must(200, dev2, "POST", p1+"/tasks/T-3/status", StatusRequest{Ver: 7, Status: "doing"})
	st.must(200, director, "POST", p1+"/bulk", map[string]any{"items": []map[string]any{
		{"task": "T-3", "ver": 8, "progress": 50}, {"task": "T-2", "ver": 9, "title": "x"}}})
	st.must(201, dev1, "POST", p1+"/tasks/T-2/worklogs", WorkLogRequest{Minutes: 30,
		Date: "2026-12-03"})
	st.must(200, dev1, "GET", p1+"/tasks/T-2/worklogs", nil)
	st.must(201, dev1, "POST", p1+"/tasks/T-2/comments", CommentRequest{Body: "好"})
	st.must(200, dev1, "GET", p1+"/tasks/T-2/comments", nil)
	st.must(201, director, "POST", p1+"/baselines", BaselineRequest{Name: "一"})
	st.must(200, director, "GET", p1+"/baselines", nil)
	st.must(200, director, "GET", p1+"/baselines/B-1/variance", nil)
	st.must(200, director, "GET", p1+"/lead?baseline=B-1", nil)
	st.must(200, dev1, "GET", "/api/tasks/me?limit=1", nil)
	st.must(200, dev1, "GET", "/api/tasks/me/worklogs?week=2026-W49", nil)
	st.must(409, director, "PATCH", p1+"/tasks/T-3", map[string]any{"ver": 1, "title": "旧"})
	st.must(400, director, "POST", p1+"/tasks", map[string]any{"title": ""})
	st.must(401, "", "GET", "/api/tasks/me", nil)
	st.must(403, clerk, "GET", p1+"/tasks", nil)
}
