package outbox

import "github.com/xietong/xietong/shared/dingtalk"

// NoticeOf exposes how a notice kind is rendered, for tests that send it
// the way a crashed drainer would have.
func NoticeOf(m Message) dingtalk.Message { return m.notice() }
