// Command ledger is the xietong-ledger function: the verifiable
// cross-organization ledger's HTTP API (submissions, entries, proofs,
// checkpoints, receipts, tiles) and its timer (ledger record requests,
// integration, checkpoints). The logic is package ledgerapi.
package main

import (
	"os"

	"github.com/xietong/xietong/shared/ledgerapi"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	svc, err := ledgerapi.FromEnv(os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}

	f := runtime.Function{Name: "ledger", Logger: logger, HTTP: svc.Handler(), Timer: svc.Tick}

	if err := runtime.Start(f); err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
}
