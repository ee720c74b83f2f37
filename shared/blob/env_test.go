package blob_test

import (
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/blob"
)

func TestFromEnv(t *testing.T) {
	full := map[string]string{
		"OSS_ENDPOINT":                "https://oss-cn-hangzhou-internal.aliyuncs.com",
		"OSS_BUCKET":                  "xietong-files",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
	}
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	cfg, err := blob.ConfigFromEnv(env(full))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicEndpoint != "https://oss-cn-hangzhou.aliyuncs.com" {
		t.Errorf("public endpoint %q; want the internal endpoint's public twin",
			cfg.PublicEndpoint)
	}
	if _, err := blob.StoreFromEnv(env(full)); err != nil {
		t.Errorf("StoreFromEnv with every setting: %v", err)
	}
	part := map[string]string{"OSS_ENDPOINT": full["OSS_ENDPOINT"]}
	_, err = blob.StoreFromEnv(env(part))
	want := "missing ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, OSS_BUCKET"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("StoreFromEnv without credentials = %v; want it to name %q", err, want)
	}
}
