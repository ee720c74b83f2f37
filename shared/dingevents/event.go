package dingevents

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadEvent means a decrypted event is not a JSON object with an event
// type, or names another organization than the keys that opened it.
var ErrBadEvent = errors.New("dingevents: bad event")

// Event is a decrypted DingTalk push, read case-insensitively: real pushes
// carry UserId, DeptId, TimeStamp and CorpId, the documents userId, deptId,
// timeStamp and eventId, and numbers sometimes arrive as strings.
type Event struct {
	Type    string
	CorpID  string
	EventID string // optional; the dedupe key falls back to a hash
	Time    string

	UserIDs []string
	DeptIDs []int64

	// Approval (bpms) fields.
	ProcessInstanceID string
	ProcessCode       string
	BpmsType          string // start, finish, terminate, cancel
	Result            string // agree, refuse, redirect
	TaskID            string
	StaffID           string

	raw []byte
}

// Raw returns the event's plaintext JSON.
func (e Event) Raw() []byte { return e.raw }

// Key is the event's dedupe key: its eventId, or a hash of the plaintext.
func (e Event) Key() string {
	if e.EventID != "" {
		return "id:" + e.EventID
	}
	return "h:" + e.Hash()
}

// Hash is the hex SHA-256 prefix of the plaintext.
func (e Event) Hash() string {
	sum := sha256.Sum256(e.raw)
	return hex.EncodeToString(sum[:16])
}

// ParseEvent reads a decrypted push.
func ParseEvent(msg []byte) (Event, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return Event{}, fmt.Errorf("%w: not a JSON object", ErrBadEvent)
	}
	f := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		f[strings.ToLower(k)] = v
	}
	var typ string
	_ = json.Unmarshal(f["eventtype"], &typ) // the type must be a string
	e := Event{Type: typ, CorpID: text(f["corpid"]),
		EventID: text(f["eventid"]), Time: text(f["timestamp"]),
		ProcessInstanceID: text(f["processinstanceid"]), ProcessCode: text(f["processcode"]),
		BpmsType: text(f["type"]), Result: text(f["result"]), TaskID: text(f["taskid"]),
		StaffID: text(f["staffid"]), raw: bytes.Clone(msg)}
	if e.Type == "" {
		return Event{}, fmt.Errorf("%w: no EventType", ErrBadEvent)
	}
	for _, k := range []string{"userid", "useridlist", "userids"} {
		e.UserIDs = append(e.UserIDs, texts(f[k])...)
	}
	for _, k := range []string{"deptid", "deptidlist", "deptids"} {
		for _, s := range texts(f[k]) {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
				e.DeptIDs = append(e.DeptIDs, n)
			}
		}
	}
	return e, nil
}

// text reads a JSON string or number as text; anything else is "".
func text(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	return ""
}

// texts reads an id list: a JSON array of strings or numbers, a single one,
// or a string holding such an array ("[2,3]") or a comma list ("a,b").
func texts(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err == nil {
		var out []string
		for _, item := range list {
			if s := text(item); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	s := strings.TrimSpace(text(raw))
	if strings.HasPrefix(s, "[") {
		return texts(json.RawMessage(s))
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
