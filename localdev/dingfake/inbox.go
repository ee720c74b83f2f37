package dingfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Entry kinds.
const (
	KindNotice = "notice"
	KindRobot  = "robot"
	KindDing   = "ding"
	KindTodo   = "todo"
)

// Drop reasons: DingTalk answers success, and the message never arrives.
const (
	DropOverLimit = "over_limit"        // more than NoticeLimit today
	DropRepeat    = "duplicate_content" // same content to the same user today
)

// Entry is one delivery recorded in the inbox: one per recipient for notices,
// DINGs and todos, one per message for a robot (UserID empty, At listing the
// mentioned users).
type Entry struct {
	Seq     int             `json:"seq"`
	Kind    string          `json:"kind"`
	CorpID  string          `json:"corpId"`
	AppKey  string          `json:"appKey,omitempty"`
	UserID  string          `json:"userId,omitempty"`
	Robot   string          `json:"robot,omitempty"`
	At      []string        `json:"at,omitempty"`
	Content json.RawMessage `json:"content"`
	TaskID  int64           `json:"taskId,omitempty"`
	Time    time.Time       `json:"time"`
	Dropped bool            `json:"dropped"`
	Reason  string          `json:"reason,omitempty"`
	ChatID  string          `json:"chatId,omitempty"`  // kind chat: the group chat
	EventID string          `json:"eventId,omitempty"` // kind calendar: the event
}

// Inbox returns the entries for userID (mentions by robots included), or every
// entry when userID is empty, oldest first.
func (f *Fake) Inbox(userID string) []Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Entry
	for _, e := range f.inbox {
		if userID == "" || e.UserID == userID || contains(e.At, userID) {
			out = append(out, e)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f *Fake) inboxHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	entries := []Entry{}
	for _, e := range f.Inbox(q.Get("userId")) {
		if (q.Get("corpId") == "" || e.CorpID == q.Get("corpId")) &&
			(q.Get("kind") == "" || e.Kind == q.Get("kind")) {
			entries = append(entries, e)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

// recordLocked appends e with the next sequence number and the fake's time.
func (f *Fake) recordLocked(e Entry) {
	f.seq++
	e.Seq, e.Time = f.seq, f.cfg.Now()
	f.inbox = append(f.inbox, e)
}

// day is DingTalk's calendar day (UTC+8).
func (f *Fake) day() string {
	return f.cfg.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
}

// canonical re-encodes JSON so that spacing and key order do not make two
// equal contents differ.
func canonical(raw json.RawMessage) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

func (f *Fake) noticeSend(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		AgentID    int64           `json:"agent_id"`
		UserIDList string          `json:"userid_list"`
		Msg        json.RawMessage `json:"msg"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Msg) == 0 {
		oapiErr(w, 40035, "缺少参数 msg")
		return
	}
	users := strings.Split(req.UserIDList, ",")
	switch {
	case req.AgentID != ref.app.AgentID:
		oapiErr(w, 40056, "不合法的agentid")
	case req.UserIDList == "" || len(users) > 100:
		oapiErr(w, 40035, "userid_list: 1 to 100 users")
	case len(req.Msg) > 2048:
		oapiErr(w, 40035, "msg exceeds 2048 bytes")
	default:
		oapiOK(w, map[string]any{"task_id": f.deliverNotices(ref, users, req.Msg)})
	}
}

// deliverNotices records one entry per user, marking those DingTalk would drop.
//
// TODO(#5): the 5,000 recipients a minute and to_all_user limits are not
// enforced, and getsendresult is not served.
func (f *Fake) deliverNotices(ref appRef, users []string, msg json.RawMessage) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	content := canonical(msg)
	sum := sha256.Sum256(content)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	day := f.day()
	task := int64(f.seq + 1000)
	for _, u := range users {
		if f.userLocked(ref.org.CorpID, u) == nil {
			continue // DingTalk reports it in getsendresult's invalid list only
		}
		e := Entry{Kind: KindNotice, CorpID: ref.org.CorpID, AppKey: ref.app.AppKey,
			UserID: u, Content: content, TaskID: task}
		ck, hk := [3]string{ref.app.AppKey, u, day}, [4]string{ref.app.AppKey, u, day, hash}
		switch {
		case f.hashes[hk]:
			e.Dropped, e.Reason = true, DropRepeat
		case f.counts[ck] >= f.cfg.NoticeLimit:
			e.Dropped, e.Reason = true, DropOverLimit
		default:
			f.counts[ck]++
			f.hashes[hk] = true
		}
		f.recordLocked(e)
	}
	return task
}

func (f *Fake) robotByToken(tok string) (*Org, *Robot) {
	for _, o := range f.orgs {
		for i := range o.Robots {
			if o.Robots[i].Token == tok {
				return o, &o.Robots[i]
			}
		}
	}
	return nil, nil
}

func (f *Fake) robotSend(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	org, robot := f.robotByToken(q.Get("access_token"))
	f.mu.Unlock()
	if robot == nil {
		oapiErr(w, 400101, "access_token不存在")
		return
	}
	if code, msg := f.checkRobotSign(robot, q.Get("timestamp"), q.Get("sign")); code != 0 {
		oapiErr(w, code, msg)
		return
	}
	if !isJSON(r) {
		oapiErr(w, 43004, "无效的HTTP HEADER Content-Type")
		return
	}
	body, _ := readBody(r)
	var msg struct {
		MsgType string `json:"msgtype"`
		At      struct {
			UserIDs []string `json:"atUserIds"`
		} `json:"at"`
	}
	if json.Unmarshal(body, &msg) != nil || msg.MsgType == "" {
		oapiErr(w, 40035, "缺少参数 msgtype")
		return
	}
	if !f.admitRobot(robot.Token) {
		oapiErr(w, 410100, "send too fast, exceed 20 times per minute")
		return
	}
	f.mu.Lock()
	f.recordLocked(Entry{Kind: KindRobot, CorpID: org.CorpID, Robot: robot.Name,
		At: msg.At.UserIDs, Content: canonical(body)})
	f.mu.Unlock()
	oapiOK(w, nil)
}

// checkRobotSign verifies the HMAC signature and the one-hour window.
func (f *Fake) checkRobotSign(robot *Robot, ts, sign string) (int, string) {
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) != 13 {
		return 310000, "invalid timestamp"
	}
	d := f.cfg.Now().Sub(time.UnixMilli(ms))
	if d > time.Hour || d < -time.Hour {
		return 310000, "invalid timestamp"
	}
	m := hmac.New(sha256.New, []byte(robot.Secret))
	m.Write([]byte(ts + "\n" + robot.Secret))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sign)) {
		return 310000, "sign not match"
	}
	return 0, ""
}

// admitRobot applies 20 a minute per robot; the 21st mutes it for ten minutes.
func (f *Fake) admitRobot(tok string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.cfg.Now()
	if now.Before(f.robotMute[tok]) {
		return false
	}
	var recent []time.Time
	for _, t := range f.robotLog[tok] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= f.cfg.RobotPerMinute {
		f.robotMute[tok] = now.Add(10 * time.Minute)
		f.robotLog[tok] = recent
		return false
	}
	f.robotLog[tok] = append(recent, now)
	return true
}

func (f *Fake) dingSend(w http.ResponseWriter, _ *http.Request, ref appRef, body []byte) {
	var req struct {
		RobotCode  string   `json:"robotCode"`
		RemindType int      `json:"remindType"`
		Receivers  []string `json:"receiverUserIdList"`
		Content    string   `json:"content"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.RobotCode == "" ||
		req.Content == "" || len(req.Receivers) == 0 {
		apiErr(w, http.StatusBadRequest, "invalid.chatbotId", "robotCode, content and "+
			"receiverUserIdList are required")
		return
	}
	limit := 200
	if req.RemindType == 2 || req.RemindType == 3 {
		limit = 20
	}
	if len(req.Receivers) >= limit {
		apiErr(w, http.StatusBadRequest, "ding.receivercount.limit", "too many receivers")
		return
	}
	failed := map[string][]string{}
	f.mu.Lock()
	for _, u := range req.Receivers {
		if f.userLocked(ref.org.CorpID, u) == nil {
			failed["invalidUser"] = append(failed["invalidUser"], u)
			continue
		}
		f.recordLocked(Entry{Kind: KindDing, CorpID: ref.org.CorpID, AppKey: ref.app.AppKey,
			UserID: u, Content: canonical(body)})
	}
	f.mu.Unlock()
	res := map[string]any{"openDingId": randomID("ding", 8)}
	if len(failed) > 0 {
		res["failedList"] = failed
	}
	writeJSON(w, http.StatusOK, res)
}

func (f *Fake) userByUnion(o *Org, union string) *User {
	for i := range o.Users {
		if o.Users[i].UnionID == union {
			return &o.Users[i]
		}
	}
	return nil
}

func (f *Fake) todoCreate(w http.ResponseWriter, r *http.Request, ref appRef, body []byte) {
	var req struct {
		Subject     string   `json:"subject"`
		SourceID    string   `json:"sourceId"`
		ExecutorIDs []string `json:"executorIds"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Subject == "" ||
		len(req.Subject) > 1024 {
		apiErr(w, http.StatusBadRequest, "todo.taskCreate.paramError", "subject is required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	owner := r.PathValue("unionId")
	if f.userByUnion(ref.org, owner) == nil {
		apiErr(w, http.StatusBadRequest, "todo.taskCreate.paramError", "unknown unionId")
		return
	}
	key := ref.org.CorpID + "/" + req.SourceID
	if req.SourceID != "" && f.todos[key] {
		apiErr(w, http.StatusBadRequest, "todo.taskCreate.paramError", "task exist")
		return
	}
	f.todos[key] = true
	executors := req.ExecutorIDs
	if len(executors) == 0 {
		executors = []string{owner}
	}
	for _, union := range executors {
		if u := f.userByUnion(ref.org, union); u != nil {
			f.recordLocked(Entry{Kind: KindTodo, CorpID: ref.org.CorpID,
				AppKey: ref.app.AppKey, UserID: u.UserID, Content: canonical(body)})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": randomID("task", 8),
		"subject": req.Subject, "done": false, "executorIds": executors,
		"sourceId": req.SourceID, "requestId": randomID("", 8)})
}
