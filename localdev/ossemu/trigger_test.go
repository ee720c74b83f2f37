package ossemu_test

import (
	"testing"

	"github.com/xietong/xietong/localdev/ossemu"
)

func TestTriggerMatches(t *testing.T) {
	tr := ossemu.Trigger{Bucket: "files", Events: []string{"oss:ObjectCreated:*",
		"oss:ObjectRemoved:DeleteObject"}, Prefix: "contracts/", Suffix: ".pdf"}
	tests := []struct {
		bucket, key, event string
		want               bool
	}{
		{"files", "contracts/a.pdf", "ObjectCreated:PostObject", true},
		{"files", "contracts/a.pdf", "ObjectCreated:PutObject", true},
		{"files", "contracts/a.pdf", "ObjectRemoved:DeleteObject", true},
		{"files", "contracts/a.pdf", "ObjectRemoved:DeleteObjects", false},
		{"files", "reports/a.pdf", "ObjectCreated:PutObject", false},
		{"files", "contracts/a.png", "ObjectCreated:PutObject", false},
		{"other", "contracts/a.pdf", "ObjectCreated:PutObject", false},
	}
	for _, tt := range tests {
		ev := ossemu.Event{Bucket: tt.bucket, Key: tt.key, EventName: tt.event}
		if got := tr.Matches(ev); got != tt.want {
			t.Errorf("Matches(%s %s/%s) = %v, want %v", tt.event, tt.bucket, tt.key, got, tt.want)
		}
	}
	if got := ossemu.BucketFromARN("acs:oss:cn-hangzhou:123:files"); got != "files" {
		t.Errorf("BucketFromARN = %q, want files", got)
	}
	if got := ossemu.BucketFromARN("acs:fc:cn-hangzhou:123:files"); got != "" {
		t.Errorf("BucketFromARN(not oss) = %q, want empty", got)
	}
}
