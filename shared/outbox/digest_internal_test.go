package outbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/dingtalk"
)

func TestDigestBodyFitsOneNotice(t *testing.T) {
	tests := []struct {
		items      int
		more       int64
		wantListed int // -1: fewer than all
	}{
		{1, 0, 1},
		{5, 0, 5},
		{maxDigestItems, 120, -1},
	}
	for _, tt := range tests {
		var items []digestItem
		for i := range tt.items {
			items = append(items, digestItem{ID: fmt.Sprint(i),
				Title: fmt.Sprintf("任务 T-%d 状态变更为待验收", i),
				Link:  fmt.Sprintf("https://xietong.example/app/#/tasks/T-%d?from=digest&x=1", i)})
		}
		body := digestBody("2026-12-03", items, tt.more)
		enc, _ := json.Marshal(dingtalk.MarkdownMessage("通知摘要 2026-12-03", body))
		if len(enc) > dingtalk.MaxNoticeBytes {
			t.Errorf("digest of %d+%d items encodes to %d bytes, over %d", tt.items, tt.more,
				len(enc), dingtalk.MaxNoticeBytes)
		}
		listed := strings.Count(body, "\n- ")
		total := int64(tt.items) + tt.more
		switch {
		case tt.wantListed >= 0 && listed != tt.wantListed:
			t.Errorf("digest of %d items lists %d, want %d", tt.items, listed, tt.wantListed)
		case tt.wantListed < 0 && !strings.Contains(body, fmt.Sprintf("另有 %d 条",
			total-int64(listed))):
			t.Errorf("digest of %d+%d items lists %d and does not count the rest:\n%s",
				tt.items, tt.more, listed, body)
		}
	}
}

func TestNextDay(t *testing.T) {
	day, start := nextDay("2026-12-31")
	if day != "2027-01-01" || start.UTC().Format("2006-01-02T15:04") != "2026-12-31T16:00" {
		t.Errorf("nextDay(2026-12-31) = %s, %v; want 2027-01-01 at 16:00 UTC", day, start.UTC())
	}
}
