package dingfake_test

import (
	"context"
	"slices"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
)

// TestPushEnvelopes pushes one event in each envelope and checks the keys
// the receiver decrypts: the legacy shape keeps the fields as given and has
// no eventId; the documented one renames UserId and DeptId and carries
// EventTime, BizId and an eventId. Each push is accepted on its retry.
func TestPushEnvelopes(t *testing.T) {
	tests := []struct {
		env  dingfake.Envelope
		want []string
	}{
		{dingfake.EnvelopeLegacy, []string{"CorpId", "DeptId", "EventType", "TimeStamp",
			"UserId"}},
		{dingfake.EnvelopeDocumented, []string{"BizId", "CorpId", "EventTime", "EventType",
			"deptId", "eventId", "timeStamp", "userId"}},
	}
	for _, tt := range tests {
		rc := &receiver{failFirst: 1} // one retry
		f, url := newPushFake(t, rc)
		f.SetEnvelope(tt.env)
		err := f.Push(context.Background(), url, dingfake.UniversityCorp, "user_add_org",
			map[string]any{"UserId": []string{"u-new"}, "DeptId": []int64{5}})
		if err != nil {
			t.Fatalf("envelope %d: Push: %v", tt.env, err)
		}
		if _, n := rc.counts(); n != 1 {
			t.Fatalf("envelope %d: receiver accepted %d events, want 1", tt.env, n)
		}
		var keys []string
		for k := range rc.events[0] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, tt.want) {
			t.Errorf("envelope %d: keys %v, want %v", tt.env, keys, tt.want)
		}
		if id, _ := rc.events[0]["eventId"].(string); tt.env == dingfake.EnvelopeDocumented &&
			(id == "" || id != rc.events[0]["BizId"]) {
			t.Errorf("documented envelope: eventId %q, BizId %v", id, rc.events[0]["BizId"])
		}
	}
}
