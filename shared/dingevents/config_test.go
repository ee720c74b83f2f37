package dingevents_test

import (
	"testing"

	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/dingtalk"
)

func TestCorpsFromApps(t *testing.T) {
	push := dingtalk.App{CorpID: "c1", AppKey: "k1", AppSecret: "s", CallbackToken: "tok",
		AESKey: univAESKey}
	quiet := dingtalk.App{CorpID: "c2", AppKey: "k2", AppSecret: "s"}
	corps, err := dingevents.CorpsFromApps([]dingtalk.App{push, quiet}, dingtalk.Options{})
	if err != nil || len(corps) != 1 || corps[0].CorpID != "c1" {
		t.Fatalf("CorpsFromApps = %+v, %v; want only c1", corps, err)
	}
	bad := push
	bad.AESKey = "short"
	for _, apps := range [][]dingtalk.App{{quiet}, {bad}, nil} {
		if _, err := dingevents.CorpsFromApps(apps, dingtalk.Options{}); err == nil {
			t.Errorf("CorpsFromApps(%+v) succeeded, want an error", apps)
		}
	}
}
