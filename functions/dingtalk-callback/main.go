// Command dingtalk-callback is the xietong-dingtalk-callback function: it
// receives DingTalk HTTP event pushes for every configured organization,
// verifies, decrypts, deduplicates and dispatches them (directory sync,
// approval outcomes, which it applies to contracts) and answers with the
// encrypted "success". Its timer trigger drains queued work and, with
// payload {"job":"reconcile"}, reconciles each directory in full.
package main

import (
	"os"

	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

func main() {
	logger, err := runtime.SetupLogging(os.Stderr, os.Getenv)
	if err != nil {
		logger.Error("config", "error", err)
		os.Exit(1)
	}
	h, err := dingevents.FromEnv(os.Getenv, func(db *tables.Store) map[string]dingevents.Applier {
		return map[string]dingevents.Applier{contracts.ApprovalKind: contracts.NewApplier(db, nil)}
	})
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
