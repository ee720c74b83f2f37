package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// emitRequest asks a running stack to push one DingTalk event to its callback.
type emitRequest struct {
	Corp   string         `json:"corpId"`
	Event  string         `json:"event"`
	Fields map[string]any `json:"fields"`
	// Documented asks for the documents' envelope (eventId, userId, deptId)
	// rather than the legacy one real pushes carry.
	Documented bool `json:"documented,omitempty"`
}

// callbackPath is where the stack's gateway serves DingTalk's event push.
const callbackPath = "/callback/dingtalk"

// runDingTalk implements `localdev dingtalk emit <event> [field=value ...]`.
func runDingTalk(e *env, args []string) error {
	if len(args) == 0 || args[0] != "emit" {
		return usageErr("want: dingtalk emit [--corp C] [--documented] <event> [field=value ...]")
	}
	fs := flag.NewFlagSet("dingtalk emit", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	corp := fs.String("corp", "", "corp id of the seeded organization (default: the first)")
	addr := fs.String("gateway", "", "gateway URL of the running stack (default: from .localdev)")
	documented := fs.Bool("documented", false,
		"send the documented envelope (eventId, userId, deptId), not the legacy one")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return usageErr("want: dingtalk emit [--corp C] [--documented] <event> [field=value ...]")
	}
	fields, err := parseFields(fs.Args()[1:])
	if err != nil {
		return err
	}
	gw, err := gatewayOf(*addr)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(emitRequest{Corp: *corp, Event: fs.Arg(0), Fields: fields,
		Documented: *documented})
	resp, err := http.Post(gw+"/_localdev/dingtalk/emit", "application/json",
		bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Fprint(e.stdout, string(out))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emit %s: %s", fs.Arg(0), resp.Status)
	}
	return nil
}

// parseFields reads field=value arguments. A value in brackets is a list
// (UserId=[u1,u2]); an integer stays an integer; anything else is a string.
func parseFields(args []string) (map[string]any, error) {
	fields := map[string]any{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usageErr("field %q: want name=value", a)
		}
		fields[k] = fieldValue(v)
	}
	return fields, nil
}

func fieldValue(v string) any {
	if inner, ok := strings.CutPrefix(v, "["); ok && strings.HasSuffix(inner, "]") {
		var list []any
		for _, p := range strings.Split(strings.TrimSuffix(inner, "]"), ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, fieldValue(p))
			}
		}
		return list
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	return v
}

// gatewayOf returns addr, or the gateway of the stack running in this checkout.
func gatewayOf(addr string) (string, error) {
	if addr != "" {
		return addr, nil
	}
	proj, err := findProject(".", "", "")
	if err != nil {
		return "", err
	}
	st, err := readState(proj)
	if err != nil {
		return "", err
	}
	return st.Gateway, nil
}

// serveEmit pushes an event through the DingTalk fake to the stack's own callback
// route, encrypted and signed with the corp's app keys, with DingTalk's retries.
func (s *stack) serveEmit(w http.ResponseWriter, r *http.Request) {
	var req emitRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil ||
		req.Event == "" {
		writeJSON(w, http.StatusBadRequest, errorBody("InvalidArgument",
			"want JSON {\"corpId\", \"event\", \"fields\"} with an event type"))
		return
	}
	if req.Corp == "" {
		req.Corp, _ = s.ding.firstUser()
	}
	push := s.ding.fake.Push
	if req.Documented {
		push = s.ding.fake.PushDocumented
	}
	err := push(r.Context(), s.gatewayURL+callbackPath, req.Corp, req.Event, req.Fields)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, errorBody("PushFailed", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"pushed": req.Event, "corpId": req.Corp})
}
