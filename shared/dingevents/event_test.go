package dingevents_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xietong/xietong/shared/dingevents"
)

func TestParseEvent(t *testing.T) {
	tests := []struct {
		msg  string
		want dingevents.Event
	}{
		{`{"EventType":"user_add_org","CorpId":"dingc","TimeStamp":"1700","UserId":["a","b"]}`,
			dingevents.Event{Type: "user_add_org", CorpID: "dingc", Time: "1700",
				UserIDs: []string{"a", "b"}}},
		{`{"eventType":"user_modify_org","eventId":"e1","timeStamp":1700,"userId":["a"]}`,
			dingevents.Event{Type: "user_modify_org", EventID: "e1", Time: "1700",
				UserIDs: []string{"a"}}},
		{`{"EVENTTYPE":"org_dept_create","DeptId":[2,"3"]}`,
			dingevents.Event{Type: "org_dept_create", DeptIDs: []int64{2, 3}}},
		{`{"EventType":"org_dept_modify","deptId":"[4,5]"}`,
			dingevents.Event{Type: "org_dept_modify", DeptIDs: []int64{4, 5}}},
		{`{"EventType":"label_user_change","UserIdList":"u1, u2"}`,
			dingevents.Event{Type: "label_user_change", UserIDs: []string{"u1", "u2"}}},
		{`{"EventType":"org_dept_remove","DeptId":[-1,0,"x",9]}`,
			dingevents.Event{Type: "org_dept_remove", DeptIDs: []int64{9}}},
		{`{"EventType":"bpms_task_change","processInstanceId":"p1","type":"finish",` +
			`"result":"refuse","taskId":88,"staffId":"u9","processCode":"PROC-1"}`,
			dingevents.Event{Type: "bpms_task_change", ProcessInstanceID: "p1",
				BpmsType: "finish", Result: "refuse", TaskID: "88", StaffID: "u9",
				ProcessCode: "PROC-1"}},
	}
	for _, tt := range tests {
		got, err := dingevents.ParseEvent([]byte(tt.msg))
		if err != nil {
			t.Errorf("ParseEvent(%s): %v", tt.msg, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got,
			cmpopts.IgnoreUnexported(dingevents.Event{})); diff != "" {
			t.Errorf("ParseEvent(%s) (-want +got):\n%s", tt.msg, diff)
		}
	}
}

func TestParseEventRefuses(t *testing.T) {
	for _, msg := range []string{``, `[]`, `"x"`, `{}`, `{"EventType":7.5e400}`, `{"Type":"x"}`} {
		if _, err := dingevents.ParseEvent([]byte(msg)); !errors.Is(err, dingevents.ErrBadEvent) {
			t.Errorf("ParseEvent(%s) = %v, want ErrBadEvent", msg, err)
		}
	}
}

func TestEventKey(t *testing.T) {
	a, _ := dingevents.ParseEvent([]byte(`{"EventType":"x","TimeStamp":"1"}`))
	b, _ := dingevents.ParseEvent([]byte(`{"EventType":"x","TimeStamp":"2"}`))
	c, _ := dingevents.ParseEvent([]byte(`{"EventType":"x","eventId":"E"}`))
	if a.Key() == b.Key() {
		t.Errorf("events at different times share key %s", a.Key())
	}
	if c.Key() != "id:E" {
		t.Errorf("Key() = %q, want the eventId", c.Key())
	}
}
