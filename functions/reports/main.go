// Command reports is the xietong-reports function: the daily, weekly and
// monthly reports with charts on its timer triggers, and reports on demand
// and snapshots of sent reports over HTTP (package reports).
package main

import (
	"github.com/xietong/xietong/shared/reports"
	"github.com/xietong/xietong/shared/runtime"
)

func main() {
	runtime.Main("reports", func(getenv func(string) string) (runtime.Function, error) {
		svc, err := reports.FromEnv(getenv)
		if err != nil {
			return runtime.Function{}, err
		}
		return runtime.Function{HTTP: svc.Handler(), Timer: svc.Timer}, nil
	})
}
