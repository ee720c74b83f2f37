// Package cli implements the localdev command: up (the local cloud), invoke (one event
// through a real function binary, like `sam local invoke`), trigger (fire a timer of a
// running stack), package (deployment zips) and reset (clear .localdev).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the work failed (a build, a function error, a timeout)
	exitUsage = 2 // bad arguments or bad input files
)

// errUsage marks errors that are the caller's fault.
var errUsage = errors.New("usage")

// env is what every subcommand gets.
type env struct {
	stdout, stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

func commands() []command {
	return []command{
		{"up", "[--watch]  build every function in s.yaml and run the local cloud", runUp},
		{"invoke", "<function> <event.json>  run one event through the real binary", runInvoke},
		{"trigger", "<function> <trigger>  fire a timer of the running stack now", runTrigger},
		{"dingtalk", "emit [--corp C] <event> [k=v ...]  push a DingTalk event to the stack",
			runDingTalk},
		{"package", "<builddir> <distdir>  zip each <name>/main into <name>.zip", runPackage},
		{"reset", "delete .localdev (data, secrets, binaries)", runReset},
	}
}

// Main runs the localdev command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" || args[0] == "--help" {
		usage(stderr)
		return exitUsage
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(e, args[1:])
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitUsage
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "localdev %s: %v\n", c.name, err)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "localdev %s: %v\n", c.name, err)
			return exitFail
		}
	}
	fmt.Fprintf(stderr, "localdev: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: localdev <command> [flags] [args]")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// project locates the repository: the directory holding s.yaml, from dir upwards.
type project struct {
	root  string // repository root
	sfile string // s.yaml
	data  string // .localdev
}

// findProject finds s.yaml (sfile, or the nearest upwards from start); data overrides
// the state directory.
func findProject(start, sfile, data string) (project, error) {
	p, err := locate(start, sfile)
	if err == nil && data != "" {
		p.data, err = filepath.Abs(data)
	}
	return p, err
}

func locate(start, sfile string) (project, error) {
	if sfile != "" {
		abs, err := filepath.Abs(sfile)
		if err != nil {
			return project{}, err
		}
		root := filepath.Dir(abs)
		return project{root: root, sfile: abs, data: filepath.Join(root, ".localdev")}, nil
	}
	dir, err := filepath.Abs(start)
	if err != nil {
		return project{}, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "s.yaml")); err == nil {
			return project{root: dir, sfile: filepath.Join(dir, "s.yaml"),
				data: filepath.Join(dir, ".localdev")}, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return project{}, usageErr("no s.yaml in %s or any parent (use --file)", start)
		}
		dir = parent
	}
}
