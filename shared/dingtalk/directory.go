package dingtalk

import (
	"context"
	"net/http"
	"strconv"
)

// Identity is who a free-login auth code belongs to. UserID is authoritative;
// never trust one sent by the browser.
type Identity struct {
	UserID   string `json:"userid"`
	UnionID  string `json:"unionid"`
	Name     string `json:"name"`
	DeviceID string `json:"device_id"`
	Sys      bool   `json:"sys"`
	// SysLevel is 1 for the main admin, 2 a sub-admin, 100 the boss, 0 others.
	SysLevel int `json:"sys_level"`
}

// UserByAuthCode exchanges a micro-app free-login code for the user's identity.
// A code works once and for five minutes; a used or unknown one gives an *Error
// of kind ErrInvalid with Errcode 40078.
func (c *Client) UserByAuthCode(ctx context.Context, code string) (Identity, error) {
	var resp struct {
		Result Identity `json:"result"`
	}
	err := c.do(ctx, call{op: "auth code", style: oapiStyle, method: http.MethodPost,
		path: "/topapi/v2/user/getuserinfo", body: map[string]string{"code": code}}, &resp)
	return resp.Result, err
}

// User is a member of the organization as topapi/v2/user/get returns it. Mobile
// is present only with the contact-field permission; HideMobile and Senior are
// the org's own protection flags, which callers must honour.
type User struct {
	UserID        string       `json:"userid"`
	UnionID       string       `json:"unionid"`
	Name          string       `json:"name"`
	Avatar        string       `json:"avatar,omitempty"`
	Mobile        string       `json:"mobile,omitempty"`
	HideMobile    bool         `json:"hide_mobile"`
	Email         string       `json:"email,omitempty"`
	JobNumber     string       `json:"job_number,omitempty"`
	Title         string       `json:"title,omitempty"`
	DeptIDs       []int64      `json:"dept_id_list"`
	LeaderInDept  []DeptLeader `json:"leader_in_dept,omitempty"`
	ManagerUserID string       `json:"manager_userid,omitempty"`
	HiredDate     int64        `json:"hired_date,omitempty"`
	Active        bool         `json:"active"`
	Admin         bool         `json:"admin"`
	Boss          bool         `json:"boss"`
	Senior        bool         `json:"senior"`
	Roles         []Role       `json:"role_list,omitempty"`
	Extension     string       `json:"extension,omitempty"`
}

// DeptLeader says whether a user leads one of their departments.
type DeptLeader struct {
	DeptID int64 `json:"dept_id"`
	Leader bool  `json:"leader"`
}

// Role is one of a user's roles.
type Role struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	GroupName string `json:"group_name"`
}

// User reads one user's details. An unknown userid is ErrNotFound.
func (c *Client) User(ctx context.Context, userID string) (User, error) {
	var resp struct {
		Result User `json:"result"`
	}
	err := c.do(ctx, call{op: "user get", key: userID, style: oapiStyle,
		method: http.MethodPost, path: "/topapi/v2/user/get",
		body: map[string]string{"userid": userID, "language": "zh_CN"}}.idempotent(), &resp)
	return resp.Result, err
}

// Department is one node of the department tree. The root is 1.
type Department struct {
	ID       int64  `json:"dept_id"`
	Name     string `json:"name"`
	ParentID int64  `json:"parent_id"`
	// ManagerUserIDs is filled by Department (topapi/v2/department/get) only.
	ManagerUserIDs []string `json:"dept_manager_userid_list,omitempty"`
}

// SubDepartments lists the direct children of deptID.
func (c *Client) SubDepartments(ctx context.Context, deptID int64) ([]Department, error) {
	var resp struct {
		Result []Department `json:"result"`
	}
	err := c.do(ctx, call{op: "dept listsub", key: strconv.FormatInt(deptID, 10),
		style: oapiStyle, method: http.MethodPost, path: "/topapi/v2/department/listsub",
		body: map[string]any{"dept_id": deptID}}.idempotent(), &resp)
	return resp.Result, err
}

// Department reads one department.
func (c *Client) Department(ctx context.Context, deptID int64) (Department, error) {
	var resp struct {
		Result Department `json:"result"`
	}
	err := c.do(ctx, call{op: "dept get", key: strconv.FormatInt(deptID, 10),
		style: oapiStyle, method: http.MethodPost, path: "/topapi/v2/department/get",
		body: map[string]any{"dept_id": deptID}}.idempotent(), &resp)
	return resp.Result, err
}

// UserPage is one page of a department's direct members.
type UserPage struct {
	Users      []User `json:"list"`
	HasMore    bool   `json:"has_more"`
	NextCursor int64  `json:"next_cursor"`
}

// MaxPageSize is the largest page UsersPage asks for.
const MaxPageSize = 100

// UsersPage reads one page of deptID's direct members, starting at cursor 0.
// size is clamped to 1..MaxPageSize.
func (c *Client) UsersPage(ctx context.Context, deptID, cursor int64,
	size int) (UserPage, error) {
	size = min(max(size, 1), MaxPageSize)
	var resp struct {
		Result UserPage `json:"result"`
	}
	err := c.do(ctx, call{op: "user list", key: strconv.FormatInt(deptID, 10),
		style: oapiStyle, method: http.MethodPost, path: "/topapi/v2/user/list",
		body: map[string]any{"dept_id": deptID, "cursor": cursor, "size": size,
			"contain_access_limit": true}}.idempotent(), &resp)
	return resp.Result, err
}

// DepartmentUsers pages through all of deptID's direct members.
func (c *Client) DepartmentUsers(ctx context.Context, deptID int64) ([]User, error) {
	var all []User
	var cursor int64
	for {
		p, err := c.UsersPage(ctx, deptID, cursor, MaxPageSize)
		if err != nil {
			return all, err
		}
		all = append(all, p.Users...)
		if !p.HasMore || p.NextCursor == cursor {
			return all, nil
		}
		cursor = p.NextCursor
	}
}

// ExternalContact is a contact outside the organization (a supplier, customer
// or partner) kept in the org's external address book.
type ExternalContact struct {
	UserID         string  `json:"userid"`
	Name           string  `json:"name"`
	Mobile         string  `json:"mobile,omitempty"`
	CompanyName    string  `json:"company_name,omitempty"`
	Title          string  `json:"title,omitempty"`
	FollowerUserID string  `json:"follower_user_id,omitempty"`
	LabelIDs       []int64 `json:"label_ids,omitempty"`
	Email          string  `json:"email,omitempty"`
}

// ExternalContacts reads one page of external contacts from offset, size at
// most 100.
func (c *Client) ExternalContacts(ctx context.Context, offset,
	size int) ([]ExternalContact, error) {
	size = min(max(size, 1), MaxPageSize)
	var resp struct {
		Results []ExternalContact `json:"results"`
	}
	err := c.do(ctx, call{op: "extcontact list", style: oapiStyle, method: http.MethodPost,
		path: "/topapi/extcontact/list",
		body: map[string]int{"offset": offset, "size": size}}.idempotent(), &resp)
	return resp.Results, err
}
