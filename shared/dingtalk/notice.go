package dingtalk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Work-notice limits of asyncsend_v2.
const (
	MaxNoticeUsers = 100  // userid_list entries per call
	MaxNoticeBytes = 2048 // encoded msg
)

// Message is a work-notice body with exactly one of its kinds set; build it with
// TextMessage, MarkdownMessage, ActionCardMessage or OAMessage.
type Message struct {
	MsgType    string      `json:"msgtype"`
	Text       *Text       `json:"text,omitempty"`
	Markdown   *Markdown   `json:"markdown,omitempty"`
	ActionCard *ActionCard `json:"action_card,omitempty"`
	OA         *OA         `json:"oa,omitempty"`
}

// Text is a plain-text body.
type Text struct {
	Content string `json:"content"`
}

// Markdown is a markdown body; Title shows in the conversation list.
type Markdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// ActionCard is a card with either one whole-card link (SingleTitle and
// SingleURL) or several buttons.
type ActionCard struct {
	Title          string   `json:"title"`
	Markdown       string   `json:"markdown"`
	SingleTitle    string   `json:"single_title,omitempty"`
	SingleURL      string   `json:"single_url,omitempty"`
	BtnOrientation string   `json:"btn_orientation,omitempty"` // "0" across, "1" down
	Buttons        []Button `json:"btn_json_list,omitempty"`
}

// Button is one action-card button.
type Button struct {
	Title     string `json:"title"`
	ActionURL string `json:"action_url"`
}

// OA is the form-like OA message.
type OA struct {
	MessageURL   string `json:"message_url"`
	PCMessageURL string `json:"pc_message_url,omitempty"`
	Head         OAHead `json:"head"`
	Body         OABody `json:"body"`
}

// OAHead is an OA message's coloured header; BgColor is ARGB hex, "FFBBBBBB".
type OAHead struct {
	BgColor string `json:"bgcolor"`
	Text    string `json:"text"`
}

// OABody is an OA message's body.
type OABody struct {
	Title     string        `json:"title,omitempty"`
	Form      []OAFormField `json:"form,omitempty"`
	Content   string        `json:"content,omitempty"`
	Image     string        `json:"image,omitempty"`
	FileCount string        `json:"file_count,omitempty"`
	Author    string        `json:"author,omitempty"`
}

// OAFormField is one key: value line of an OA body.
type OAFormField struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TextMessage returns a text notice.
func TextMessage(content string) Message {
	return Message{MsgType: "text", Text: &Text{Content: content}}
}

// MarkdownMessage returns a markdown notice.
func MarkdownMessage(title, text string) Message {
	return Message{MsgType: "markdown", Markdown: &Markdown{Title: title, Text: text}}
}

// ActionCardMessage returns an action-card notice.
func ActionCardMessage(card ActionCard) Message {
	return Message{MsgType: "action_card", ActionCard: &card}
}

// OAMessage returns an OA notice.
func OAMessage(oa OA) Message { return Message{MsgType: "oa", OA: &oa} }

// Notice is one work notice to a list of users.
//
// TODO(#5): dept_id_list and to_all_user are not offered, since the Budget
// cannot count their recipients; and getsendresult is not read back.
type Notice struct {
	UserIDs []string
	Msg     Message
}

// NoticeResult says what happened to each recipient: Sent went to DingTalk
// under TaskID; Dropped were held back by the Budget, with the reason.
type NoticeResult struct {
	TaskID  int64
	Sent    []string
	Dropped map[string]Verdict
}

// SendNotice sends a work notice as the app. Each recipient first passes the
// Budget: repeats of today's content and users over their daily budget are
// dropped here, where the caller can see it, instead of silently by DingTalk.
// With every recipient dropped, nothing is sent and the error is nil. On a
// failed send the admitted recipients are refunded.
func (c *Client) SendNotice(ctx context.Context, n Notice) (NoticeResult, error) {
	msg, err := checkNotice(n)
	if err != nil {
		return NoticeResult{}, err
	}
	res, err := c.admit(ctx, n.UserIDs, msg)
	if err != nil || len(res.Sent) == 0 {
		return res, err
	}
	var resp struct {
		TaskID int64 `json:"task_id"`
	}
	err = c.do(ctx, call{op: "notice send", style: oapiStyle, method: http.MethodPost,
		path: "/topapi/message/corpconversation/asyncsend_v2",
		body: map[string]any{
			"agent_id": c.app.AgentID, "userid_list": strings.Join(res.Sent, ","),
			"msg": json.RawMessage(msg),
		}}.idempotent(), &resp)
	if err != nil {
		c.refund(ctx, res.Sent, msg)
		return NoticeResult{Dropped: res.Dropped}, err
	}
	res.TaskID = resp.TaskID
	return res, nil
}

func checkNotice(n Notice) ([]byte, error) {
	if len(n.UserIDs) == 0 || len(n.UserIDs) > MaxNoticeUsers {
		return nil, fmt.Errorf("dingtalk: notice: %w: %d recipients, want 1 to %d",
			ErrInvalid, len(n.UserIDs), MaxNoticeUsers)
	}
	msg, err := json.Marshal(n.Msg)
	if err != nil {
		return nil, fmt.Errorf("dingtalk: notice: encode: %w", err)
	}
	if len(msg) > MaxNoticeBytes {
		return nil, fmt.Errorf("dingtalk: notice: %w: msg of %d bytes exceeds %d",
			ErrInvalid, len(msg), MaxNoticeBytes)
	}
	return msg, nil
}

func (c *Client) noticeKey(user string, msg []byte) NoticeKey {
	return NoticeKey{AppKey: c.app.AppKey, UserID: user, Day: Day(c.now()),
		Hash: ContentHash(msg)}
}

func (c *Client) admit(ctx context.Context, users []string, msg []byte) (NoticeResult, error) {
	res := NoticeResult{Dropped: map[string]Verdict{}}
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u] {
			continue
		}
		seen[u] = true
		v, err := c.budget.AdmitNotice(ctx, c.noticeKey(u, msg))
		if err != nil {
			c.refund(ctx, res.Sent, msg)
			return NoticeResult{}, fmt.Errorf("dingtalk: notice %q: budget: %w", u, err)
		}
		if v == Admit {
			res.Sent = append(res.Sent, u)
		} else {
			res.Dropped[u] = v
		}
	}
	return res, nil
}

func (c *Client) refund(ctx context.Context, users []string, msg []byte) {
	for _, u := range users {
		// A refund that fails leaves the user counted: a retry is then dropped
		// as a repeat, which is the safe side of the silent-drop rule.
		_ = c.budget.RefundNotice(context.WithoutCancel(ctx), c.noticeKey(u, msg))
	}
}
