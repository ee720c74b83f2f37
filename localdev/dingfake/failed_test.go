package dingfake_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
)

// TestFailedListPages fails three pushes and reads the failed list through
// the real client, two entries a read: has_more pages through them in order,
// each read deletes what it returned, and every entry has DingTalk's shape
// (tag, time, the event under its tag; an approval's under bpmsCallBackData).
func TestFailedListPages(t *testing.T) {
	rc := &receiver{failFirst: 1 << 30}
	f := dingfake.New(dingfake.Config{Orgs: dingfake.DefaultSeed(), RetryDelays: fastRetries,
		FailedPage: 2})
	target := httptest.NewServer(rc)
	defer target.Close()
	ctx := context.Background()
	pushes := []struct {
		typ    string
		fields map[string]any
	}{
		{"user_leave_org", map[string]any{"UserId": []string{"u-dev-2"}}},
		{"org_dept_create", map[string]any{"DeptId": []int64{7}}},
		{"bpms_instance_change", map[string]any{"processInstanceId": "inst-1",
			"type": "finish", "result": "agree"}},
	}
	for _, p := range pushes {
		if err := f.Push(ctx, target.URL, dingfake.UniversityCorp, p.typ,
			p.fields); !errors.Is(err, dingfake.ErrPush) {
			t.Fatalf("Push(%s) = %v, want ErrPush", p.typ, err)
		}
	}
	if n, _ := rc.counts(); n != 3*(1+len(fastRetries)) {
		t.Errorf("receiver saw %d requests, want %d", n, 3*(1+len(fastRetries)))
	}
	if n := f.FailedCount(dingfake.UniversityCorp); n != 3 {
		t.Fatalf("FailedCount = %d, want 3", n)
	}

	c := fakeClient(t, f)
	var got []string
	for i, wantMore := range []bool{true, false, false} {
		page, err := c.FailedEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if page.HasMore != wantMore {
			t.Errorf("read %d: has_more %v, want %v", i, page.HasMore, wantMore)
		}
		for _, ev := range page.Events {
			got = append(got, ev.Tag+" "+string(ev.Payload))
			if ev.EventTime == 0 {
				t.Errorf("%s: no event_time", ev.Tag)
			}
		}
	}
	want := []string{
		`user_leave_org {"corpid":"` + dingfake.UniversityCorp + `","userid":["u-dev-2"]}`,
		`org_dept_create {"corpid":"` + dingfake.UniversityCorp + `","deptid":[7]}`,
		`bpms_instance_change {"bpmsCallBackData":{"processInstanceId":"inst-1",` +
			`"result":"agree","type":"finish"},"corpid":"` + dingfake.UniversityCorp + `"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failed list (-want +got):\n%s", diff)
	}
}

// fakeClient is a client of the university's app on f.
func fakeClient(t *testing.T, f *dingfake.Fake) *dingtalk.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	a := dingfake.DefaultSeed()[0].Apps[0]
	c, err := dingtalk.New(dingtalk.App{CorpID: dingfake.UniversityCorp, AppKey: a.AppKey,
		AppSecret: a.AppSecret}, dingtalk.Options{QPS: -1,
		Endpoints: dingtalk.Endpoints{OAPI: srv.URL, API: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
