// Command ledger is the xietong-ledger function: the verifiable
// cross-organization ledger's HTTP API (submissions, entries, proofs,
// checkpoints, receipts, tiles) and its timer (ledger record requests,
// integration, checkpoints). The logic is package ledgerapi.
package main

import (
	"github.com/xietong/xietong/shared/ledgerapi"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	runtime.Main("ledger", func(getenv func(string) string) (runtime.Function, error) {
		svc, err := ledgerapi.FromEnv(getenv)
		if err != nil {
			return runtime.Function{}, err
		}
		return runtime.Function{HTTP: svc.Handler(), Timer: svc.Tick}, nil
	})
}
