package cli

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// runPackage zips <builddir>/<name>/main into <distdir>/<name>.zip for every function
// directory in builddir: the binary sits at the zip root as "main", mode 0755, which is
// what FC's go1 runtime with handler "main" expects.
func runPackage(e *env, args []string) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErr("want: package <builddir> <distdir>")
	}
	names, err := builtFunctions(fs.Arg(0))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(fs.Arg(1), 0o755); err != nil {
		return err
	}
	for i, name := range names {
		dst := filepath.Join(fs.Arg(1), name+".zip")
		if err := zipBinary(filepath.Join(fs.Arg(0), name, "main"), dst); err != nil {
			return err
		}
		info, _ := os.Stat(dst)
		fmt.Fprintf(e.stdout, "package %d/%d %s ... %.1f MB\n", i+1, len(names), dst,
			float64(info.Size())/(1<<20))
	}
	return nil
}

// builtFunctions lists the subdirectories of dir that hold a "main" file.
func builtFunctions(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, usageErr("build dir: %v (run make build first)", err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "main")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, usageErr("no <name>/main binaries in %s (run make build first)", dir)
	}
	sort.Strings(names)
	return names, nil
}

func zipBinary(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(out)
	hdr := &zip.FileHeader{Name: "main", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		return fmt.Errorf("zip %q: %w", src, err)
	}
	return zw.Close()
}

// runReset deletes .localdev: emulator data, generated secrets and binaries.
func runReset(e *env, args []string) error {
	fs := flag.NewFlagSet("reset", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	file := fs.String("file", "", "s.yaml (default: the nearest s.yaml upwards)")
	data := fs.String("data", "", "state directory (default: .localdev beside s.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	proj, err := findProject(".", *file, *data)
	if err != nil {
		return err
	}
	if _, err := readState(proj); err == nil {
		return fmt.Errorf("a stack is running on this data; stop it first")
	}
	if err := os.RemoveAll(proj.data); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed %s\n", proj.data)
	return nil
}
