// Command dingtalk-callback is the xietong-dingtalk-callback function: it
// receives DingTalk HTTP event pushes for every configured organization,
// verifies, decrypts, deduplicates and dispatches them (directory sync,
// approval outcomes, which it applies to contracts and projects) and
// answers with the encrypted "success". Its timer trigger drains queued
// work, pulls DingTalk's list of events whose push failed, and continues a
// directory reconcile step by step; payload {"job":"reconcile"} starts one.
package main

import (
	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/dingevents"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

func main() {
	runtime.Main("dingtalk-callback", func(getenv func(string) string) (runtime.Function, error) {
		h, err := dingevents.FromEnv(getenv, appliers)
		if err != nil {
			return runtime.Function{}, err
		}
		return runtime.Function{HTTP: h, Timer: h.Timer}, nil
	})
}

// appliers puts approval outcomes on the objects they decide, by object kind.
func appliers(db *tables.Store) map[string]dingevents.Applier {
	return map[string]dingevents.Applier{contracts.ApprovalKind: contracts.NewApplier(db, nil),
		projects.ApprovalKind: projects.NewApplier(db)}
}
