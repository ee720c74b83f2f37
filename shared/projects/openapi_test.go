package projects

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// spec is the parsed OpenAPI document.
type spec struct {
	doc   map[string]any
	paths map[string]map[string]any // path template → method → operation
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc["openapi"] != "3.0.3" {
		t.Fatalf("openapi = %v, want 3.0.3", doc["openapi"])
	}
	s := &spec{doc: doc, paths: map[string]map[string]any{}}
	for p, item := range doc["paths"].(map[string]any) {
		s.paths[p] = map[string]any{}
		for m, op := range item.(map[string]any) {
			s.paths[p][strings.ToUpper(m)] = op
		}
	}
	return s
}

// documented returns "METHOD /path" for every operation.
func (s *spec) documented() []string {
	var out []string
	for p, ops := range s.paths {
		for m := range ops {
			out = append(out, m+" "+p)
		}
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := loadSpec(t)
	var served []string
	for _, rt := range (&Service{}).routes() {
		served = append(served, rt.pattern)
	}
	sort.Strings(served)
	for _, r := range served {
		if !slices.Contains(s.documented(), r) {
			t.Errorf("served route %q is not in openapi.json", r)
		}
	}
	st := newStack(t)
	for _, r := range s.documented() {
		if !slices.Contains(served, r) {
			t.Errorf("documented route %q is not served", r)
		}
		method, path, _ := strings.Cut(r, " ")
		path = strings.NewReplacer("{corp}", uni, "{id}", "p1", "{uid}", dev1,
			"{mid}", "M-1").Replace(path)
		if _, b := st.do("", method, path, nil); errorCode(b) == "no_route" {
			t.Errorf("%s: the handler has no route", r)
		}
		op := s.paths[strings.SplitN(r, " ", 2)[1]][method].(map[string]any)
		if op["operationId"] == nil || op["responses"] == nil {
			t.Errorf("%s: operationId and responses are required", r)
		}
	}
}

// TestOpenAPIResponses runs the API's flows and checks every answer
// against the schema documented for its route and status, and that every
// operation's success answer was seen at least once.
func TestOpenAPIResponses(t *testing.T) {
	s := loadSpec(t)
	st := newStack(t)
	st.withApprovals()
	st.portfolio()
	d := st.demoProject("文档")
	path := projectPath(d)
	var m Milestone
	st.must(appsLead, "POST", path+"/milestones", MilestoneRequest{Title: "验收",
		Due: "2027-01-10"}, http.StatusCreated, &m)
	steps := []struct {
		as, method, path string
		body             any
	}{
		{dev1, "POST", "/api/auth/refresh", nil},
		{dev1, "GET", "/api/orgs/" + uni, nil},
		{dev1, "GET", "/api/projects?limit=1", nil},
		{dev1, "GET", path, nil},
		{appsLead, "PATCH", path, UpdateRequest{Ver: 1, Budget: ptr(int64(9))}},
		{appsLead, "PATCH", path, UpdateRequest{Ver: 1, Budget: ptr(int64(8))}},
		{appsLead, "POST", path + "/partners", PartnerRequest{Ver: 2, Corp: "dingthird"}},
		{dev1, "GET", path + "/members", nil},
		{appsLead, "POST", path + "/members", MemberInput{Corp: sup, UserID: "a-dev",
			Role: "supplier"}},
		{appsLead, "PATCH", path + "/members/" + acmeDev, RoleRequest{Ver: 1, Role: "viewer"}},
		{appsLead, "DELETE", path + "/members/" + acmeDev + "?ver=2", nil},
		{dev1, "GET", path + "/milestones", nil},
		{appsLead, "PATCH", path + "/milestones/M-1", MilestoneEditRequest{Ver: 1,
			Title: ptr("终验")}},
		{appsLead, "POST", path + "/milestones/M-1/accept", AcceptRequest{Ver: 2}},
		{president, "GET", "/api/views/executive?groupBy=status,year&drill=true", nil},
		{itDirector, "GET", "/api/views/department", nil},
		{appsLead, "POST", path + "/approval", nil},
		{dev1, "GET", path + "/approval", nil},
		{appsLead, "POST", path + "/archive", VersionRequest{Ver: 4}},
		{dev1, "PATCH", path, UpdateRequest{Ver: 9}},
		{dev1, "POST", "/api/projects", map[string]any{"name": "x", "colour": "red"}},
	}
	for _, sp := range steps {
		st.do(sp.as, sp.method, sp.path, sp.body)
	}
	covered := map[string]bool{}
	for _, ex := range st.exchanges() {
		tmpl, op := s.match(ex.method, ex.path)
		if op == nil {
			t.Errorf("%s %s: no documented operation", ex.method, ex.path)
			continue
		}
		schema, success := s.responseSchema(op, ex.status)
		if success {
			covered[ex.method+" "+tmpl] = true
		}
		if schema == nil {
			if len(ex.body) > 0 && ex.status != http.StatusNoContent {
				t.Errorf("%s %s = %d: undocumented body %s", ex.method, ex.path, ex.status,
					ex.body)
			}
			continue
		}
		var v any
		if err := json.Unmarshal(ex.body, &v); err != nil {
			t.Errorf("%s %s = %d: body is not JSON: %s", ex.method, ex.path, ex.status, ex.body)
			continue
		}
		for _, problem := range s.validate("$", schema, v) {
			t.Errorf("%s %s = %d: %s\n%s", ex.method, ex.path, ex.status, problem, ex.body)
		}
	}
	for _, r := range s.documented() {
		if !covered[r] {
			t.Errorf("%s: no success answer sampled", r)
		}
	}
}

// match finds the documented operation of a concrete request.
func (s *spec) match(method, path string) (string, map[string]any) {
	path, _, _ = strings.Cut(path, "?")
	for tmpl, ops := range s.paths {
		if regexp.MustCompile(pattern(tmpl)).MatchString(path) && ops[method] != nil {
			return tmpl, ops[method].(map[string]any)
		}
	}
	return "", nil
}

// pattern turns a path template into an anchored regular expression.
func pattern(tmpl string) string {
	parts := strings.Split(tmpl, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = "[^/]+"
		} else {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return "^" + strings.Join(parts, "/") + "$"
}

// responseSchema returns the schema documented for status (or the default
// answer) and whether status is the documented success.
func (s *spec) responseSchema(op map[string]any, status int) (map[string]any, bool) {
	resps := op["responses"].(map[string]any)
	r, success := resps[strconv.Itoa(status)], true
	if r == nil {
		r, success = resps["default"], false
	}
	if r == nil {
		return nil, false
	}
	content, _ := r.(map[string]any)["content"].(map[string]any)
	if content == nil {
		return nil, success
	}
	js := content["application/json"].(map[string]any)
	return js["schema"].(map[string]any), success
}

// validate checks v against schema: $ref, allOf, type, required,
// properties, additionalProperties false, items and enum.
func (s *spec) validate(at string, schema map[string]any, v any) []string {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, ok := s.doc["components"].(map[string]any)["schemas"].(map[string]any)[name]
		if !ok {
			return []string{at + ": unresolved " + ref}
		}
		return s.validate(at, target.(map[string]any), v)
	}
	var out []string
	if all, ok := schema["allOf"].([]any); ok {
		for _, sub := range all {
			out = append(out, s.validate(at, sub.(map[string]any), v)...)
		}
		return out
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		out = append(out, fmt.Sprintf("%s: %v not in %v", at, v, enum))
	}
	switch schema["type"] {
	case "object":
		return append(out, s.validateObject(at, schema, v)...)
	case "array":
		list, ok := v.([]any)
		if !ok {
			return append(out, at+": want an array")
		}
		items, _ := schema["items"].(map[string]any)
		for i, x := range list {
			out = append(out, s.validate(fmt.Sprintf("%s[%d]", at, i), items, x)...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			out = append(out, at+": want a string")
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			out = append(out, at+": want an integer")
		}
	case "number":
		if _, ok := v.(float64); !ok {
			out = append(out, at+": want a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			out = append(out, at+": want a boolean")
		}
	}
	return out
}

func (s *spec) validateObject(at string, schema map[string]any, v any) []string {
	obj, ok := v.(map[string]any)
	if !ok {
		return []string{at + ": want an object"}
	}
	var out []string
	for _, r := range schema["required"].([]any) {
		if _, ok := obj[r.(string)]; !ok {
			out = append(out, fmt.Sprintf("%s: required field %q missing", at, r))
		}
	}
	props, _ := schema["properties"].(map[string]any)
	for k, x := range obj {
		p, ok := props[k]
		if !ok {
			if schema["additionalProperties"] == false {
				out = append(out, fmt.Sprintf("%s: undocumented field %q", at, k))
			}
			continue
		}
		out = append(out, s.validate(at+"."+k, p.(map[string]any), x)...)
	}
	return out
}

// TestOpenAPIValidatorRefuses shows that the checks above can fail.
func TestOpenAPIValidatorRefuses(t *testing.T) {
	s := loadSpec(t)
	project := map[string]any{"$ref": "#/components/schemas/Project"}
	tests := []struct {
		name string
		body string
	}{
		{"missing required", `{"id":"p1"}`},
		{"wrong type", `{"id":1,"corp":"c","name":"n","partners":[],"budget":0,"risk":"low",
			"status":"active","createdBy":"u","createdAt":"t","updatedAt":"t","ver":1}`},
		{"bad enum", `{"id":"p","corp":"c","name":"n","partners":[],"budget":0,"risk":"huge",
			"status":"active","createdBy":"u","createdAt":"t","updatedAt":"t","ver":1}`},
		{"undocumented field", `{"id":"p","corp":"c","name":"n","partners":[],"budget":0,
			"risk":"low","status":"active","createdBy":"u","createdAt":"t","updatedAt":"t",
			"ver":1,"secret":"x"}`},
	}
	for _, tt := range tests {
		var v any
		if err := json.Unmarshal([]byte(tt.body), &v); err != nil {
			t.Fatal(err)
		}
		if got := s.validate("$", project, v); len(got) == 0 {
			t.Errorf("%s: validate(%s) found nothing wrong", tt.name, tt.body)
		}
	}
}
