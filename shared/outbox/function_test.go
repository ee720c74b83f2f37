package outbox_test

import (
	"strings"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/outbox"
)

func TestFromEnv(t *testing.T) {
	s := newStack(t, dingfake.Config{})
	base := map[string]string{
		"TABLESTORE_ENDPOINT": s.env.Endpoint, "TABLESTORE_INSTANCE": s.env.Instance,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     s.env.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": s.env.AccessKeySecret,
		"DINGTALK_OAPI_BASE":              s.url, "DINGTALK_API_BASE": s.url,
		"DINGTALK_APPS": `[{"corpId":"` + univ + `","appKey":"dinguniv-xietong",` +
			`"appSecret":"univ-secret-0001","agentId":3100001}]`,
	}
	tests := []struct {
		name, unset, set, wantErr string
	}{
		{name: "complete"},
		{name: "no endpoint", unset: "TABLESTORE_ENDPOINT", wantErr: "TABLESTORE_ENDPOINT"},
		{name: "bad apps", set: "[{}]", wantErr: "DINGTALK_APPS"},
		{name: "default api base", unset: "DINGTALK_API_BASE"},
	}
	for _, tt := range tests {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		delete(env, tt.unset)
		if tt.set != "" {
			env["DINGTALK_APPS"] = tt.set
		}
		d, err := outbox.FromEnv(func(k string) string { return env[k] })
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("FromEnv(%s) = %v, want a drainer", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("FromEnv(%s) = %v, want an error naming %s", tt.name, err, tt.wantErr)
		case err == nil && strings.Join(d.Corps(), ",") != univ:
			t.Errorf("FromEnv(%s).Corps() = %v, want [%s]", tt.name, d.Corps(), univ)
		}
	}
}
