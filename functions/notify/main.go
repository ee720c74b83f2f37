// Command notify is the xietong-notify function: it drains the notification
// outbox into DingTalk within DingTalk's limits, on its timer trigger and on a
// direct invocation {"action":"drain"} (which answers with the counts).
package main

import (
	"os"

	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	d, err := outbox.FromEnv(os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}

	f := runtime.Function{Name: "notify", Logger: logger, Timer: d.Timer, Invoke: d.Invoke}
	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
