// Command projects is the xietong-projects function, which serves the micro-app's
// organizations, projects, members and milestones.
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

	// TODO(#6): orgs, projects, members, milestones, role views and dashboards.
	f := runtime.Function{Name: "projects", Logger: logger}

	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
