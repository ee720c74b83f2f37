package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// fingerprint summarises a set of source directories: a change to any file's name,
// size or modification time changes it.
type fingerprint struct {
	files  int
	size   int64
	latest time.Time
}

func takeFingerprint(dirs []string) fingerprint {
	var fp fingerprint
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || info.IsDir() {
				continue
			}
			fp.files++
			fp.size += info.Size()
			if info.ModTime().After(fp.latest) {
				fp.latest = info.ModTime()
			}
		}
	}
	return fp
}

// watch polls each function's source directories every interval and rebuilds and
// reloads a function whose sources changed. A failed build keeps the old binary running.
func (s *stack) watch(ctx context.Context, interval time.Duration) {
	dirs := map[string][]string{}
	prints := map[string]fingerprint{}
	for _, name := range s.functionNames() {
		d, err := s.build.sourceDirs(ctx, name)
		if err != nil {
			fmt.Fprintf(s.cfg.out, "watch %s: %v\n", name, err)
		}
		dirs[name] = append(d, s.cfg.proj.root) // go.mod, go.sum
		prints[name] = takeFingerprint(dirs[name])
	}
	fmt.Fprintf(s.cfg.out, "watching sources of %d functions\n", len(dirs))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, name := range s.functionNames() {
			fp := takeFingerprint(dirs[name])
			if fp == prints[name] {
				continue
			}
			prints[name] = fp
			if d, err := s.build.sourceDirs(ctx, name); err == nil {
				dirs[name] = append(d, s.cfg.proj.root)
			}
			s.rebuild(ctx, name)
		}
	}
}

// rebuild builds name beside its running binary and swaps it in.
func (s *stack) rebuild(ctx context.Context, name string) {
	start := time.Now()
	fmt.Fprintf(s.cfg.out, "rebuild %s ... ", name)
	next := filepath.Join(s.cfg.proj.data, "bin.next")
	tmp := &builder{root: s.build.root, binDir: next, out: s.cfg.out}
	if err := tmp.build(ctx, name); err != nil {
		fmt.Fprintf(s.cfg.out, "FAILED, keeping the running binary\n%v\n", err)
		return
	}
	bin := s.build.binary(name)
	if err := os.Rename(tmp.binary(name), bin); err != nil {
		fmt.Fprintf(s.cfg.out, "FAILED: %v\n", err)
		return
	}
	s.pools[name].Reload(bin)
	if err := s.pools[name].Warm(ctx, 1); err != nil {
		fmt.Fprintf(s.cfg.out, "restart FAILED: %v\n", err)
		return
	}
	fmt.Fprintf(s.cfg.out, "%.1fs, restarted\n", time.Since(start).Seconds())
}
