package runtime

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// EnvLogLevel names the variable that sets the log level: debug, info
// (the default), warn or error.
const EnvLogLevel = "XT_LOG_LEVEL"

// ParseLogLevel parses an XT_LOG_LEVEL value, case-insensitively. The empty
// string is info.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("runtime: config %q: unknown level %q (want debug, info, warn or error)",
		EnvLogLevel, s)
}

// NewLogger returns a JSON slog logger writing to w at level.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// SetupLogging reads XT_LOG_LEVEL through getenv once, installs a JSON
// logger to w as slog's default and returns it. On a bad value it still
// installs an info-level logger, so the caller can log the returned error
// as the one line before exiting.
func SetupLogging(w io.Writer, getenv func(string) string) (*slog.Logger, error) {
	level, err := ParseLogLevel(getenv(EnvLogLevel))
	l := NewLogger(w, level)
	slog.SetDefault(l)
	return l, err
}
