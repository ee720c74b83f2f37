// Command witness runs a C2SP tlog-witness for xietong ledgers: it cosigns
// each checkpoint of the logs it follows that is consistent with the last one
// it saw, at POST /add-checkpoint.
//
//	witness -genkey witness.example.org/a -key witness.key    # prints the verifier key
//	witness -key witness.key -log-key <log vkey> -state state.json -listen 127.0.0.1:7380
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/xietong/xietong/shared/ledger/witness"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cmd, err := witness.ParseCommand(os.Args[1:], os.Stderr)
	if err != nil {
		logger.Error("witness.config", "error", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.Run(ctx, os.Stdout, logger); err != nil {
		logger.Error("witness.run", "error", err)
		os.Exit(1)
	}
}
