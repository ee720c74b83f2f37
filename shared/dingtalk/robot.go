package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// RobotMessage is a group robot message. Set MsgType and the matching field.
type RobotMessage struct {
	MsgType    string           `json:"msgtype"` // text, markdown or actionCard
	Text       *Text            `json:"text,omitempty"`
	Markdown   *Markdown        `json:"markdown,omitempty"`
	ActionCard *RobotActionCard `json:"actionCard,omitempty"`
	At         *RobotAt         `json:"at,omitempty"`
	// MsgUUID is an idempotency key; DingTalk ignores a repeat.
	MsgUUID string `json:"msgUuid,omitempty"`
}

// RobotActionCard is the robot flavour of an action card (camelCase fields).
type RobotActionCard struct {
	Title          string        `json:"title"`
	Text           string        `json:"text"`
	SingleTitle    string        `json:"singleTitle,omitempty"`
	SingleURL      string        `json:"singleURL,omitempty"`
	BtnOrientation string        `json:"btnOrientation,omitempty"`
	Buttons        []RobotButton `json:"btns,omitempty"`
}

// RobotButton is one robot action-card button.
type RobotButton struct {
	Title     string `json:"title"`
	ActionURL string `json:"actionURL"`
}

// RobotAt names who a robot message mentions.
type RobotAt struct {
	UserIDs []string `json:"atUserIds,omitempty"`
	Mobiles []string `json:"atMobiles,omitempty"`
	All     bool     `json:"isAtAll,omitempty"`
}

// RobotText returns a text robot message.
func RobotText(content string) RobotMessage {
	return RobotMessage{MsgType: "text", Text: &Text{Content: content}}
}

// RobotSign returns the signature of a robot webhook call: base64 of
// HMAC-SHA256 keyed by secret over timestamp+"\n"+secret. Callers put it in the
// query, which URL-encodes it.
func RobotSign(secret string, timestampMillis int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestampMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SendRobot posts msg through a group robot, signed, after the Budget's
// per-robot limit (20 a minute): it waits for a free slot when ctx allows, and
// otherwise returns an error of kind ErrThrottled without calling DingTalk.
func (c *Client) SendRobot(ctx context.Context, r Robot, msg RobotMessage) error {
	key := "robot:" + ContentHash([]byte(r.Token))
	for {
		wait, err := c.budget.AdmitRobot(ctx, key, c.now())
		if err != nil {
			return fmt.Errorf("dingtalk: robot send: budget: %w", err)
		}
		if wait == 0 {
			break
		}
		if dl, ok := ctx.Deadline(); ok && c.now().Add(wait).After(dl) {
			return fmt.Errorf("dingtalk: robot send: %w: %d a minute, next slot in %s",
				ErrThrottled, RobotPerMinute, wait.Round(time.Millisecond))
		}
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("dingtalk: robot send: %w", err)
		}
	}
	ts := c.now().UnixMilli()
	q := url.Values{"access_token": {r.Token}, "timestamp": {strconv.FormatInt(ts, 10)},
		"sign": {RobotSign(r.Secret, ts)}}
	cl := call{op: "robot send", style: oapiStyle, method: http.MethodPost, path: "/robot/send",
		query: q, body: msg, noToken: true}
	if msg.MsgUUID != "" {
		cl = cl.idempotent()
	}
	return c.do(ctx, cl, nil)
}
