package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// builder compiles function binaries for the host, from functions/<name>.
type builder struct {
	root   string // repository root
	binDir string // binaries go to <binDir>/<name>/main
	out    io.Writer
}

// binary returns where the binary of function name goes.
func (b *builder) binary(name string) string {
	return filepath.Join(b.binDir, name, "main")
}

// buildAll builds every function in order, printing "build 3/7 projects ... 2.1s".
func (b *builder) buildAll(ctx context.Context, names []string) error {
	for i, name := range names {
		fmt.Fprintf(b.out, "build %d/%d %s ... ", i+1, len(names), name)
		start := time.Now()
		if err := b.build(ctx, name); err != nil {
			fmt.Fprintln(b.out, "FAILED")
			return err
		}
		fmt.Fprintf(b.out, "%.1fs\n", time.Since(start).Seconds())
	}
	return nil
}

// build compiles one function; the error carries the compiler's output.
func (b *builder) build(ctx context.Context, name string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", b.binary(name),
		"./functions/"+name)
	cmd.Dir = b.root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %q: %v\n%s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// sourceDirs lists the directories inside the module whose files the function's binary
// is built from (its package and every module package it imports).
func (b *builder) sourceDirs(ctx context.Context, name string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-deps",
		"-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", "./functions/"+name)
	cmd.Dir = b.root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list sources of %q: %w", name, err)
	}
	var dirs []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			dirs = append(dirs, line)
		}
	}
	return dirs, nil
}
