package runtime

import (
	"io"
	"os"
)

// Build makes a function's handlers from its environment, read through getenv
// once. Name and Logger are filled in by Main.
type Build func(getenv func(string) string) (Function, error)

// Main is the whole of a function binary's main: it sets up JSON logging
// (XT_LOG_LEVEL), builds the function, and starts it on the host the
// environment names. A bad configuration or a failed start is logged as one
// line and exits the process with status 1.
func Main(name string, build Build) {
	os.Exit(run(name, build, os.Stderr, os.Getenv))
}

// run is Main without the exit, for tests: it returns the process status.
func run(name string, build Build, stderr io.Writer, getenv func(string) string) int {
	logger, err := SetupLogging(stderr, getenv)
	if err != nil {
		logger.Error("config", "function", name, "error", err)
		return 1
	}
	f, err := build(getenv)
	if err != nil {
		logger.Error("config", "function", name, "error", err)
		return 1
	}
	f.Name, f.Logger = name, logger
	if err := Start(f); err != nil {
		logger.Error("start", "function", name, "error", err)
		return 1
	}
	return 0
}
