// Package outbox is xietong's road to DingTalk: every function enqueues the
// notifications it means to send as durable rows of the Outbox table, and the
// notify function drains them within DingTalk's limits.
//
// Enqueue writes one row per DedupeKey (a repeat is a no-op), under the
// tenant's key, with msg_id "n/m/<hash of the DedupeKey>". A Drainer pages the
// due rows of each tenant, claims each with a conditional state change
// (pending → sending, with a lease), sends it through the dingtalk client and
// records the outcome on the row: sent (with DingTalk's task id), digested,
// dropped (with the reason) or failed (with the attempt count and the next
// attempt, backing off). Delivery is at least once; the content-hash markers
// of TableBudget make a resend after a crash a recorded repeat rather than a
// second message.
//
// Per-user limits and digests are described on TableBudget and Drainer.
//
// Besides notices, robots and DINGs, rows reach group chats (KindChat) and
// keep things in DingTalk in step with xietong's state: a project's group
// chat (KindChatSync) and a milestone review's calendar event
// (KindCalendar). Those rows carry only a key; when one runs, the drainer
// asks its ChatSource or EventSource what the chat or event should be, and
// serializes the changes of one key under a lock on its registry row
// ("c/..." or "e/..." in the Outbox table, which keeps the DingTalk id), so
// that rows in any order, repeated or retried, converge on the current
// state and create a chat or event once. Calls DingTalk cannot deduplicate
// (chat messages, DINGs) are marked sent before the call (sendOnce).
package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// ErrInvalid means a message breaks a rule of Enqueue, or a drain request is
// malformed; retrying will not help.
var ErrInvalid = errors.New("invalid")

// Kind is how a message reaches DingTalk.
type Kind string

// Message kinds.
const (
	// KindText is a plain-text work notice.
	KindText Kind = "text"
	// KindMarkdown is a markdown work notice.
	KindMarkdown Kind = "markdown"
	// KindActionCard is a work notice card whose whole body opens Link.
	KindActionCard Kind = "action_card"
	// KindDing is an in-app DING to Users (for escalations).
	KindDing Kind = "ding"
	// KindRobot is a markdown message to a group robot, mentioning Users.
	KindRobot Kind = "robot"
	// KindChat is a message from the app to the group chat Chat (or the chat
	// created for ChatKey): an action card when Link is set, else markdown.
	// Users must be empty: the chat's members read it.
	KindChat Kind = "chat"
	// KindChatSync keeps the group chat of ChatKey in step with what the
	// drainer's ChatSource wants it to be: the first creates the chat, later
	// ones add and remove members. Every sync reads the wanted state when it
	// runs, so their order does not matter and a repeat changes nothing. A
	// sync with a Body posts it to the chat (like KindChat) once the change
	// is made, so that "X joined" reaches X.
	KindChatSync Kind = "chat_sync"
	// KindCalendar keeps the DingTalk calendar event of EventKey in step with
	// what the drainer's EventSource wants: the first creates the event in
	// its organizer's calendar, later ones update the same event.
	KindCalendar Kind = "calendar"

	kindDigest Kind = "digest" // a user's day of over-budget notices
)

// Limits of a message, checked by Enqueue (besides DingTalk's own: 100
// notice recipients and 2,048 bytes of encoded notice).
const (
	MaxTitle     = 128 // bytes
	MaxDedupeKey = 512 // bytes
	MaxDingUsers = 199 // in-app DINGs reach fewer than 200 users
)

// Message is one notification to enqueue.
type Message struct {
	// Corp is the DingTalk organization whose app sends it.
	Corp string
	// Users are the recipients' userids in Corp: 1 to 100 for notices, 1 to
	// 199 for DINGs; for robots, the users to mention (may be empty).
	Users []string
	Kind  Kind
	// Title heads the notice (markdown title, card title, DING first line).
	Title string
	// Body is the text or markdown content.
	Body string
	// Link is the micro-app page the notice opens; optional for text and
	// markdown (appended), required for action cards.
	Link string
	// Robot names the app's group robot (dingtalk.App.Robots) for KindRobot;
	// empty means the app's only robot.
	Robot string
	// Chat is the DingTalk group chat id (chatid) a KindChat message goes to.
	Chat string
	// ChatKey names a chat kept by KindChatSync rows ("project/<corp>/<id>");
	// a KindChat message may name its chat so instead of by Chat, and waits
	// until the chat exists.
	ChatKey string
	// EventKey names the calendar event a KindCalendar row keeps
	// ("milestone/<corp>/<project>/<id>").
	EventKey string
	// DedupeKey identifies the notification: a second Enqueue with the same
	// key in the same Corp writes nothing, so callers derive it from the
	// event ("task-assigned/T-42/v7"), never from time.
	DedupeKey string
}

// Columns of a notification row.
const (
	colKind    = "kind"
	colType    = "type"
	colUsers   = "users"
	colTitle   = "title"
	colBody    = "body"
	colLink    = "link"
	colRobot   = "robot"
	colChat    = "chat"
	colChatKey = "chat_key"
	colEventKy = "event_key"
	colDedupe  = "dedupe_key"
	colState   = "state"
	colAttempt = "attempts"
	colDue     = "due_ms" // absent once the row is final
	colOwner   = "owner"
	colCreated = "created_ms"
	colDone    = "done_ms"
	colResults = "results" // JSON userid → outcome
	colTaskID  = "task_id"
	colReason  = "reason"
	colDay     = "day"   // digest rows: the day they collect
	colItems   = "items" // digest rows: JSON []digestItem
	colMore    = "more"  // digest rows: items counted but not listed

	rowKind = "notify" // the kind column of notification rows
)

// States of a notification row (its state column). Pending, sending and
// failed rows are open and carry due_ms; the others are final.
const (
	StatePending  = "pending"  // waiting for its first attempt
	StateSending  = "sending"  // claimed by a drainer until due_ms
	StateFailed   = "failed"   // an attempt failed; retried at due_ms
	StateSent     = "sent"     // delivered to DingTalk (every recipient resolved)
	StateDigested = "digested" // every recipient was over budget: in digests
	StateDropped  = "dropped"  // not sent, for the reason recorded
)

// msgPrefix and rangeEnd bound the notification rows of a tenant;
// '0' sorts right after '/'.
const (
	msgPrefix    = "n/"
	regularPfx   = "n/m/"
	digestPrefix = "n/d/"
	rangeEnd     = "n0"
)

// MsgID returns the msg_id Enqueue gives the message with dedupeKey.
func MsgID(dedupeKey string) string {
	sum := sha256.Sum256([]byte(dedupeKey))
	return regularPfx + hex.EncodeToString(sum[:16])
}

// Enqueue validates m and writes it as a pending row of the Outbox table,
// returning its msg_id. A row with the same DedupeKey already there (from an
// earlier call or an SDK retry) is success, and is left as it is. An invalid
// message is ErrInvalid and writes nothing.
func Enqueue(ctx context.Context, store *tables.Store, m Message) (string, error) {
	if err := m.validate(); err != nil {
		return "", fmt.Errorf("outbox: enqueue %q: %w: %w", m.DedupeKey, ErrInvalid, err)
	}
	id := MsgID(m.DedupeKey)
	users, _ := json.Marshal(m.Users)
	_, err := store.Create(ctx, tables.Outbox.Name, tables.Key{tables.TenantKey(m.Corp), id},
		tables.Cols{colKind: rowKind, colType: string(m.Kind), colUsers: string(users),
			colTitle: m.Title, colBody: m.Body, colLink: m.Link, colRobot: m.Robot, colChat: m.Chat,
			colChatKey: m.ChatKey,
			colEventKy: m.EventKey,
			colDedupe:  m.DedupeKey, colState: StatePending, colAttempt: int64(0),
			colDue: int64(0), colCreated: time.Now().UnixMilli()})
	if err != nil && !errors.Is(err, tables.ErrExists) {
		return "", fmt.Errorf("outbox: enqueue %q: %w", m.DedupeKey, err)
	}
	return id, nil
}

func (m Message) validate() error {
	switch {
	case m.Corp == "":
		return errors.New("corp is required")
	case m.DedupeKey == "" || len(m.DedupeKey) > MaxDedupeKey:
		return fmt.Errorf("dedupe key must be 1 to %d bytes", MaxDedupeKey)
	case len(m.Title) > MaxTitle:
		return fmt.Errorf("title exceeds %d bytes", MaxTitle)
	}
	if err := m.checkUsers(); err != nil {
		return err
	}
	switch m.Kind {
	case KindText, KindMarkdown, KindActionCard:
		if m.Kind == KindActionCard && m.Link == "" {
			return errors.New("an action card needs a link")
		}
		enc, _ := json.Marshal(m.notice())
		if len(enc) > dingtalk.MaxNoticeBytes {
			return fmt.Errorf("notice of %d bytes exceeds %d", len(enc),
				dingtalk.MaxNoticeBytes)
		}
	case KindDing:
		if m.Title == "" && m.Body == "" {
			return errors.New("a DING needs a title or body")
		}
	case KindRobot:
		if m.Body == "" {
			return errors.New("a robot message needs a body")
		}
	case KindChat:
		return m.checkChat()
	case KindChatSync:
		if m.ChatKey == "" || m.Chat != "" {
			return errors.New("a chat sync needs a chat key and no chat id")
		}
		if m.Body != "" {
			return m.checkChat()
		}
	case KindCalendar:
		if m.EventKey == "" {
			return errors.New("a calendar row needs an event key")
		}
	default:
		return fmt.Errorf("unknown kind %q", m.Kind)
	}
	return nil
}

func (m Message) checkUsers() error {
	limit := dingtalk.MaxNoticeUsers
	switch m.Kind {
	case KindDing:
		limit = MaxDingUsers
	case KindRobot:
		limit = 1000
	case KindChat, KindChatSync, KindCalendar:
		if len(m.Users) > 0 {
			return errors.New("a chat message takes no users: the chat's members read it")
		}
		return nil
	}
	if len(m.Users) > limit || (len(m.Users) == 0 && m.Kind != KindRobot) {
		return fmt.Errorf("%d users, want 1 to %d", len(m.Users), limit)
	}
	seen := map[string]bool{}
	for _, u := range m.Users {
		if u == "" || seen[u] {
			return fmt.Errorf("user %q: empty or repeated", u)
		}
		seen[u] = true
	}
	return nil
}

// notice renders a notice kind as a DingTalk work-notice body.
func (m Message) notice() dingtalk.Message {
	switch m.Kind {
	case KindMarkdown, kindDigest:
		text := m.Body
		if m.Link != "" {
			text += "\n\n[打开](" + m.Link + ")"
		}
		return dingtalk.MarkdownMessage(m.Title, text)
	case KindActionCard:
		return dingtalk.ActionCardMessage(dingtalk.ActionCard{Title: m.Title,
			Markdown: m.Body, SingleTitle: "查看详情", SingleURL: m.Link})
	}
	text := m.Body
	if m.Title != "" {
		text = m.Title + "\n" + text
	}
	if m.Link != "" {
		text += "\n" + m.Link
	}
	return dingtalk.TextMessage(text)
}

// robotMessage renders a robot message; its msgUuid is the row's id, so
// DingTalk ignores a resend of the same row.
func (m Message) robotMessage(id string) dingtalk.RobotMessage {
	text := m.Body
	if m.Link != "" {
		text += "\n\n[打开](" + m.Link + ")"
	}
	title := m.Title
	if title == "" {
		title = "通知"
	}
	rm := dingtalk.RobotMessage{MsgType: "markdown",
		Markdown: &dingtalk.Markdown{Title: title, Text: text}, MsgUUID: id}
	if len(m.Users) > 0 {
		rm.At = &dingtalk.RobotAt{UserIDs: m.Users}
	}
	return rm
}

// ding renders a DING sent as robotCode (for an internal app, its AppKey).
func (m Message) ding(robotCode string) dingtalk.Ding {
	content := m.Title
	if m.Body != "" {
		content = joinNonEmpty(m.Title, m.Body)
	}
	if m.Link != "" {
		content += "\n" + m.Link
	}
	return dingtalk.Ding{RobotCode: robotCode, RemindType: dingtalk.DingInApp,
		UserIDs: m.Users, Content: content}
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// messageOf decodes a notification row.
func messageOf(corp string, r *tables.Row) (Message, error) {
	m := Message{Corp: corp, Kind: Kind(r.String(colType)), Title: r.String(colTitle),
		Body: r.String(colBody), Link: r.String(colLink), Robot: r.String(colRobot),
		Chat: r.String(colChat), ChatKey: r.String(colChatKey),
		EventKey: r.String(colEventKy), DedupeKey: r.String(colDedupe)}
	if err := json.Unmarshal([]byte(r.String(colUsers)), &m.Users); err != nil {
		return m, fmt.Errorf("users: %w", err)
	}
	return m, nil
}
