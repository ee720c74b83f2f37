package dingevents_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/runtime"
)

// TestFailedListAppliedOnce points the fake's pusher at a callback that
// refuses every push: each event lands in DingTalk's failed list, the timer
// takes it from there and applies it once, and pushing the event again
// afterwards, or running the timer again, changes nothing.
func TestFailedListAppliedOnce(t *testing.T) {
	s := newStack(t, ots.Config{})
	ctx := context.Background()
	if _, err := s.dir.Reconcile(ctx, s.corps[univ].Client, univ); err != nil {
		t.Fatal(err)
	}
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		http.Error(w, "function unavailable", http.StatusServiceUnavailable)
	}))
	defer refusing.Close()
	tests := []struct {
		name  string
		typ   string
		setup func(t *testing.T) map[string]any
		check func(t *testing.T)
	}{
		{"user added", "user_add_org",
			func(t *testing.T) map[string]any {
				seedUser(t, s, "u-missed", nil)
				return map[string]any{"UserId": []string{"u-missed"}}
			},
			func(t *testing.T) { mustUser(t, s, univ, "u-missed") }},
		{"approval finished", "bpms_instance_change",
			func(t *testing.T) map[string]any {
				id := startApproval(t, s, "contract", "C-missed")
				if _, err := s.fake.ResolveApproval(id, "agree"); err != nil {
					t.Fatal(err)
				}
				return map[string]any{"processInstanceId": id, "type": "finish",
					"result": "agree"}
			},
			func(t *testing.T) { wantOutcome(t, s, "contract", "C-missed", "approved") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.t = t
			s.clock.Advance(time.Second)
			fields := tt.setup(t)
			before := s.snapshot(univ, directoryTables...)
			err := s.fake.Push(ctx, refusing.URL, univ, tt.typ, fields)
			if !errors.Is(err, dingfake.ErrPush) || s.fake.FailedCount(univ) != 1 {
				t.Fatalf("Push to a refusing callback = %v, %d listed; want ErrPush, 1",
					err, s.fake.FailedCount(univ))
			}
			if got := s.snapshot(univ, directoryTables...); got != before {
				t.Fatalf("a refused push changed the directory")
			}

			drain(t, s)
			tt.check(t)
			if n := s.fake.FailedCount(univ); n != 0 {
				t.Errorf("%d events still listed after the timer, want 0", n)
			}
			if q := s.snapshot(univ, "outbox"); q != "" {
				t.Errorf("queue not empty after the timer:\n%s", q)
			}

			applied := s.snapshot(univ, directoryTables...)
			s.push(univ, tt.typ, fields)
			drain(t, s)
			if got := s.snapshot(univ, directoryTables...); got != applied {
				t.Errorf("a redelivery after the timer changed the directory:\n"+
					"before:\n%s\nafter:\n%s", applied, got)
			}
		})
	}
}

func drain(t *testing.T, s *stack) {
	t.Helper()
	err := s.handler.Timer(context.Background(), runtime.TimerEvent{Payload: `{"job":"drain"}`})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFailedEventShapes reads failed-list entries as the pushes they stand
// for.
func TestFailedEventShapes(t *testing.T) {
	tests := []struct {
		tag, payload string
		want         dingevents.Event
	}{
		{"user_add_org", `{"userid":["u1","u2"],"corpid":"dingc"}`,
			dingevents.Event{Type: "user_add_org", CorpID: "dingc",
				UserIDs: []string{"u1", "u2"}}},
		{"org_dept_remove", `{"deptid":[7],"corpid":"dingc"}`,
			dingevents.Event{Type: "org_dept_remove", CorpID: "dingc", DeptIDs: []int64{7}}},
		{"bpms_task_change", `{"bpmsCallBackData":{"processInstanceId":"p1","type":"finish",` +
			`"result":"refuse","taskId":42},"corpid":"dingc"}`,
			dingevents.Event{Type: "bpms_task_change", CorpID: "dingc",
				ProcessInstanceID: "p1", BpmsType: "finish", Result: "refuse", TaskID: "42"}},
		{"org_change", ``, dingevents.Event{Type: "org_change"}},
	}
	for _, tt := range tests {
		got, err := dingevents.FailedEvent(dingtalk.FailedEvent{Tag: tt.tag,
			EventTime: 1700000000000, Payload: json.RawMessage(tt.payload)})
		if err != nil {
			t.Errorf("FailedEvent(%s %s) = %v", tt.tag, tt.payload, err)
			continue
		}
		got = dingevents.Event{Type: got.Type, CorpID: got.CorpID, UserIDs: got.UserIDs,
			DeptIDs: got.DeptIDs, ProcessInstanceID: got.ProcessInstanceID,
			BpmsType: got.BpmsType, Result: got.Result, TaskID: got.TaskID}
		if !equalEvents(got, tt.want) {
			t.Errorf("FailedEvent(%s %s) = %+v, want %+v", tt.tag, tt.payload, got, tt.want)
		}
	}
	if _, err := dingevents.FailedEvent(dingtalk.FailedEvent{Tag: "user_add_org",
		Payload: json.RawMessage(`[1]`)}); !errors.Is(err, dingevents.ErrBadEvent) {
		t.Errorf("FailedEvent of an array = %v, want ErrBadEvent", err)
	}
}

func equalEvents(a, b dingevents.Event) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// FuzzFailedEvent reads arbitrary failed-list entries: it must never panic,
// and whatever it accepts has the entry's tag as its type (tags are UTF-8).
func FuzzFailedEvent(f *testing.F) {
	f.Add("user_add_org", int64(1700000000000), `{"userid":["u1"],"corpid":"c"}`)
	f.Add("bpms_instance_change", int64(0), `{"bpmsCallBackData":{"type":"finish"}}`)
	f.Add("", int64(-1), `{"BPMSCALLBACKDATA":[1],"eventtype":"x"}`)
	f.Add("x", int64(1), `null`)
	f.Fuzz(func(t *testing.T, tag string, at int64, payload string) {
		ev, err := dingevents.FailedEvent(dingtalk.FailedEvent{Tag: tag, EventTime: at,
			Payload: json.RawMessage(payload)})
		if err == nil && utf8.ValidString(tag) && ev.Type != tag {
			t.Fatalf("FailedEvent(%q) has type %q", tag, ev.Type)
		}
	})
}
