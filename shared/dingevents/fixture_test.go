package dingevents_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/events"
	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingtalk/callback"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/runtime"
)

var updateFixtures = flag.Bool("update-fixtures", false,
	"rewrite the events/dingtalk-callback-*.json fixtures this test generates")

// devOrg is the organization the development keys of package events
// belong to, so that their fixtures apply for real.
func devOrg() dingfake.Org {
	return dingfake.Org{CorpID: events.DevDingTalkCorpID, Name: "协同开发大学",
		Apps: []dingfake.App{{AppKey: "dingxietong-dev-app", AppSecret: "dev-secret",
			AgentID: 1, CallbackToken: events.DevDingTalkToken,
			AESKey: events.DevDingTalkAESKey, OwnerKey: events.DevDingTalkOwnerKey}},
		Depts: []dingfake.Dept{{ID: 1, Name: "协同开发大学"},
			{ID: 42, Name: "项目管理办公室", ParentID: 1,
				Managers: []string{"manager0001"}}},
		Users: []dingfake.User{
			{UserID: events.DevDingTalkUserID, Name: "钱经理", DeptIDs: []int64{42},
				Active: true},
			{UserID: "manager0001", Name: "孙主任", DeptIDs: []int64{42},
				LeaderInDept: []dingfake.DeptLeader{{DeptID: 42, Leader: true}}, Active: true},
		},
		ProcessCodes: []string{"PROC-XT-PROJECT-INIT"}}
}

// checkURLOrg carries the keys of DingTalk's public check_url vector.
func checkURLOrg() dingfake.Org {
	return dingfake.Org{CorpID: "dingcheckurlvector",
		Apps: []dingfake.App{{AppKey: events.CheckURLOwnerKey, AppSecret: "x",
			CallbackToken: events.CheckURLToken, AESKey: events.CheckURLAESKey}},
		Depts: []dingfake.Dept{{ID: 1, Name: "vector"}}}
}

// generated are the fixtures this file writes with -update-fixtures.
var generated = []struct {
	file  string
	event map[string]any
}{
	{"dingtalk-callback-user-leave-org.json", map[string]any{"EventType": "user_leave_org",
		"UserId": []string{events.DevDingTalkUserID}, "OptStaffId": "manager0001"}},
	{"dingtalk-callback-org-dept-create.json", map[string]any{"EventType": "org_dept_create",
		"DeptId": []int64{42}}},
	{"dingtalk-callback-bpms-instance-change.json", map[string]any{
		"EventType": "bpms_instance_change", "processInstanceId": "proc-fixture0001",
		"processCode": "PROC-XT-PROJECT-INIT", "businessId": "202612030001",
		"title": "钱经理提交的项目立项", "type": "finish", "result": "agree",
		"staffId": events.DevDingTalkUserID, "createTime": 1764748000000,
		"finishTime": 1764748800000}},
}

// TestWriteFixtures regenerates the fixtures above from the user_add_org one
// (same envelope, new signed body) when run with -update-fixtures.
func TestWriteFixtures(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update-fixtures to rewrite events/dingtalk-callback-*.json")
	}
	tmpl, err := events.Load(events.DingTalkUserAddOrg)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	cr, err := callback.New(callback.Config{Token: events.DevDingTalkToken,
		EncodingAESKey: events.DevDingTalkAESKey, OwnerKey: events.DevDingTalkOwnerKey,
		Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range generated {
		g.event["CorpId"] = events.DevDingTalkCorpID
		g.event["TimeStamp"] = strconv.FormatInt(at.UnixMilli(), 10)
		msg, _ := json.Marshal(g.event)
		r, err := cr.Seal(msg)
		if err != nil {
			t.Fatal(err)
		}
		var ev runtime.FCHTTPEvent
		if err := json.Unmarshal(tmpl, &ev); err != nil {
			t.Fatal(err)
		}
		ev.Body = encryptBody(r.Encrypt)
		ev.Headers["Content-Length"] = strconv.Itoa(len(ev.Body))
		// DingTalk's nonces are 8 characters; sign again over the short one.
		nonce := r.Nonce[:8]
		sig := callback.Sign(events.DevDingTalkToken, r.TimeStamp, nonce, r.Encrypt)
		ev.QueryParameters = map[string]string{"msg_signature": sig, "signature": sig,
			"timestamp": r.TimeStamp, "nonce": nonce}
		ev.RequestContext.RequestID = "1-674ea600-7a8b9c0d1e2f3041526300" + strconv.Itoa(i+10)
		out, _ := json.MarshalIndent(ev, "", "  ")
		path := filepath.Join("..", "..", "events", g.file)
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFixtures runs every DingTalk fixture in events/ through the runtime's
// FC dispatch into the real handler (the replay window off: the fixtures are
// dated) and checks the reply DingTalk would accept and the effect.
func TestFixtures(t *testing.T) {
	s := newStackWith(t, ots.Config{}, []dingfake.Org{devOrg(), checkURLOrg()}, -1, 0)
	fn := runtime.Function{Name: "dingtalk-callback", HTTP: s.handler}
	effects := map[string]func(t *testing.T){
		"dingtalk-callback-user-add-org.json": func(t *testing.T) {
			mustUser(t, s, events.DevDingTalkCorpID, events.DevDingTalkUserID)
		},
		"dingtalk-callback-user-leave-org.json": func(t *testing.T) {
			_, err := s.lookup(events.DevDingTalkCorpID, events.DevDingTalkUserID)
			if !errors.Is(err, directory.ErrInactive) {
				t.Errorf("Lookup after leave = %v, want ErrInactive", err)
			}
		},
		"dingtalk-callback-org-dept-create.json": func(t *testing.T) {
			d, err := s.dir.Dept(context.Background(), events.DevDingTalkCorpID, 42)
			if err != nil || d.Name != "项目管理办公室" {
				t.Errorf("Dept(42) = %+v, %v", d, err)
			}
		},
	}
	for _, name := range events.Names() {
		if !strings.HasPrefix(name, "dingtalk-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			s.t = t
			raw, _ := events.Load(name)
			res, err := fn.Dispatch(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			var resp runtime.FCHTTPResponse
			b, _ := json.Marshal(res)
			if err := json.Unmarshal(b, &resp); err != nil || resp.StatusCode != 200 {
				t.Fatalf("response %s", b)
			}
			corp := events.DevDingTalkCorpID
			if name == events.DingTalkCheckURL {
				corp = "dingcheckurlvector"
			}
			if err := s.corps[corp].Crypto.CheckReply([]byte(resp.Body)); err != nil {
				t.Errorf("reply: %v", err)
			}
			if check := effects[name]; check != nil {
				check(t)
			}
		})
	}
}
