// Command contracts is the xietong-contracts function: contract records,
// upload grants, verification of files landing in OSS (the OSS trigger),
// versions and download grants. The logic is package contracts.
package main

import (
	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	runtime.Main("contracts", func(getenv func(string) string) (runtime.Function, error) {
		svc, err := contracts.FromEnv(getenv)
		if err != nil {
			return runtime.Function{}, err
		}
		return runtime.Function{HTTP: svc.Handler(), OSS: svc.HandleOSS}, nil
	})
}
