package dingfake

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
)

type deptReq struct {
	DeptID int64 `json:"dept_id"`
	Cursor int64 `json:"cursor"`
	Size   int   `json:"size"`
}

func parseDept(body []byte) (deptReq, bool) {
	var req deptReq
	if err := json.Unmarshal(body, &req); err != nil || req.DeptID == 0 {
		return req, false
	}
	return req, true
}

func (o *Org) dept(id int64) *Dept {
	for i := range o.Depts {
		if o.Depts[i].ID == id {
			return &o.Depts[i]
		}
	}
	return nil
}

func (f *Fake) userGet(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		UserID string `json:"userid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.UserID == "" {
		oapiErr(w, 40035, "缺少参数 userid")
		return
	}
	f.mu.Lock()
	u := f.userLocked(ref.org.CorpID, req.UserID)
	var out User
	if u != nil {
		out = *u
	}
	f.mu.Unlock()
	if u == nil {
		oapiErr(w, 60121, "找不到该用户")
		return
	}
	oapiOK(w, map[string]any{"result": out})
}

// members returns the direct members of dept, in seed order.
func (o *Org) members(dept int64) []User {
	var us []User
	for _, u := range o.Users {
		if slices.Contains(u.DeptIDs, dept) {
			us = append(us, u)
		}
	}
	return us
}

func (f *Fake) userList(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	req, ok := parseDept(body)
	if !ok || req.Size < 1 || req.Size > 100 || req.Cursor < 0 {
		oapiErr(w, 40035, "参数错误: dept_id, cursor, size (1..100)")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ref.org.dept(req.DeptID) == nil {
		oapiErr(w, 60003, "部门不存在")
		return
	}
	all := ref.org.members(req.DeptID)
	start := min(int(req.Cursor), len(all))
	end := min(start+req.Size, len(all))
	res := map[string]any{"list": all[start:end], "has_more": end < len(all)}
	if end < len(all) {
		res["next_cursor"] = end
	}
	oapiOK(w, map[string]any{"result": res})
}

func (f *Fake) userListID(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	req, ok := parseDept(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !ok || ref.org.dept(req.DeptID) == nil {
		oapiErr(w, 60003, "部门不存在")
		return
	}
	ids := []string{}
	for _, u := range ref.org.members(req.DeptID) {
		ids = append(ids, u.UserID)
	}
	oapiOK(w, map[string]any{"result": map[string]any{"userid_list": ids}})
}

func (o *Org) children(id int64) []Dept {
	out := []Dept{}
	for _, d := range o.Depts {
		if d.ParentID == id && d.ID != id {
			out = append(out, d)
		}
	}
	return out
}

func (f *Fake) deptListSub(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	req, ok := parseDept(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !ok || ref.org.dept(req.DeptID) == nil {
		oapiErr(w, 60003, "部门不存在")
		return
	}
	var res []map[string]any
	for _, d := range ref.org.children(req.DeptID) {
		res = append(res, map[string]any{"dept_id": d.ID, "name": d.Name,
			"parent_id": d.ParentID, "create_dept_group": false, "auto_add_user": false})
	}
	if res == nil {
		res = []map[string]any{}
	}
	oapiOK(w, map[string]any{"result": res})
}

func (f *Fake) deptListSubID(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	req, ok := parseDept(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !ok || ref.org.dept(req.DeptID) == nil {
		oapiErr(w, 60003, "部门不存在")
		return
	}
	ids := []int64{}
	for _, d := range ref.org.children(req.DeptID) {
		ids = append(ids, d.ID)
	}
	oapiOK(w, map[string]any{"result": map[string]any{"dept_id_list": ids}})
}

func (f *Fake) deptGet(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	req, ok := parseDept(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	var d *Dept
	if ok {
		d = ref.org.dept(req.DeptID)
	}
	if d == nil {
		oapiErr(w, 60003, "部门不存在")
		return
	}
	oapiOK(w, map[string]any{"result": *d})
}

func (f *Fake) extList(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		Offset int `json:"offset"`
		Size   int `json:"size"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Size < 1 || req.Size > 100 {
		oapiErr(w, 40035, "参数错误: size (1..100)")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	all := ref.org.External
	start := min(max(req.Offset, 0), len(all))
	end := min(start+req.Size, len(all))
	oapiOK(w, map[string]any{"results": append([]ExternalContact{}, all[start:end]...)})
}

// PutUser adds or replaces a user of corpID, as an admin edit would, before a
// test pushes user_add_org or user_modify_org.
func (f *Fake) PutUser(corpID string, u User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orgs[corpID]
	if o == nil {
		return errors.New("dingfake: put user: unknown corp")
	}
	for i := range o.Users {
		if o.Users[i].UserID == u.UserID {
			o.Users[i] = u
			return nil
		}
	}
	o.Users = append(o.Users, u)
	return nil
}

// RemoveUser deletes a user of corpID, as leaving the org does: reads of the
// user then answer 60121.
func (f *Fake) RemoveUser(corpID, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o := f.orgs[corpID]; o != nil {
		o.Users = slices.DeleteFunc(o.Users, func(u User) bool { return u.UserID == userID })
	}
}

// PutDept adds or replaces a department of corpID.
func (f *Fake) PutDept(corpID string, d Dept) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orgs[corpID]
	if o == nil {
		return errors.New("dingfake: put dept: unknown corp")
	}
	if p := o.dept(d.ParentID); p == nil && d.ID != 1 {
		return errors.New("dingfake: put dept: unknown parent")
	}
	if old := o.dept(d.ID); old != nil {
		*old = d
		return nil
	}
	o.Depts = append(o.Depts, d)
	return nil
}

// RemoveDept deletes a department of corpID.
func (f *Fake) RemoveDept(corpID string, id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o := f.orgs[corpID]; o != nil {
		o.Depts = slices.DeleteFunc(o.Depts, func(d Dept) bool { return d.ID == id })
	}
}
