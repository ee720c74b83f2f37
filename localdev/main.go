// Command localdev runs xietong's local cloud: every function of s.yaml as its real
// binary under an emulated Function Compute runtime, behind an HTTP gateway, with timers,
// OSS events and the Tablestore and OSS emulators. Run `localdev help` for commands.
package main

import (
	"os"

	"github.com/xietong/xietong/localdev/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
