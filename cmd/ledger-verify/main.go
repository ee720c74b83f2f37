// Command ledger-verify checks, fully offline, a receipt of the xietong
// ledger against the entry's bytes, a checkpoint's signature and witness
// cosignatures, or the consistency of two checkpoints, or replays a whole
// log (from a directory or the function's URL) recomputing every contract
// result, and prints a verdict that names what failed. The logic is package
// ledgerverify.
//
//	ledger-verify receipt -log-key @log.vkey -receipt 7.tlog-proof -entry 7.json
//	ledger-verify checkpoint -log-key @log.vkey -checkpoint cp -witness @w.vkey -k 1
//	ledger-verify consistency -log-key @log.vkey -old cp1 -new cp2 -proof cons.json
//	ledger-verify replay -log-key @log.vkey -log https://host/api/ledger/
//
// It exits 0 when verified, 1 when verification failed, 2 on bad usage.
package main

import (
	"os"

	"github.com/xietong/xietong/shared/ledgerverify"
)

func main() {
	os.Exit(ledgerverify.Main(os.Args[1:], os.Stdout, os.Stderr))
}
