// Command notify is the xietong-notify function, which drains the notification outbox
// into DingTalk.
//
// Until issue #6 lands it answers only the runtime's health route
// (GET .../healthz) and nothing else.
package main

import (
	"os"

	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}

	// TODO(#6): timer and direct-invocation draining of the outbox within DingTalk's
	// limits.
	f := runtime.Function{Name: "notify", Logger: logger}

	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
