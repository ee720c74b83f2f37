package outbox

import (
	"context"
	"fmt"

	"github.com/xietong/xietong/shared/dingtalk"
)

// NoticeOf exposes how a notice kind is rendered, for tests that send it
// the way a crashed drainer would have.
func NoticeOf(m Message) dingtalk.Message { return m.notice() }

// LockChatForTest takes key's chat lock as d, as a drainer that then died.
func LockChatForTest(ctx context.Context, d *Drainer, corp, key string, pending []string) {
	if _, wait, err := d.lockReg(ctx, chatRegKey(corp, key), key, pending); err != nil || wait > 0 {
		panic(fmt.Sprintf("lock chat %q: wait %s, %v", key, wait, err))
	}
}
