// Command tasks is the xietong-tasks function, which serves the micro-app's
// tasks, decomposition, status workflow, progress, dependencies, work logs,
// comments, baselines and the lead's and staff views (package tasksapi).
package main

import (
	"os"

	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tasksapi"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	svc, err := tasksapi.FromEnv(os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	f := runtime.Function{Name: "tasks", HTTP: svc.Handler(), Logger: logger}
	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
