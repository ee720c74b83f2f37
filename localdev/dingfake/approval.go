package dingfake

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// approval is one OA instance.
type approval struct {
	corpID     string
	Title      string            `json:"title"`
	Status     string            `json:"status"`
	Result     string            `json:"result"`
	BusinessID string            `json:"businessId"`
	Originator string            `json:"originatorUserId"`
	DeptID     string            `json:"originatorDeptId"`
	Approvers  []string          `json:"approverUserIds"`
	Form       []json.RawMessage `json:"formComponentValues"`
	CreateTime string            `json:"createTime"`
	FinishTime string            `json:"finishTime,omitempty"`
	Code       string            `json:"processCode"`
}

const isoMinute = "2006-01-02T15:04Z"

func (f *Fake) approvalCreate(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		ProcessCode string            `json:"processCode"`
		Originator  string            `json:"originatorUserId"`
		DeptID      json.Number       `json:"deptId"`
		Form        []json.RawMessage `json:"formComponentValues"`
		Approvers   []struct {
			UserIDs []string `json:"userIds"`
		} `json:"approvers"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Originator == "" {
		apiErr(w, http.StatusBadRequest, "processInstanceInvalidParameter",
			"originatorUserId is required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !slices.Contains(ref.org.ProcessCodes, req.ProcessCode):
		apiErr(w, http.StatusBadRequest, "processCodeError", "unknown processCode")
		return
	case f.userLocked(ref.org.CorpID, req.Originator) == nil:
		apiErr(w, http.StatusBadRequest, "processInstanceInvalidParameter",
			"unknown originatorUserId")
		return
	}
	a := &approval{corpID: ref.org.CorpID, Title: req.ProcessCode, Status: "RUNNING",
		Code: req.ProcessCode, BusinessID: randomID("", 6), Originator: req.Originator,
		DeptID: req.DeptID.String(), Form: req.Form,
		CreateTime: f.cfg.Now().UTC().Format(isoMinute)}
	for _, s := range req.Approvers {
		a.Approvers = append(a.Approvers, s.UserIDs...)
	}
	id := randomID("proc-", 10)
	f.approvals[id] = a
	writeJSON(w, http.StatusOK, map[string]string{"instanceId": id})
}

func (f *Fake) approvalGet(w http.ResponseWriter, r *http.Request, ref appRef, _ []byte) {
	id := r.URL.Query().Get("processInstanceId")
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.approvals[id]
	if a == nil || a.corpID != ref.org.CorpID {
		apiErr(w, http.StatusBadRequest, "processInstanceNotFound", "no such instance")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": a, "success": true})
}

// ResolveApproval ends an instance as its approvers would: result is agree,
// refuse or terminate. It returns the corp id, for a following Push.
func (f *Fake) ResolveApproval(instanceID, result string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.approvals[instanceID]
	if a == nil {
		return "", errors.New("dingfake: approval: no such instance")
	}
	switch result {
	case "agree", "refuse":
		a.Status, a.Result = "COMPLETED", result
	case "terminate":
		a.Status, a.Result = "TERMINATED", ""
	default:
		return "", errors.New("dingfake: approval: result is agree, refuse or terminate")
	}
	a.FinishTime = f.cfg.Now().UTC().Format(isoMinute)
	return a.corpID, nil
}

func (f *Fake) resolveHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		InstanceID string `json:"instanceId"`
		Result     string `json:"result"`
	}
	body, _ := readBody(r)
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "dingfake: approval: body is not JSON", http.StatusBadRequest)
		return
	}
	if _, err := f.ResolveApproval(req.InstanceID, req.Result); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (f *Fake) faultHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path    string `json:"path"`
		Count   int    `json:"count"`
		Errcode int    `json:"errcode"`
		Status  int    `json:"status"`
		Code    string `json:"code"`
	}
	body, _ := readBody(r)
	if err := json.Unmarshal(body, &req); err != nil || req.Path == "" || req.Count < 1 {
		http.Error(w, "dingfake: fault: want {path, count, errcode | status+code}",
			http.StatusBadRequest)
		return
	}
	if req.Status != 0 {
		f.FailAPI(req.Path, req.Count, req.Status, req.Code)
	} else {
		f.FailOAPI(req.Path, req.Count, req.Errcode)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// failedResult serves the corp's failed pushes, oldest first, Config.FailedPage
// at a time (DingTalk: 200), deleting what it returns as DingTalk does;
// has_more says whether more are left.
func (f *Fake) failedResult(w http.ResponseWriter, _ *http.Request, ref appRef, _ []byte) {
	size := f.cfg.FailedPage
	if size <= 0 {
		size = 200
	}
	f.mu.Lock()
	list := f.failed[ref.org.CorpID]
	n := min(size, len(list))
	page, rest := slices.Clone(list[:n]), list[n:]
	if len(rest) == 0 {
		delete(f.failed, ref.org.CorpID)
	} else {
		f.failed[ref.org.CorpID] = rest
	}
	f.mu.Unlock()
	if page == nil {
		page = []json.RawMessage{}
	}
	oapiOK(w, map[string]any{"has_more": len(rest) > 0, "failed_list": page})
}

// recordFailed adds an undeliverable event to the corp's failed list in
// DingTalk's shape: {"call_back_tag", "event_time", <tag>: object}, where
// the object holds the event's fields under lowercase names (userid,
// deptid) and corpid, except that an approval event's fields are nested
// under bpmsCallBackData as DingTalk lists them.
func (f *Fake) recordFailed(corpID, eventType string, fields map[string]any, at time.Time) {
	inner := map[string]any{"corpid": corpID}
	if strings.HasPrefix(eventType, "bpms_") {
		inner["bpmsCallBackData"] = fields
	} else {
		for k, v := range fields {
			inner[strings.ToLower(k)] = v
		}
	}
	item, _ := json.Marshal(map[string]any{"call_back_tag": eventType,
		"event_time": at.UnixMilli(), eventType: inner})
	f.mu.Lock()
	f.failed[corpID] = append(f.failed[corpID], item)
	f.mu.Unlock()
}

// FailedCount returns how many failed pushes of corpID wait to be read.
func (f *Fake) FailedCount(corpID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.failed[corpID])
}
