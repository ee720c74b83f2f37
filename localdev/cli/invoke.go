package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/xietong/xietong/localdev/fcrt"
	"github.com/xietong/xietong/localdev/spec"
)

// runInvoke runs one event file through a function's real binary and prints the result,
// like `sam local invoke`. It uses a running stack's emulators when one is up, and
// starts its own otherwise.
func runInvoke(e *env, args []string) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	file := fs.String("file", "", "s.yaml (default: the nearest s.yaml upwards)")
	data := fs.String("data", "", "state directory (default: .localdev beside s.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErr("want: invoke <function> <event.json>")
	}
	event, err := readEvent(fs.Arg(1))
	if err != nil {
		return err
	}
	proj, err := findProject(".", *file, *data)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return invokeOnce(ctx, e, proj, fs.Arg(0), event)
}

// readEvent reads an event file and checks that it is JSON.
func readEvent(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr("event file: %v", err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, usageErr("event file %s is not valid JSON: %v", path, jsonErrorAt(data, err))
	}
	return data, nil
}

// jsonErrorAt adds the line and column of a syntax error.
func jsonErrorAt(data []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	before := data[:se.Offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n') - 1
	return fmt.Errorf("line %d, column %d: %v", line, col, err)
}

func invokeOnce(ctx context.Context, e *env, proj project, name string, event []byte) error {
	if st, err := readState(proj); err == nil {
		return invokeWith(ctx, e, proj, name, event, st.Env)
	}
	// No stack running: bring up the emulators (no functions) for this one call.
	s := &stack{cfg: stackConfig{proj: proj, out: e.stderr}, pools: map[string]*fcrt.Pool{}}
	if err := s.startBare(); err != nil {
		return err
	}
	defer s.close()
	return invokeWith(ctx, e, proj, name, event, s.env)
}

// startBare starts only the emulators and the DingTalk fake, for invoke.
func (s *stack) startBare() error {
	s.gatewayURL = "http://127.0.0.1:1" // no gateway in a one-off invoke
	return s.startServices()
}

func invokeWith(ctx context.Context, e *env, proj project, name string, event []byte,
	localEnv map[string]string) error {
	s := &stack{cfg: stackConfig{proj: proj, out: e.stderr, maxInstances: 1}, env: localEnv}
	var err error
	if s.secrets, err = loadSecrets(filepath.Join(proj.data, "secrets.json")); err != nil {
		return err
	}
	if s.spec, err = spec.Load(proj.sfile, spec.Options{Env: s.resolveEnv(),
		Config: map[string]string{"AccountID": s.secrets.AccountID}}); err != nil {
		return err
	}
	f := s.spec.Function(name)
	if f == nil {
		return usageErr("no function %q in %s (have %v)", name, proj.sfile, s.functionNames())
	}
	b := &builder{root: proj.root, binDir: filepath.Join(proj.data, "bin.invoke"), out: e.stderr}
	if err := b.buildAll(ctx, []string{f.Resource}); err != nil {
		return err
	}
	pool := fcrt.NewPool(s.poolConfig(f, b.binary(f.Resource)))
	defer pool.Close()
	res, err := pool.Invoke(ctx, event)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "request %s: %v\n", res.RequestID, res.Duration.Round(time.Millisecond))
	if res.Err != nil {
		out, _ := json.MarshalIndent(res.Err, "", "  ")
		fmt.Fprintln(e.stdout, string(out))
		return fmt.Errorf("function error: %s", res.Err.Message)
	}
	fmt.Fprintln(e.stdout, string(res.Body))
	return nil
}

// runTrigger asks a running stack to fire one timer trigger now.
func runTrigger(e *env, args []string) error {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	file := fs.String("file", "", "s.yaml (default: the nearest s.yaml upwards)")
	data := fs.String("data", "", "state directory (default: .localdev beside s.yaml)")
	addr := fs.String("gateway", "", "gateway URL of the running stack (default: from .localdev)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErr("want: trigger <function> <trigger>")
	}
	gw := *addr
	if gw == "" {
		proj, err := findProject(".", *file, *data)
		if err != nil {
			return err
		}
		st, err := readState(proj)
		if err != nil {
			return err
		}
		gw = st.Gateway
	}
	q := url.Values{"function": {fs.Arg(0)}, "trigger": {fs.Arg(1)}}
	resp, err := http.Post(gw+"/_localdev/trigger?"+q.Encode(), "application/json", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Fprint(e.stdout, string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("trigger %s/%s: %s", fs.Arg(0), fs.Arg(1), resp.Status)
	}
	return nil
}
