package fcrt

import (
	"os/exec"
	"syscall"
)

// bindToParent makes the kernel kill the instance if localdev dies without cleaning up,
// so that no orphan keeps polling a runtime API that is gone.
func bindToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
