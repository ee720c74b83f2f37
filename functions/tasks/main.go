// Command tasks is the xietong-tasks function, which serves the micro-app's tasks,
// progress, work logs and comments.
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

	// TODO(#6): task create/decompose/assign/update, status workflow, progress, work
	// logs and comments.
	f := runtime.Function{Name: "tasks", Logger: logger}

	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
