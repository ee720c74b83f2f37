// Command dingtalk-callback is the xietong-dingtalk-callback function: it
// receives DingTalk HTTP event pushes for every configured organization,
// verifies, decrypts, deduplicates and dispatches them (directory sync,
// approval outcomes) and answers with the encrypted "success". Its timer
// trigger drains queued work and, with payload {"job":"reconcile"},
// reconciles each directory in full.
package main

import (
	"os"

	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	h, err := dingevents.FromEnv(os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}

	f := runtime.Function{Name: "dingtalk-callback", Logger: logger, HTTP: h, Timer: h.Timer}
	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
