package dingtalk

import (
	"context"
	"encoding/json"
	"net/http"
)

// FailedEvent is one entry of DingTalk's list of events whose HTTP push
// failed after its retries: the event type (call_back_tag), when it happened
// (event_time, Unix milliseconds) and the event's own object, found under a
// key named like the tag, for example {"userid":[...],"corpid":"..."} or,
// for approvals, {"bpmsCallBackData":{...},"corpid":"..."}.
type FailedEvent struct {
	Tag       string
	EventTime int64
	Payload   json.RawMessage // nil when the entry carries no object
}

// FailedPage is one answer of FailedEvents.
type FailedPage struct {
	Events  []FailedEvent
	HasMore bool // call again for the rest
}

// FailedEvents reads DingTalk's list of failed pushes, at most 200 a call.
// DingTalk deletes what it returns, so a caller must store the events before
// working on them; for the same reason the call is not retried after an
// ambiguous failure (a lost answer would lose its events twice over).
func (c *Client) FailedEvents(ctx context.Context) (FailedPage, error) {
	var resp struct {
		HasMore    bool                         `json:"has_more"`
		FailedList []map[string]json.RawMessage `json:"failed_list"`
	}
	err := c.do(ctx, call{op: "failed events", style: oapiStyle, method: http.MethodGet,
		path: "/call_back/get_call_back_failed_result"}, &resp)
	if err != nil {
		return FailedPage{}, err
	}
	page := FailedPage{HasMore: resp.HasMore}
	for _, item := range resp.FailedList {
		page.Events = append(page.Events, failedEvent(item))
	}
	return page, nil
}

func failedEvent(item map[string]json.RawMessage) FailedEvent {
	var ev FailedEvent
	_ = json.Unmarshal(item["call_back_tag"], &ev.Tag)
	var t json.Number
	if json.Unmarshal(item["event_time"], &t) == nil {
		ev.EventTime, _ = t.Int64()
	}
	if p, ok := item[ev.Tag]; ok && ev.Tag != "" && len(p) > 0 && p[0] == '{' {
		ev.Payload = p
	}
	return ev
}
