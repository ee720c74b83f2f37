package dingfake

import (
	"net/http"
	"time"
)

// Config sets up a Fake. Zero fields take the defaults named beside them.
type Config struct {
	// Now is the fake's clock for tokens, codes, days and robot windows;
	// nil means time.Now.
	Now func() time.Time
	// Orgs are the organizations the fake serves; see DefaultSeed.
	Orgs []Org
	// TokenTTL is an access token's lifetime; zero means 7200 s.
	TokenTTL time.Duration
	// AuthCodeTTL is a free-login code's lifetime; zero means 5 minutes.
	AuthCodeTTL time.Duration
	// NoticeLimit is notices per user per app per day; zero means 500.
	NoticeLimit int
	// RobotPerMinute is messages per robot per minute; zero means 20.
	RobotPerMinute int
	// RetryDelays are the pusher's waits before each retry; nil means
	// DingTalk's 10 s then 30 s.
	RetryDelays []time.Duration
	// ReplyTimeout bounds each push's answer; zero means 1.5 s.
	ReplyTimeout time.Duration
	// Envelope is the pusher's event shape; zero means EnvelopeLegacy.
	Envelope Envelope
	// FailedPage is how many failed-list entries one read of
	// /call_back/get_call_back_failed_result returns; zero means DingTalk's
	// 200.
	FailedPage int
	// HTTPClient carries pushes; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Org is one DingTalk organization.
type Org struct {
	CorpID       string
	Name         string
	Apps         []App
	Depts        []Dept
	Users        []User
	External     []ExternalContact
	Robots       []Robot
	ProcessCodes []string // approval templates that exist
}

// App is one internal app with its event-push credentials.
type App struct {
	AppKey        string
	AppSecret     string
	AgentID       int64
	CallbackToken string
	AESKey        string // 43-character EncodingAESKey
	OwnerKey      string // empty means AppKey
}

// Dept is one department; the root has ID 1 and ParentID 0.
type Dept struct {
	ID       int64    `json:"dept_id"`
	Name     string   `json:"name"`
	ParentID int64    `json:"parent_id"`
	Managers []string `json:"dept_manager_userid_list,omitempty"`
}

// User is one member, encoded as topapi/v2/user/get answers.
type User struct {
	UserID        string       `json:"userid"`
	UnionID       string       `json:"unionid"`
	Name          string       `json:"name"`
	Mobile        string       `json:"mobile,omitempty"`
	HideMobile    bool         `json:"hide_mobile"`
	Email         string       `json:"email,omitempty"`
	Title         string       `json:"title,omitempty"`
	JobNumber     string       `json:"job_number,omitempty"`
	DeptIDs       []int64      `json:"dept_id_list"`
	LeaderInDept  []DeptLeader `json:"leader_in_dept,omitempty"`
	ManagerUserID string       `json:"manager_userid,omitempty"`
	Active        bool         `json:"active"`
	Admin         bool         `json:"admin"`
	Boss          bool         `json:"boss"`
	Senior        bool         `json:"senior"`
	Roles         []Role       `json:"role_list,omitempty"`
}

// DeptLeader marks whether a user leads a department.
type DeptLeader struct {
	DeptID int64 `json:"dept_id"`
	Leader bool  `json:"leader"`
}

// Role is a directory role.
type Role struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	GroupName string `json:"group_name"`
}

// ExternalContact is an entry of the org's external address book.
type ExternalContact struct {
	UserID         string  `json:"userid"`
	Name           string  `json:"name"`
	Mobile         string  `json:"mobile,omitempty"`
	CompanyName    string  `json:"company_name,omitempty"`
	Title          string  `json:"title,omitempty"`
	FollowerUserID string  `json:"follower_user_id,omitempty"`
	LabelIDs       []int64 `json:"label_ids,omitempty"`
}

// Robot is a group custom robot with signing.
type Robot struct {
	Name   string
	Token  string
	Secret string
}

// Seed corp ids, so tests and localdev name the same organizations.
const (
	UniversityCorp = "dingunivdemo0000001"
	SupplierCorp   = "dingacmesoft000002"
)

// DefaultSeed returns the demo organizations: a university whose IT office runs
// projects, with an executive in senior mode whose mobile is hidden, department
// leaders, staff and external supplier contacts; and the supplier company.
func DefaultSeed() []Org {
	return []Org{universitySeed(), supplierSeed()}
}

func leads(ids ...int64) []DeptLeader {
	var l []DeptLeader
	for _, id := range ids {
		l = append(l, DeptLeader{DeptID: id, Leader: true})
	}
	return l
}

func universitySeed() Org {
	return Org{
		CorpID: UniversityCorp, Name: "东海示范大学",
		Apps: []App{{
			AppKey: "dinguniv-xietong", AppSecret: "univ-secret-0001", AgentID: 3100001,
			CallbackToken: "univtoken", AESKey: "dW5pdmVyc2l0eWFlc2tleWZvcmxvY2FsZGV2MDAwMDE",
		}},
		Depts: []Dept{
			{ID: 1, Name: "东海示范大学"},
			{ID: 2, Name: "校长办公室", ParentID: 1, Managers: []string{"u-president"}},
			{ID: 3, Name: "信息化办公室", ParentID: 1, Managers: []string{"u-it-director"}},
			{ID: 4, Name: "基础设施组", ParentID: 3, Managers: []string{"u-infra-lead"}},
			{ID: 5, Name: "应用开发组", ParentID: 3, Managers: []string{"u-apps-lead"}},
			{ID: 6, Name: "财务处", ParentID: 1, Managers: []string{"u-finance-head"}},
		},
		Users: []User{
			{UserID: "u-president", UnionID: "un-president", Name: "王校长",
				Mobile: "13800000001", HideMobile: true, Senior: true, Boss: true,
				Title: "校长", DeptIDs: []int64{2}, LeaderInDept: leads(2), Active: true},
			{UserID: "u-it-director", UnionID: "un-it-director", Name: "李主任",
				Mobile: "13800000002", Title: "信息化办公室主任", DeptIDs: []int64{3},
				LeaderInDept: leads(3), ManagerUserID: "u-president", Active: true,
				Admin: true},
			{UserID: "u-infra-lead", UnionID: "un-infra-lead", Name: "张组长",
				Mobile: "13800000003", Title: "基础设施组组长", DeptIDs: []int64{4},
				LeaderInDept: leads(4), ManagerUserID: "u-it-director", Active: true},
			{UserID: "u-apps-lead", UnionID: "un-apps-lead", Name: "赵组长",
				Mobile: "13800000004", Title: "应用开发组组长", DeptIDs: []int64{5},
				LeaderInDept: leads(5), ManagerUserID: "u-it-director", Active: true},
			{UserID: "u-dev-1", UnionID: "un-dev-1", Name: "陈工", Mobile: "13800000005",
				Title: "开发工程师", DeptIDs: []int64{5}, ManagerUserID: "u-apps-lead",
				Active: true},
			{UserID: "u-dev-2", UnionID: "un-dev-2", Name: "刘工", Mobile: "13800000006",
				Title: "运维工程师", DeptIDs: []int64{4, 5}, ManagerUserID: "u-infra-lead",
				Active: true},
			{UserID: "u-finance-head", UnionID: "un-finance-head", Name: "孙处长",
				Mobile: "13800000007", Title: "财务处处长", DeptIDs: []int64{6},
				LeaderInDept: leads(6), ManagerUserID: "u-president", Active: true},
			{UserID: "u-accountant", UnionID: "un-accountant", Name: "周会计",
				Mobile: "13800000008", Title: "会计", DeptIDs: []int64{6},
				ManagerUserID: "u-finance-head", Active: true},
		},
		External: []ExternalContact{
			{UserID: "ext-acme-pm", Name: "Amy Lin", Mobile: "13900000002",
				CompanyName: "Acme 软件有限公司", Title: "项目经理",
				FollowerUserID: "u-it-director", LabelIDs: []int64{101}},
			{UserID: "ext-acme-dev", Name: "Bo Wu", Mobile: "13900000003",
				CompanyName: "Acme 软件有限公司", Title: "实施工程师",
				FollowerUserID: "u-apps-lead", LabelIDs: []int64{101}},
		},
		Robots: []Robot{{Name: "it-office", Token: "robot-univ-it-office",
			Secret: "SECuniv0123456789abcdef"}},
		ProcessCodes: []string{"PROC-XT-PROJECT-INIT", "PROC-XT-CONTRACT"},
	}
}

func supplierSeed() Org {
	return Org{
		CorpID: SupplierCorp, Name: "Acme 软件有限公司",
		Apps: []App{{
			AppKey: "dingacme-xietong", AppSecret: "acme-secret-0002", AgentID: 3200002,
			CallbackToken: "acmetoken", AESKey: "YWNtZXNvZnR3YXJlYWVza2V5Zm9ybG9jYWxkZXYwMDA",
		}},
		Depts: []Dept{
			{ID: 1, Name: "Acme 软件有限公司", Managers: []string{"a-ceo"}},
			{ID: 2, Name: "交付部", ParentID: 1, Managers: []string{"a-pm"}},
		},
		Users: []User{
			{UserID: "a-ceo", UnionID: "un-acme-ceo", Name: "Carl Acme", Mobile: "13900000001",
				HideMobile: true, Senior: true, Boss: true, Title: "CEO", DeptIDs: []int64{1},
				LeaderInDept: leads(1), Active: true, Admin: true},
			{UserID: "a-pm", UnionID: "un-acme-pm", Name: "Amy Lin", Mobile: "13900000002",
				Title: "项目经理", DeptIDs: []int64{2}, LeaderInDept: leads(2),
				ManagerUserID: "a-ceo", Active: true},
			{UserID: "a-dev", UnionID: "un-acme-dev", Name: "Bo Wu", Mobile: "13900000003",
				Title: "实施工程师", DeptIDs: []int64{2}, ManagerUserID: "a-pm", Active: true},
		},
		Robots: []Robot{{Name: "delivery", Token: "robot-acme-delivery",
			Secret: "SECacme0123456789abcdef"}},
		ProcessCodes: []string{"PROC-XT-CONTRACT"},
	}
}
