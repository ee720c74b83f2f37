package witness_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/witness"
)

func TestCommandServes(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "witness.key")
	gen, err := witness.ParseCommand([]string{"-genkey", "witness.test/cmd", "-key", keyFile},
		io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := gen.Run(context.Background(), &out, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	wvkey := strings.TrimSpace(out.String())

	tl := newLog(t, ledger.Config{})
	args := []string{"-key", keyFile, "-log-key", tl.vkey,
		"-state", filepath.Join(dir, "s.json"), "-listen", "127.0.0.1:0"}
	cmd, err := witness.ParseCommand(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	addrs := make(chan net.Addr, 1)
	cmd.Ready = func(a net.Addr) { addrs <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.Run(ctx, io.Discard, slog.New(slog.DiscardHandler)) }()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("witness command exited: %v", err)
	}

	c := &witness.Client{URL: "http://" + addr.String()}
	policy, err := witness.NewPolicy(1, wvkey)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := ledger.New(ledger.Config{
		Store: new(ledger.MemStore), Sequencer: new(ledger.MemSequencer),
		Key: tl.skey, Witnesses: []ledger.Cosigner{c}, Policy: policy,
	})
	l.Append(ctx, []byte("x"))
	l.Integrate(ctx)
	if _, err := l.Publish(ctx); err != nil {
		t.Errorf("publish through the witness command: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("witness command: %v", err)
	}
}

func TestParseCommandNeedsKeys(t *testing.T) {
	for _, args := range [][]string{{}, {"-key", "k"}} {
		if _, err := witness.ParseCommand(args, io.Discard); err == nil {
			t.Errorf("ParseCommand(%q) succeeded, want error", args)
		}
	}
}
