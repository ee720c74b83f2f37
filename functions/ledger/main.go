// Command ledger is the xietong-ledger function, which runs the verifiable cross-
// organization ledger.
//
// Until issue #7 lands it answers only the runtime's health route
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

	// TODO(#7): submissions, receipts, proofs and checkpoints over HTTP, and
	// checkpoint publishing on a timer.
	f := runtime.Function{Name: "ledger", Logger: logger}

	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
