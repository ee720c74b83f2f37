// Command contracts is the xietong-contracts function: contract records,
// upload grants, verification of files landing in OSS (the OSS trigger),
// versions and download grants. The logic is package contracts.
package main

import (
	"os"

	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	svc, err := contracts.FromEnv(os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}

	f := runtime.Function{Name: "contracts", Logger: logger, HTTP: svc.Handler(),
		OSS: svc.HandleOSS}

	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
