package dingtalk_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
)

var univRobot = dingtalk.Robot{Token: "robot-univ-it-office", Secret: "SECuniv0123456789abcdef"}

// inboxKinds counts the delivered (not dropped) entries for user by kind.
func inboxKinds(f *dingfake.Fake, user string) map[string]int {
	n := map[string]int{}
	for _, e := range f.Inbox(user) {
		if !e.Dropped {
			n[e.Kind]++
		}
	}
	return n
}

func TestEveryKindLandsInTheInbox(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	notices := []dingtalk.Message{
		dingtalk.TextMessage("周会改到周四"),
		dingtalk.MarkdownMessage("里程碑", "**M2** 已验收"),
		dingtalk.ActionCardMessage(dingtalk.ActionCard{Title: "合同待签", Markdown: "请查看",
			SingleTitle: "打开", SingleURL: "dingtalk://dingtalkclient/page/link?url=x"}),
		dingtalk.OAMessage(dingtalk.OA{MessageURL: "https://example.invalid/t/1",
			Head: dingtalk.OAHead{BgColor: "FFBBBBBB", Text: "任务"},
			Body: dingtalk.OABody{Title: "新任务", Form: []dingtalk.OAFormField{
				{Key: "项目:", Value: "校园网升级"}}}}),
	}
	for _, m := range notices {
		res, err := e.client.SendNotice(ctx, dingtalk.Notice{UserIDs: []string{"u-dev-1"},
			Msg: m})
		if err != nil || len(res.Sent) != 1 || res.TaskID == 0 {
			t.Fatalf("SendNotice(%s) = %+v, %v", m.MsgType, res, err)
		}
	}
	msg := dingtalk.RobotText("构建完成")
	msg.At = &dingtalk.RobotAt{UserIDs: []string{"u-dev-1"}}
	if err := e.client.SendRobot(ctx, univRobot, msg); err != nil {
		t.Fatalf("SendRobot: %v", err)
	}
	ding, err := e.client.SendDing(ctx, dingtalk.Ding{RobotCode: "dingrobot",
		RemindType: dingtalk.DingInApp, UserIDs: []string{"u-dev-1"}, Content: "请确认验收"})
	if err != nil || ding.OpenDingID == "" {
		t.Fatalf("SendDing = %+v, %v", ding, err)
	}
	todo, err := e.client.CreateTodo(ctx, "un-it-director", "un-it-director", dingtalk.Todo{
		Subject: "审阅交付物", SourceID: "task-42", ExecutorIDs: []string{"un-dev-1"}})
	if err != nil || todo.ID == "" {
		t.Fatalf("CreateTodo = %+v, %v", todo, err)
	}
	want := map[string]int{"notice": 4, "robot": 1, "ding": 1, "todo": 1}
	if got := inboxKinds(e.fake, "u-dev-1"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("inbox of u-dev-1 = %v, want %v", got, want)
	}
}

func TestApprovalLifecycle(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	req := dingtalk.ApprovalRequest{ProcessCode: "PROC-XT-PROJECT-INIT",
		OriginatorUserID: "u-it-director", DeptID: 3,
		Form: []dingtalk.ApprovalFormKV{{Name: "项目名称", Value: "校园网升级"}}}
	tests := []struct{ result, want string }{
		{"agree", "approved"}, {"refuse", "rejected"}, {"terminate", "terminated"},
	}
	for _, tt := range tests {
		id, err := e.client.CreateApproval(ctx, req)
		if err != nil {
			t.Fatalf("CreateApproval: %v", err)
		}
		a, err := e.client.Approval(ctx, id)
		if err != nil || a.Outcome() != "running" {
			t.Fatalf("Approval(new) = %+v, %v; want running", a, err)
		}
		if _, err := e.fake.ResolveApproval(id, tt.result); err != nil {
			t.Fatal(err)
		}
		if a, err = e.client.Approval(ctx, id); err != nil || a.Outcome() != tt.want {
			t.Errorf("after %s: Outcome = %q, %v; want %q", tt.result, a.Outcome(), err, tt.want)
		}
	}
	req.ProcessCode = "PROC-NONE"
	if _, err := e.client.CreateApproval(ctx, req); !errors.Is(err, dingtalk.ErrInvalid) {
		t.Errorf("CreateApproval(unknown code) = %v, want ErrInvalid", err)
	}
}

func TestErrorStylesMapped(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*dingfake.Fake)
		call  func(context.Context, *dingtalk.Client) error
		kind  error
		check func(*dingtalk.Error) bool
	}{
		{"oapi errcode in a 200",
			func(f *dingfake.Fake) { f.FailOAPI("/topapi/v2/user/get", 1, 60011) },
			readUser, dingtalk.ErrPermission,
			func(e *dingtalk.Error) bool { return e.Errcode == 60011 && e.Status == 200 }},
		{"oapi throttle after retries",
			func(f *dingfake.Fake) { f.FailOAPI("/topapi/v2/user/get", 9, 90018) },
			readUser, dingtalk.ErrThrottled,
			func(e *dingtalk.Error) bool { return e.Errcode == 90018 }},
		{"oapi monthly quota",
			func(f *dingfake.Fake) { f.FailOAPI("/topapi/v2/user/get", 1, 90020) },
			readUser, dingtalk.ErrThrottled,
			func(e *dingtalk.Error) bool { return e.Errcode == 90020 }},
		{"api 403 permission",
			func(f *dingfake.Fake) {
				f.FailAPI("/v1.0/workflow/processInstances", 1, 403,
					"Forbidden.AccessDenied.AccessTokenPermissionDenied")
			},
			getApproval, dingtalk.ErrPermission,
			func(e *dingtalk.Error) bool { return e.Status == 403 && e.RequestID != "" }},
		{"api 400 invalid",
			func(f *dingfake.Fake) {
				f.FailAPI("/v1.0/workflow/processInstances", 1, 400, "formConverterError")
			},
			getApproval, dingtalk.ErrInvalid,
			func(e *dingtalk.Error) bool { return e.Code == "formConverterError" }},
		{"api 429 throttle after retries",
			func(f *dingfake.Fake) {
				f.FailAPI("/v1.0/workflow/processInstances", 9, 403,
					"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
			},
			getApproval, dingtalk.ErrThrottled,
			func(e *dingtalk.Error) bool { return e.Status == 403 }},
		{"api 5xx",
			func(f *dingfake.Fake) {
				f.FailAPI("/v1.0/workflow/processInstances", 9, 503, "ServiceUnavailable")
			},
			getApproval, dingtalk.ErrUnavailable,
			func(e *dingtalk.Error) bool { return e.Status == 503 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, dingfake.Config{}, dingtalk.Options{})
			tt.fault(e.fake)
			err := tt.call(context.Background(), e.client)
			var de *dingtalk.Error
			if !errors.Is(err, tt.kind) || !errors.As(err, &de) || !tt.check(de) {
				t.Errorf("err = %#v, want kind %v", err, tt.kind)
			}
		})
	}
}

func readUser(ctx context.Context, c *dingtalk.Client) error {
	_, err := c.User(ctx, "u-dev-1")
	return err
}

func getApproval(ctx context.Context, c *dingtalk.Client) error {
	_, err := c.Approval(ctx, "proc-x")
	return err
}

func TestThrottlingBackoff(t *testing.T) {
	const userPath, instPath = "/topapi/v2/user/get", "/v1.0/workflow/processInstances"
	oapi := func(n, code int) func(*dingfake.Fake) {
		return func(f *dingfake.Fake) { f.FailOAPI(userPath, n, code) }
	}
	api := func(n, status int, code string) func(*dingfake.Fake) {
		return func(f *dingfake.Fake) { f.FailAPI(instPath, n, status, code) }
	}
	tests := []struct {
		name   string
		fault  func(*dingfake.Fake)
		call   func(context.Context, *faulted) error
		path   string
		calls  int
		waits  int
		failed bool
	}{
		{"90018 three times", oapi(3, 90018), getUser, userPath, 4, 3, false},
		{"gateway 88 with sub_code 90018", oapi(2, 88), getUser, userPath, 3, 2, false},
		{"busy -1 once", oapi(1, -1), getUser, userPath, 2, 1, false},
		{"beyond the bound", oapi(10, 90018), getUser, userPath, 5, 4, true},
		{"monthly quota is not retried", oapi(10, 90020), getUser, userPath, 1, 0, true},
		{"api QPS limit twice",
			api(2, 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),
			getRealApproval, instPath, 4, 2, false}, // 1 create + 2 throttled + 1 get
		{"api 429 busy once", api(1, 429, "system.busy"), getRealApproval, instPath, 3, 1,
			false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, dingfake.Config{}, dingtalk.Options{})
			err := tt.call(context.Background(), &faulted{e.client, e.fake, tt.fault})
			if (err != nil) != tt.failed {
				t.Fatalf("call = %v, want failure %v", err, tt.failed)
			}
			if n := e.fake.Calls(tt.path); n != tt.calls {
				t.Errorf("%d calls, want %d", n, tt.calls)
			}
			checkWaits(t, e.sleeper.Waits(), tt.waits)
		})
	}
}

// faulted injects its fault just before the call under test.
type faulted struct {
	*dingtalk.Client
	fake  *dingfake.Fake
	fault func(*dingfake.Fake)
}

func getUser(ctx context.Context, c *faulted) error {
	c.fault(c.fake)
	_, err := c.User(ctx, "u-dev-1")
	return err
}

// getRealApproval creates an instance, then reads it under the fault.
func getRealApproval(ctx context.Context, c *faulted) error {
	id, err := c.CreateApproval(ctx, dingtalk.ApprovalRequest{
		ProcessCode: "PROC-XT-CONTRACT", OriginatorUserID: "u-it-director"})
	if err != nil {
		return err
	}
	c.fault(c.fake)
	_, err = c.Approval(ctx, id)
	return err
}

func checkWaits(t *testing.T, waits []time.Duration, n int) {
	t.Helper()
	if len(waits) != n {
		t.Fatalf("waits %v, want %d of them", waits, n)
	}
	for i, w := range waits {
		lo := min(dingtalk.DefaultBackoff<<i, dingtalk.MaxBackoff)
		if w < lo || w > lo+lo/4 {
			t.Errorf("wait %d = %v, want %v to %v", i, w, lo, lo+lo/4)
		}
	}
}

func TestCreateApprovalNotRetriedWhenAmbiguous(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	e.fake.FailAPI("/v1.0/workflow/processInstances", 1, 503, "ServiceUnavailable")
	_, err := e.client.CreateApproval(context.Background(), dingtalk.ApprovalRequest{
		ProcessCode: "PROC-XT-CONTRACT", OriginatorUserID: "u-it-director"})
	if !errors.Is(err, dingtalk.ErrUnavailable) {
		t.Errorf("CreateApproval = %v, want ErrUnavailable", err)
	}
	if n := e.fake.Calls("/v1.0/workflow/processInstances"); n != 1 {
		t.Errorf("%d calls, want 1: a second could start a second instance", n)
	}
}

const noticePath = "/topapi/message/corpconversation/asyncsend_v2"

func send(t *testing.T, c *dingtalk.Client, user, text string) dingtalk.NoticeResult {
	t.Helper()
	res, err := c.SendNotice(context.Background(), dingtalk.Notice{UserIDs: []string{user},
		Msg: dingtalk.TextMessage(text)})
	if err != nil {
		t.Fatalf("SendNotice(%q): %v", text, err)
	}
	return res
}

func TestBudgetAppliedBeforeSending(t *testing.T) {
	budget := dingtalk.NewMemoryBudget(dingtalk.BudgetConfig{NoticesPerDay: 3})
	e := start(t, dingfake.Config{}, dingtalk.Options{Budget: budget})
	for i := range 3 {
		if res := send(t, e.client, "u-dev-2", fmt.Sprint("notice ", i)); len(res.Sent) != 1 {
			t.Fatalf("notice %d: %+v, want sent", i, res)
		}
	}
	res := send(t, e.client, "u-dev-2", "notice 3")
	if res.Dropped["u-dev-2"] != dingtalk.DropOverBudget {
		t.Errorf("4th notice: %+v, want dropped over budget", res)
	}
	res = send(t, e.client, "u-dev-1", "notice 0")
	if len(res.Sent) != 1 {
		t.Errorf("another user's notice: %+v, want sent", res)
	}
	res = send(t, e.client, "u-dev-1", "notice 0")
	if res.Dropped["u-dev-1"] != dingtalk.DropRepeat {
		t.Errorf("same content again: %+v, want dropped as a repeat", res)
	}
	if n := e.fake.Calls(noticePath); n != 4 {
		t.Errorf("%d sends reached DingTalk, want 4 (drops never leave)", n)
	}
	e.clock.Advance(24 * time.Hour)
	if res := send(t, e.client, "u-dev-1", "notice 0"); len(res.Sent) != 1 {
		t.Errorf("same content the next day: %+v, want sent", res)
	}
}

func TestFailedSendIsRefunded(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{Retries: -1})
	e.fake.FailOAPI(noticePath, 1, -1)
	_, err := e.client.SendNotice(context.Background(), dingtalk.Notice{
		UserIDs: []string{"u-dev-1"}, Msg: dingtalk.TextMessage("retry me")})
	if !errors.Is(err, dingtalk.ErrUnavailable) {
		t.Fatalf("SendNotice = %v, want ErrUnavailable", err)
	}
	if res := send(t, e.client, "u-dev-1", "retry me"); len(res.Sent) != 1 {
		t.Errorf("resend after a failure: %+v, want sent, not a repeat", res)
	}
}

// admitAll is a Budget that lets everything through, to show what DingTalk
// itself does without one.
type admitAll struct{}

func (admitAll) AdmitNotice(context.Context, dingtalk.NoticeKey) (dingtalk.Verdict, error) {
	return dingtalk.Admit, nil
}
func (admitAll) RefundNotice(context.Context, dingtalk.NoticeKey) error { return nil }
func (admitAll) AdmitRobot(context.Context, string, time.Time) (time.Duration, error) {
	return 0, nil
}

func TestDingTalkDropsSilently(t *testing.T) {
	e := start(t, dingfake.Config{NoticeLimit: 2}, dingtalk.Options{Budget: admitAll{}})
	for _, text := range []string{"a", "a", "b", "c"} {
		send(t, e.client, "u-dev-1", text) // each "succeeds"
	}
	var got []string
	for _, en := range e.fake.Inbox("u-dev-1") {
		got = append(got, en.Reason)
	}
	want := []string{"", dingfake.DropRepeat, "", dingfake.DropOverLimit}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("drop reasons = %q, want %q", got, want)
	}
}

func TestRobotSignVectors(t *testing.T) {
	tests := []struct {
		secret string
		ts     int64
		want   string
	}{
		{"this is secret", 1577262236757, "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="},
		{"SEC0123456789abcdef", 1700000000000, "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="},
	}
	for _, tt := range tests {
		if got := dingtalk.RobotSign(tt.secret, tt.ts); got != tt.want {
			t.Errorf("RobotSign(%q, %d) = %s, want %s", tt.secret, tt.ts, got, tt.want)
		}
	}
}

func TestRobotSigningCheckedByFake(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := context.Background()
	if err := e.client.SendRobot(ctx, univRobot, dingtalk.RobotText("ok")); err != nil {
		t.Fatalf("SendRobot: %v", err)
	}
	bad := univRobot
	bad.Secret = "SECwrong"
	err := e.client.SendRobot(ctx, bad, dingtalk.RobotText("forged"))
	var de *dingtalk.Error
	if !errors.As(err, &de) || de.Errcode != 310000 {
		t.Errorf("SendRobot with a wrong secret = %v, want errcode 310000", err)
	}
	unknown := dingtalk.Robot{Token: "nope", Secret: "SECx"}
	if err := e.client.SendRobot(ctx, unknown, dingtalk.RobotText("x")); !errors.Is(err,
		dingtalk.ErrNotFound) {
		t.Errorf("SendRobot(unknown token) = %v, want ErrNotFound", err)
	}
}

func TestRobotLimiter(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	for i := range dingtalk.RobotPerMinute {
		if err := e.client.SendRobot(context.Background(), univRobot,
			dingtalk.RobotText(fmt.Sprint(i))); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	calls := e.fake.Calls("/robot/send")
	short, cancel := context.WithDeadline(context.Background(), e.clock.Now().Add(time.Second))
	defer cancel()
	err := e.client.SendRobot(short, univRobot, dingtalk.RobotText("21st"))
	if !errors.Is(err, dingtalk.ErrThrottled) || e.fake.Calls("/robot/send") != calls {
		t.Errorf("21st within a minute, short deadline = %v after %d calls; want "+
			"ErrThrottled and no call", err, e.fake.Calls("/robot/send")-calls)
	}
	if err := e.client.SendRobot(context.Background(), univRobot,
		dingtalk.RobotText("21st")); err != nil {
		t.Errorf("21st with time to wait = %v, want sent after the window", err)
	}
	if w := e.sleeper.Waits(); len(w) != 1 || w[0] <= 0 || w[0] > time.Minute {
		t.Errorf("waits = %v, want one under a minute", w)
	}
}

func TestFakeMutesAFastRobot(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{Budget: admitAll{}})
	var err error
	for i := 0; i <= dingtalk.RobotPerMinute && err == nil; i++ {
		err = e.client.SendRobot(context.Background(), univRobot, dingtalk.RobotText("x"))
	}
	var de *dingtalk.Error
	if !errors.As(err, &de) || de.Errcode != 410100 || !errors.Is(err, dingtalk.ErrThrottled) {
		t.Errorf("21st unpaced message = %v, want errcode 410100", err)
	}
}
