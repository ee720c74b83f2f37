// Command reports is the xietong-reports function, which computes and pushes reports
// with charts.
//
// Until issue #8 lands it answers only the runtime's health route
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

	// TODO(#8): daily, weekly and monthly report timers and on-demand HTTP reports.
	f := runtime.Function{Name: "reports", Logger: logger}

	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
