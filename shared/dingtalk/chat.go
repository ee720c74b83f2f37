package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Group-chat limits of the old chat API (oapi /chat/*) as the client applies
// them before calling.
const (
	// MaxChatMembers bounds the useridlist of a chat the app creates.
	MaxChatMembers = 1000
	// MaxChatName bounds a chat's name, in bytes.
	MaxChatName = 128
	// MaxChatMsgBytes bounds an encoded chat message, like a work notice.
	MaxChatMsgBytes = 2048
	// ChatPerMinute is how many messages the app sends one chat a minute;
	// DingTalk refuses more.
	ChatPerMinute = 20
)

// Old-API errcodes of the chat calls that the generic mapping does not know.
//
// TODO(#6): taken from the fake (localdev/dingfake), not yet checked against
// DingTalk's answers; an unknown errcode stays ErrAPI and is retried.
const (
	errcodeChatNotFound = 34009 // the chat does not exist or the app did not create it
	errcodeChatTooFast  = 34014 // more than ChatPerMinute messages to one chat
)

// Chat is a group chat for the app to create. Owner must be one of UserIDs.
type Chat struct {
	Name    string
	Owner   string
	UserIDs []string
}

// ChatChange changes an existing chat: members added and removed, and
// optionally its name and owner.
type ChatChange struct {
	ChatID string
	Name   string // empty keeps the name
	Owner  string // empty keeps the owner
	Add    []string
	Del    []string
}

// CreateChat creates a group chat owned by the app and returns its chatid.
// It is not retried after an ambiguous failure: DingTalk has no idempotency
// key for it and would create a second chat.
func (c *Client) CreateChat(ctx context.Context, ch Chat) (string, error) {
	if err := checkChat(ch); err != nil {
		return "", err
	}
	var res struct {
		ChatID string `json:"chatid"`
	}
	err := c.do(ctx, call{op: "chat create", key: ch.Name, style: oapiStyle,
		method: http.MethodPost, path: "/chat/create",
		body: map[string]any{"name": ch.Name, "owner": ch.Owner,
			"useridlist": ch.UserIDs}}, &res)
	if err != nil {
		return "", chatKind(err)
	}
	if res.ChatID == "" {
		return "", &Error{Op: "chat create", Key: ch.Name, Status: http.StatusOK,
			Message: "answer has no chatid", Kind: ErrAPI}
	}
	return res.ChatID, nil
}

func checkChat(ch Chat) error {
	switch {
	case ch.Name == "" || len(ch.Name) > MaxChatName:
		return fmt.Errorf("dingtalk: chat create: %w: name must be 1 to %d bytes",
			ErrInvalid, MaxChatName)
	case len(ch.UserIDs) == 0 || len(ch.UserIDs) > MaxChatMembers:
		return fmt.Errorf("dingtalk: chat create %q: %w: %d members, want 1 to %d",
			ch.Name, ErrInvalid, len(ch.UserIDs), MaxChatMembers)
	}
	for _, u := range ch.UserIDs {
		if u == ch.Owner {
			return nil
		}
	}
	return fmt.Errorf("dingtalk: chat create %q: %w: owner %q is not a member", ch.Name,
		ErrInvalid, ch.Owner)
}

// UpdateChat applies ch. Adding a member already in the chat or removing
// one who is not is no change, so the call is safe to retry.
func (c *Client) UpdateChat(ctx context.Context, ch ChatChange) error {
	if ch.ChatID == "" {
		return fmt.Errorf("dingtalk: chat update: %w: chatid is required", ErrInvalid)
	}
	body := map[string]any{"chatid": ch.ChatID}
	if ch.Name != "" {
		body["name"] = ch.Name
	}
	if ch.Owner != "" {
		body["owner"] = ch.Owner
	}
	if len(ch.Add) > 0 {
		body["add_useridlist"] = ch.Add
	}
	if len(ch.Del) > 0 {
		body["del_useridlist"] = ch.Del
	}
	err := c.do(ctx, call{op: "chat update", key: ch.ChatID, style: oapiStyle,
		method: http.MethodPost, path: "/chat/update", body: body}.idempotent(), nil)
	return chatKind(err)
}

// SendChat sends msg to the group chat chatID as the app and returns
// DingTalk's messageId. It is not retried after an ambiguous failure, since
// the old chat API has no idempotency key.
func (c *Client) SendChat(ctx context.Context, chatID string, msg Message) (string, error) {
	enc, err := json.Marshal(msg)
	switch {
	case err != nil:
		return "", fmt.Errorf("dingtalk: chat send %q: encode: %w", chatID, err)
	case chatID == "":
		return "", fmt.Errorf("dingtalk: chat send: %w: chatid is required", ErrInvalid)
	case len(enc) > MaxChatMsgBytes:
		return "", fmt.Errorf("dingtalk: chat send %q: %w: msg of %d bytes exceeds %d",
			chatID, ErrInvalid, len(enc), MaxChatMsgBytes)
	}
	var res struct {
		MessageID string `json:"messageId"`
	}
	err = c.do(ctx, call{op: "chat send", key: chatID, style: oapiStyle,
		method: http.MethodPost, path: "/chat/send",
		body: map[string]any{"chatid": chatID, "msg": json.RawMessage(enc)}}, &res)
	return res.MessageID, chatKind(err)
}

// chatKind gives the chat errcodes their kinds.
func chatKind(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Errcode {
	case errcodeChatNotFound:
		e.Kind = ErrNotFound
	case errcodeChatTooFast:
		e.Kind = ErrThrottled
	}
	return err
}
