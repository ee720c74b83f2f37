package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/xietong/xietong/events"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// timerEvent loads the fixture of one reports timer.
func timerEvent(t *testing.T, k Kind) runtime.TimerEvent {
	t.Helper()
	b, err := events.Load("fc-timer-reports-" + string(k) + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var ev runtime.TimerEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// The reports each timer must enqueue, by recipient, with text their body
// must contain (the figures computed by hand from the seed).
var wantReports = map[Kind]map[string][]string{
	// 2026-12-03, 18:00 CST.
	Daily: {
		"person:" + dev1: {"今日到期 1 · 已逾期 1 · 受阻 0 · 待我审核 0",
			"界面设计", "接口开发"},
		"person:" + dev2: {"今日到期 0 · 已逾期 2 · 受阻 1 · 待我审核 0",
			"采购", "部署脚本"},
		"person:" + appsLead: {"今日到期 0 · 已逾期 0 · 受阻 0 · 待我审核 1",
			"验收材料"},
	},
	// Monday 2026-12-07, 09:00 CST; hours of 11-30..12-06.
	Weekly: {
		"lead:" + appsLead: {"项目周报 2026-W50 · 赵组长", "门户改版",
			"基线 B-1：1 个里程碑推迟，最多 2 天",
			"风险里程碑 M-1 一期上线：截止 12-10", "逾期任务 2",
			"供应商交付 M-2 二期交付 截止 12-15",
			"供应商交付 T-6 供应商接口 截止 12-09", "近 7 天工时** 4.0h",
			"陈工 2.0h", "刘工 1.5h", "阿克米开发 0.5h",
			"![燃起图 门户改版](", "![成员工时]("},
		"lead:" + infraLead: {"项目周报 2026-W50 · 张组长", "机房升级",
			"风险里程碑 M-1 机房改造：截止 12-05",
			"逾期任务 2：T-1 采购、T-2 布线", "工时**：无记录",
			"成员工时：暂无数据"},
		"dept:" + director: {"部门周报 2026-W50 · 李主任",
			"项目 2 · 逾期任务 4 · 风险里程碑 2", "按状态：active 2"},
		"group:" + portalChat: {"项目周报 2026-W50 · 门户改版",
			"**门户改版**（p-portal）", "逾期任务 2",
			"供应商交付 T-6 供应商接口 截止 12-09", "近 7 天工时** 4.0h",
			"![燃起图](", "![成员工时]("},
		"dept:" + appsLead: {"部门周报 2026-W50 · 赵组长",
			"项目 1 · 逾期任务 2 · 风险里程碑 1", "门户改版"},
		"dept:" + infraLead: {"部门周报 2026-W50 · 张组长",
			"项目 1 · 逾期任务 2 · 风险里程碑 1", "机房升级"},
	},
	// 2026-12-01, 09:00 CST: the report on November.
	Monthly: {
		"executive:" + president: {"月度项目报告 2026-11",
			"项目 3 · 本月启动 2 · 本月完成 1", "按状态：active 2，closed 1",
			"按部门：4 1，5 1，6 1", "按预算档：10万-100万 3",
			"预算合计 80.0万，合同金额合计 60.0万",
			"合同超预算：门户改版（预算 50.0万，合同 60.0万）",
			"本月完成：财务系统",
			"**供应商评价**（账本记录）",
			"- 阿克米科技：评价 2 次，平均 82.5 分，最低 75 分；条目 " +
				"[#7](https://xietong.invalid/app/ledger/entries/7) " +
				"[#12](https://xietong.invalid/app/ledger/entries/12)",
			"- 其他供应商：评价 1 次，平均 60.0 分，最低 60 分；条目 [#9](",
			"![项目状态]("},
	},
}

// fire runs the timer fixture of kind k through the runtime's dispatch, as
// a host delivers it, and returns the handler's error and its log.
func (st *stack) fire(t *testing.T, k Kind) (string, error) {
	t.Helper()
	b, err := events.Load("fc-timer-reports-" + string(k) + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	f := runtime.Function{Name: "reports", Timer: st.svc.Timer, HTTP: st.svc.Handler(),
		Logger: slog.New(slog.NewJSONHandler(&log, nil))}
	_, err = f.Dispatch(context.Background(), b)
	return log.String(), err
}

func TestTimersSendEachReportOnce(t *testing.T) {
	st := newStack(t, Config{})
	st.seed(t)
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			before := len(st.outbox(uni))
			if log, err := st.fire(t, k); err != nil {
				t.Fatalf("fire %s: %v\n%s", k, err, log)
			}
			rows := st.outbox(uni)
			got := byRecipient(rows)
			mine := 0
			for _, r := range rows {
				if strings.Contains(r.Dedupe, "/report/"+string(k)+"/") {
					mine++
				}
			}
			if mine != len(wantReports[k]) || len(rows)-before != mine {
				t.Errorf("%d %s reports enqueued (%d new rows), want %d: %v", mine, k,
					len(rows)-before, len(wantReports[k]), keys(got))
			}
			for who, texts := range wantReports[k] {
				r, ok := got[who]
				if !ok {
					t.Errorf("no %s report for %s", k, who)
					continue
				}
				for _, s := range texts {
					if !strings.Contains(r.Body, s) {
						t.Errorf("%s report of %s lacks %q:\n%s", k, who, s, r.Body)
					}
				}
				if strings.HasPrefix(who, AudienceGroup+":") {
					if r.Kind != "chat" || len(r.Users) != 0 || r.Link == "" {
						t.Errorf("%s report of %s: kind %q users %v link %q, want a chat"+
							" message with a link", k, who, r.Kind, r.Users, r.Link)
					}
					continue
				}
				_, user, _ := strings.Cut(strings.SplitN(who, ":", 2)[1], ":")
				if len(r.Users) != 1 || r.Users[0] != user || r.Link == "" {
					t.Errorf("%s report of %s: users %v link %q", k, who, r.Users, r.Link)
				}
			}

			// What lands in DingTalk: one notice per report, carrying its text.
			st.drain(uni)
			for who, texts := range wantReports[k] {
				if strings.HasPrefix(who, AudienceGroup+":") {
					continue // a chat's messages are not in a user's inbox
				}
				_, user, _ := strings.Cut(strings.SplitN(who, ":", 2)[1], ":")
				n := 0
				for _, e := range st.fake.Inbox(user) {
					if strings.Contains(string(e.Content), texts[0]) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%s's inbox has %d %s notices with %q, want 1", user, n, k, texts[0])
				}
			}

			// Firing again adds nothing.
			log, err := st.fire(t, k)
			if err != nil || !strings.Contains(log, `"already":true`) {
				t.Fatalf("fire %s again: %v\n%s", k, err, log)
			}
			if n := len(st.outbox(uni)); n != len(rows) {
				t.Errorf("second %s run: %d outbox rows, want %d", k, n, len(rows))
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A project whose rows make no valid plan (here a bare project row, with
// no organization and no lead) is left out and named in the result; the
// other projects' reports go out.
func TestUnreadableProjectIsLeftOut(t *testing.T) {
	st := newStack(t, Config{})
	st.seed(t)
	_, err := st.db.Create(context.Background(), tables.Project.Name,
		tables.Key{tables.TenantKey(uni), "P-BARE"}, tables.Cols{"name": "bare"})
	if err != nil {
		t.Fatal(err)
	}
	at := start.AddDate(0, 0, 4) // Monday 2026-12-07
	res, err := st.svc.Run(context.Background(), uni, Weekly, at)
	if err != nil || !res.Done {
		t.Fatalf("Run = %+v, %v; want done", res, err)
	}
	if len(res.Unreadable) != 1 || !strings.HasPrefix(res.Unreadable[0], "P-BARE: ") {
		t.Errorf("Unreadable = %q, want P-BARE with its reason", res.Unreadable)
	}
	if res.Served != len(wantReports[Weekly]) {
		t.Errorf("served %d weekly reports, want %d", res.Served, len(wantReports[Weekly]))
	}
}
