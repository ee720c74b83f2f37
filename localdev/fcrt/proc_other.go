//go:build !linux

package fcrt

import "os/exec"

// bindToParent is a no-op off Linux: an instance orphaned by a crashed localdev must be
// killed by hand there.
// TODO(#2): reap orphans on macOS too (a pipe the child's parent holds, or a pid file).
func bindToParent(cmd *exec.Cmd) {}
