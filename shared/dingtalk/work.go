package dingtalk

import (
	"context"
	"net/http"
	"net/url"
)

// Ding remind types.
const (
	DingInApp = 1
	DingSMS   = 2
	DingPhone = 3
)

// Ding is a DING message sent by a robot to users (paid edition).
type Ding struct {
	RobotCode  string   `json:"robotCode"`
	RemindType int      `json:"remindType"`
	UserIDs    []string `json:"receiverUserIdList"`
	Content    string   `json:"content"`
}

// DingResult names the DING and, per reason, the users it did not reach.
type DingResult struct {
	OpenDingID string              `json:"openDingId"`
	Failed     map[string][]string `json:"failedList,omitempty"`
}

// SendDing sends a DING. It is not retried after an ambiguous failure.
func (c *Client) SendDing(ctx context.Context, d Ding) (DingResult, error) {
	var res DingResult
	err := c.do(ctx, call{op: "ding send", style: apiStyle, method: http.MethodPost,
		path: "/v1.0/robot/ding/send", body: d}, &res)
	return res, err
}

// Todo is a todo task. Every id in it is a unionId, not a userid.
type Todo struct {
	Subject string `json:"subject"`
	// SourceID is the caller's idempotency id; with it set, the create is
	// retried after an ambiguous failure.
	SourceID       string     `json:"sourceId,omitempty"`
	CreatorID      string     `json:"creatorId,omitempty"`
	Description    string     `json:"description,omitempty"`
	DueTime        int64      `json:"dueTime,omitempty"` // ms since the epoch
	ExecutorIDs    []string   `json:"executorIds,omitempty"`
	ParticipantIDs []string   `json:"participantIds,omitempty"`
	DetailURL      *TodoLinks `json:"detailUrl,omitempty"`
	Priority       int        `json:"priority,omitempty"` // 10, 20, 30 or 40
}

// TodoLinks open the todo's subject in the app.
type TodoLinks struct {
	AppURL string `json:"appUrl"`
	PCURL  string `json:"pcUrl"`
}

// TodoTask is a created todo.
type TodoTask struct {
	ID          string   `json:"id"`
	Subject     string   `json:"subject"`
	Done        bool     `json:"done"`
	ExecutorIDs []string `json:"executorIds"`
	SourceID    string   `json:"sourceId"`
}

// CreateTodo creates t in ownerUnionID's list, acting as operatorUnionID.
func (c *Client) CreateTodo(ctx context.Context, ownerUnionID, operatorUnionID string,
	t Todo) (TodoTask, error) {
	var res TodoTask
	cl := call{op: "todo create", key: t.SourceID, style: apiStyle, method: http.MethodPost,
		path:  "/v1.0/todo/users/" + url.PathEscape(ownerUnionID) + "/tasks",
		query: url.Values{"operatorId": {operatorUnionID}}, body: t}
	if t.SourceID != "" {
		cl = cl.idempotent()
	}
	err := c.do(ctx, cl, &res)
	return res, err
}

// ApprovalRequest starts an OA approval instance of ProcessCode.
type ApprovalRequest struct {
	ProcessCode      string           `json:"processCode"`
	OriginatorUserID string           `json:"originatorUserId"`
	DeptID           int64            `json:"deptId,omitempty"`
	AgentID          int64            `json:"microappAgentId,omitempty"`
	Approvers        []ApproverStep   `json:"approvers,omitempty"`
	CCList           []string         `json:"ccList,omitempty"`
	Form             []ApprovalFormKV `json:"formComponentValues"`
}

// ApproverStep is one approval node: ActionType AND, OR or NONE.
type ApproverStep struct {
	ActionType string   `json:"actionType"`
	UserIDs    []string `json:"userIds"`
}

// ApprovalFormKV is one form field by label. Value is a string; structured
// values are JSON encoded into it.
type ApprovalFormKV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CreateApproval starts an instance and returns its id. It is not retried after
// an ambiguous failure, since DingTalk would start a second instance.
func (c *Client) CreateApproval(ctx context.Context, r ApprovalRequest) (string, error) {
	if r.AgentID == 0 {
		r.AgentID = c.app.AgentID
	}
	var res struct {
		InstanceID string `json:"instanceId"`
	}
	err := c.do(ctx, call{op: "approval create", key: r.ProcessCode, style: apiStyle,
		method: http.MethodPost, path: "/v1.0/workflow/processInstances", body: r}, &res)
	return res.InstanceID, err
}

// Approval states and results.
const (
	ApprovalRunning    = "RUNNING"
	ApprovalCompleted  = "COMPLETED"
	ApprovalTerminated = "TERMINATED"
	ApprovalAgree      = "agree"
	ApprovalRefuse     = "refuse"
)

// ApprovalInstance is an instance as DingTalk reports it.
type ApprovalInstance struct {
	Title            string           `json:"title"`
	Status           string           `json:"status"`
	Result           string           `json:"result"`
	BusinessID       string           `json:"businessId"`
	OriginatorUserID string           `json:"originatorUserId"`
	OriginatorDeptID string           `json:"originatorDeptId"`
	ApproverUserIDs  []string         `json:"approverUserIds"`
	CCUserIDs        []string         `json:"ccUserIds"`
	Tasks            []ApprovalTask   `json:"tasks"`
	Form             []ApprovalFormKV `json:"formComponentValues"`
	CreateTime       string           `json:"createTime"`
	FinishTime       string           `json:"finishTime"`
}

// ApprovalTask is one approver's task in an instance.
type ApprovalTask struct {
	TaskID int64  `json:"taskId"`
	UserID string `json:"userId"`
	Status string `json:"status"`
	Result string `json:"result"`
}

// Outcome condenses an instance to "approved", "rejected", "terminated" or
// "running".
func (a ApprovalInstance) Outcome() string {
	switch {
	case a.Status == ApprovalTerminated:
		return "terminated"
	case a.Status == ApprovalCompleted && a.Result == ApprovalAgree:
		return "approved"
	case a.Status == ApprovalCompleted:
		return "rejected"
	}
	return "running"
}

// Approval reads one instance.
func (c *Client) Approval(ctx context.Context, instanceID string) (ApprovalInstance, error) {
	var res struct {
		Result ApprovalInstance `json:"result"`
	}
	err := c.do(ctx, call{op: "approval get", key: instanceID, style: apiStyle,
		method: http.MethodGet, path: "/v1.0/workflow/processInstances",
		query: url.Values{"processInstanceId": {instanceID}}}.idempotent(), &res)
	return res.Result, err
}
