package witness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Command is the configuration of the witness command.
type Command struct {
	Listen    string
	KeyFile   string
	LogKeys   []string
	StateFile string
	// GenKey, when set, makes the command write a new key named GenKey to
	// KeyFile and print its verifier key instead of serving.
	GenKey string
	// Ready, if set, is called with the listening address before serving.
	Ready func(addr net.Addr)
}

// ParseCommand parses the witness command's flags.
func ParseCommand(args []string, stderr io.Writer) (*Command, error) {
	c := &Command{}
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:7380", "address to serve POST /add-checkpoint on")
	fs.StringVar(&c.KeyFile, "key", "",
		"file holding the witness's note-encoded Ed25519 private key")
	fs.Func("log-key", "verifier key of a log to follow (repeatable)", func(v string) error {
		c.LogKeys = append(c.LogKeys, v)
		return nil
	})
	fs.StringVar(&c.StateFile, "state", "witness-state.json",
		"file keeping the latest checkpoint per log")
	fs.StringVar(&c.GenKey, "genkey", "",
		"write a new key with this name to -key, print its verifier key, exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.KeyFile == "" {
		return nil, errors.New("witness: -key is required")
	}
	if c.GenKey == "" && len(c.LogKeys) == 0 {
		return nil, errors.New("witness: at least one -log-key is required")
	}
	return c, nil
}

// Run generates a key (with -genkey) or serves the witness until ctx ends.
func (c *Command) Run(ctx context.Context, stdout io.Writer, logger *slog.Logger) error {
	if c.GenKey != "" {
		return c.genKey(stdout)
	}
	skey, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return fmt.Errorf("witness: key %q: %w", c.KeyFile, err)
	}
	state, err := OpenFileState(c.StateFile)
	if err != nil {
		return err
	}
	w, err := New(strings.TrimSpace(string(skey)), state, c.LogKeys...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("witness: listen %q: %w", c.Listen, err)
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if c.Ready != nil {
		c.Ready(ln.Addr())
	}
	logger.Info("witness.serve",
		"addr", ln.Addr().String(), "name", w.Name(), "logs", len(c.LogKeys))
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("witness: serve: %w", err)
	}
	return nil
}

func (c *Command) genKey(stdout io.Writer) error {
	skey, vkey, err := GenerateKey(c.GenKey)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(c.KeyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("witness: write key %q: %w", c.KeyFile, err)
	}
	if _, err := fmt.Fprintln(f, skey); err != nil {
		f.Close()
		return fmt.Errorf("witness: write key %q: %w", c.KeyFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("witness: write key %q: %w", c.KeyFile, err)
	}
	_, err = fmt.Fprintln(stdout, vkey)
	return err
}
