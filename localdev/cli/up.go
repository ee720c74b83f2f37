package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func runUp(e *env, args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "127.0.0.1:9000", "gateway listen address (loopback)")
	file := fs.String("file", "", "s.yaml to run (default: the nearest s.yaml upwards)")
	data := fs.String("data", "", "state directory (default: .localdev beside s.yaml)")
	maxInst := fs.Int("max-instances", 4, "instances per function under concurrent load")
	watch := fs.Bool("watch", false, "rebuild and restart a function when its sources change")
	noTimers := fs.Bool("no-timers", false, "do not fire timers on their schedule")
	noSeed := fs.Bool("no-seed", false, "do not seed the demo project")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErr("up takes no arguments")
	}
	proj, err := findProject(".", *file, *data)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := startStack(ctx, stackConfig{proj: proj, addr: *addr, maxInstances: *maxInst,
		out: e.stdout, noTimers: *noTimers})
	if err != nil {
		return err
	}
	var d *demo
	if !*noSeed {
		if d, err = st.seedDemo(ctx, e.stdout); err != nil {
			// The stack serves on without the demo.
			fmt.Fprintf(e.stdout, "demo not seeded: %v\n", err)
		}
	}
	printEndpoints(e.stdout, st)
	if d != nil {
		printDemo(e.stdout, st, d)
	}
	if *watch {
		go st.watch(ctx, time.Second)
	}
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "stopping (preStop hooks, then instances and emulators) ...")
	st.close()
	return nil
}

// printEndpoints tells the user where everything is and what to try.
func printEndpoints(w io.Writer, s *stack) {
	fmt.Fprintf(w, "\nlocaldev is up: %d functions, %d routes, %d timers\n",
		len(s.spec.Functions), len(s.spec.Routes), len(s.timerJobs()))
	fmt.Fprintf(w, "  gateway     %s\n", s.gatewayURL)
	fmt.Fprintf(w, "  tablestore  %s  (instance %s)\n", s.tablestoreURL, localInstance)
	fmt.Fprintf(w, "  oss         %s  (bucket %s)\n", s.ossURL, localBucket)
	fmt.Fprintf(w, "  dingtalk    %s  (fake; inbox at /_fake/inbox)\n", s.dingURL)
	fmt.Fprintf(w, "  data        %s\n", s.cfg.proj.data)
	fmt.Fprintln(w, "routes:")
	for _, r := range s.spec.Routes {
		fmt.Fprintf(w, "  %-22s -> %s\n", r.Path, r.Function)
	}
	fmt.Fprintln(w, "try:")
	seen := map[string]bool{}
	for _, r := range s.spec.Routes {
		prefix, ok := strings.CutSuffix(r.Path, "*")
		if !ok || seen[r.Function] {
			continue
		}
		seen[r.Function] = true
		fmt.Fprintf(w, "  curl -s %s%shealthz\n", s.gatewayURL, prefix)
	}
	for _, j := range s.timerJobs() {
		fmt.Fprintf(w, "  go run ./localdev trigger %s %s\n", j.Function, j.Trigger)
		break
	}
	fmt.Fprintf(w, "  curl -s -X POST '%s/2023-03-30/functions/notify/invocations' -d '{}'\n",
		s.gatewayURL)
	fmt.Fprintf(w, "  go run ./localdev invoke <function> events/<file>.json\n")
	if corp, user := s.ding.firstUser(); user != "" {
		fmt.Fprintf(w, "  curl -s -X POST %s/_fake/authcode -d "+
			"'{\"corpId\":\"%s\",\"userId\":\"%s\"}'\n",
			s.dingURL, corp, user)
	}
	fmt.Fprintln(w, "Ctrl-C stops everything; data stays in .localdev (localdev reset clears it).")
}
