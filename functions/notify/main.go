// Command notify is the xietong-notify function: it drains the notification
// outbox into DingTalk within DingTalk's limits, on its timer trigger and on a
// direct invocation {"action":"drain"} (which answers with the counts).
package main

import (
	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	runtime.Main("notify", func(getenv func(string) string) (runtime.Function, error) {
		d, err := outbox.FromEnv(getenv)
		if err != nil {
			return runtime.Function{}, err
		}
		return runtime.Function{Timer: d.Timer, Invoke: d.Invoke}, nil
	})
}
