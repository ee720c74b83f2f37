package dingfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// KindChat marks inbox entries of messages to a group chat: one entry per
// member the chat had when the message arrived, with the chat's id.
const KindChat = "chat"

// Group-chat rules the fake applies, as DingTalk's old chat API does.
//
// TODO(#6): the per-chat rate and the errcodes are the fake's reading of
// DingTalk's documentation, not checked against the real service.
const (
	chatPerMinute       = 20    // messages to one chat per sliding minute
	chatMaxMembers      = 1000  // useridlist of a created chat
	chatMaxMsg          = 2048  // encoded msg bytes
	errcodeChatNotFound = 34009 // unknown chat, or one this app did not create
	errcodeChatTooFast  = 34014 // over chatPerMinute
)

// ChatInfo is a group chat as the fake holds it.
type ChatInfo struct {
	ID      string   `json:"chatid"`
	CorpID  string   `json:"corpId"`
	AppKey  string   `json:"appKey"`
	Name    string   `json:"name"`
	Owner   string   `json:"owner"`
	Members []string `json:"useridlist"`
}

type chatRec struct {
	ChatInfo
	sent []time.Time // recent messages, for the per-minute rule
}

// chatBook holds the chats; its zero value is ready. Guarded by Fake.mu.
type chatBook struct {
	byID map[string]*chatRec
}

func (f *Fake) chatRoutes() {
	f.oapi("POST /chat/create", f.chatCreate)
	f.oapi("POST /chat/update", f.chatUpdate)
	f.oapi("POST /chat/send", f.chatSend)
}

// Chats returns the chats created in corpID (every corp when empty), sorted
// by id.
func (f *Fake) Chats(corpID string) []ChatInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ChatInfo
	for _, c := range f.chats.byID {
		if corpID == "" || c.CorpID == corpID {
			info := c.ChatInfo
			info.Members = slices.Clone(c.Members)
			out = append(out, info)
		}
	}
	slices.SortFunc(out, func(a, b ChatInfo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Chat returns the chat chatID, or false.
func (f *Fake) Chat(chatID string) (ChatInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chats.byID[chatID]
	if c == nil {
		return ChatInfo{}, false
	}
	info := c.ChatInfo
	info.Members = slices.Clone(c.Members)
	return info, true
}

func (f *Fake) chatCreate(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		Name    string   `json:"name"`
		Owner   string   `json:"owner"`
		UserIDs []string `json:"useridlist"`
	}
	if json.Unmarshal(body, &req) != nil || req.Name == "" || req.Owner == "" {
		oapiErr(w, 40035, "缺少参数 name 或 owner")
		return
	}
	if len(req.UserIDs) == 0 || len(req.UserIDs) > chatMaxMembers ||
		!slices.Contains(req.UserIDs, req.Owner) {
		oapiErr(w, 40035, "useridlist: 1 to 1000 users including the owner")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if u := f.unknownUserLocked(ref.org.CorpID, req.UserIDs); u != "" {
		oapiErr(w, 60121, "找不到该用户 "+u)
		return
	}
	if f.chats.byID == nil {
		f.chats.byID = map[string]*chatRec{}
	}
	id := randomID("chat", 16)
	members := dedupe(req.UserIDs)
	f.chats.byID[id] = &chatRec{ChatInfo: ChatInfo{ID: id, CorpID: ref.org.CorpID,
		AppKey: ref.app.AppKey, Name: req.Name, Owner: req.Owner, Members: members}}
	oapiOK(w, map[string]any{"chatid": id, "openConversationId": "cid" + id[4:],
		"conversationTag": 2})
}

func (f *Fake) unknownUserLocked(corp string, users []string) string {
	for _, u := range users {
		if f.userLocked(corp, u) == nil {
			return u
		}
	}
	return ""
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// chatLocked returns the chat id if ref's app created it.
func (f *Fake) chatLocked(ref appRef, id string) *chatRec {
	c := f.chats.byID[id]
	if c == nil || c.CorpID != ref.org.CorpID || c.AppKey != ref.app.AppKey {
		return nil
	}
	return c
}

func (f *Fake) chatUpdate(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		ChatID string   `json:"chatid"`
		Name   string   `json:"name"`
		Owner  string   `json:"owner"`
		Add    []string `json:"add_useridlist"`
		Del    []string `json:"del_useridlist"`
	}
	if json.Unmarshal(body, &req) != nil || req.ChatID == "" {
		oapiErr(w, 40035, "缺少参数 chatid")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chatLocked(ref, req.ChatID)
	if c == nil {
		oapiErr(w, errcodeChatNotFound, "群会话不存在")
		return
	}
	if u := f.unknownUserLocked(ref.org.CorpID, req.Add); u != "" {
		oapiErr(w, 60121, "找不到该用户 "+u)
		return
	}
	members := dedupe(append(slices.Clone(c.Members), req.Add...))
	members = slices.DeleteFunc(members, func(u string) bool { return slices.Contains(req.Del, u) })
	owner := c.Owner
	if req.Owner != "" {
		owner = req.Owner
	}
	if len(members) > chatMaxMembers || !slices.Contains(members, owner) {
		oapiErr(w, 40035, "the owner must stay a member, at most 1000 members")
		return
	}
	c.Members, c.Owner = members, owner
	if req.Name != "" {
		c.Name = req.Name
	}
	oapiOK(w, nil)
}

func (f *Fake) chatSend(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		ChatID string          `json:"chatid"`
		Msg    json.RawMessage `json:"msg"`
	}
	var head struct {
		MsgType string `json:"msgtype"`
	}
	if json.Unmarshal(body, &req) != nil || req.ChatID == "" || len(req.Msg) == 0 ||
		json.Unmarshal(req.Msg, &head) != nil || head.MsgType == "" {
		oapiErr(w, 40035, "缺少参数 chatid 或 msg")
		return
	}
	if len(req.Msg) > chatMaxMsg {
		oapiErr(w, 40035, "msg exceeds 2048 bytes")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chatLocked(ref, req.ChatID)
	if c == nil {
		oapiErr(w, errcodeChatNotFound, "群会话不存在")
		return
	}
	if !f.admitChatLocked(c) {
		oapiErr(w, errcodeChatTooFast, "send too fast, exceed 20 times per minute")
		return
	}
	content := canonical(req.Msg)
	for _, u := range c.Members {
		f.recordLocked(Entry{Kind: KindChat, CorpID: c.CorpID, AppKey: c.AppKey, UserID: u,
			ChatID: c.ID, Content: content})
	}
	oapiOK(w, map[string]any{"messageId": randomID("msg", 12)})
}

// admitChatLocked applies the per-chat minute.
func (f *Fake) admitChatLocked(c *chatRec) bool {
	now := f.cfg.Now()
	c.sent = slices.DeleteFunc(c.sent, func(t time.Time) bool {
		return now.Sub(t) >= time.Minute
	})
	if len(c.sent) >= chatPerMinute {
		return false
	}
	c.sent = append(c.sent, now)
	return true
}
