// Command projects is the xietong-projects function: sign-in with DingTalk
// free-login codes, organizations, projects, members, milestones and the
// executive and department views. The logic is package projects.
package main

import (
	"os"

	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	svc, err := projects.FromEnv(os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}

	f := runtime.Function{Name: "projects", Logger: logger, HTTP: svc.Handler()}

	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
