package ledgerverify

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/rules"
)

// Exit codes of the ledger-verify command.
const (
	ExitOK     = 0 // verified
	ExitFailed = 1 // verification failed; the verdict says what failed
	ExitUsage  = 2 // bad flags or unreadable files
)

// Usage is the ledger-verify command's synopsis.
const Usage = `usage:
  ledger-verify receipt     -log-key K -receipt R -entry E [-digest sha256:...] [common]
  ledger-verify checkpoint  -log-key K -checkpoint C [common]
  ledger-verify consistency -log-key K -old C1 -new C2 -proof P [common]
  ledger-verify replay      -log-key K -log L [common]

Every check is offline. K is the log's note verifier key (or @file holding it).
R is a c2sp.org/tlog-proof receipt (GET /api/ledger/receipts/{i}), E the entry's bytes
(GET /api/ledger/entries/{i}), C a checkpoint note (GET /api/ledger/checkpoint) or a
receipt carrying one, P a consistency proof (GET /api/ledger/proof/consistency, or
base64 hashes one a line). L is where replay reads the log: a directory holding a copy of
the bucket's ledger/ objects (checkpoint, tile/...), or the function's URL ending in
/api/ledger/; replay verifies the checkpoint, checks that every entry it covers hashes to
its root, recomputes every contract result (consent, revenue settlements with carries,
payment releases, first to file) and lists each entry whose recorded result differs.
common flags:
  -witness W      cosignature/v1 verifier key of a witness (or @file); repeatable
  -k N            witnesses that must cosign (default: all given)
  -org-key O=B64  Ed25519 public key of organization O for envelope signatures; repeatable
  -service-key B64  the ledger service's envelope key (signs on members' behalf)
`

// command is one parsed invocation.
type command struct {
	mode                       string
	logKey                     string
	witnesses                  []string
	k                          int
	orgKeys                    []string
	serviceKey                 string
	receipt, entry, digest     string
	checkpoint, old, new, prof string
	logLoc                     string
}

// Main runs the ledger-verify command with args (without the program name)
// and returns its exit code: the verdict goes to stdout, usage errors to
// stderr.
func Main(args []string, stdout, stderr io.Writer) int {
	c, err := parseCommand(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, err)
		}
		fmt.Fprint(stderr, Usage)
		return ExitUsage
	}
	report, err := c.run()
	var verr *Error
	switch {
	case errors.As(err, &verr):
		fmt.Fprintf(stdout, "FAIL %s: %s\n", verr.Failure, verr.Detail)
		if verr.Err != nil {
			cause, _, _ := strings.Cut(verr.Err.Error(), "\n")
			fmt.Fprintf(stdout, "  cause: %s\n", strings.TrimSuffix(cause, ":"))
		}
		return ExitFailed
	case err != nil:
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	fmt.Fprint(stdout, report)
	return ExitOK
}

func parseCommand(args []string, stderr io.Writer) (*command, error) {
	if len(args) == 0 {
		return nil, errors.New(
			"ledger-verify: want a mode: receipt, checkpoint, consistency or replay")
	}
	c := &command{mode: args[0], k: -1}
	fs := flag.NewFlagSet("ledger-verify "+c.mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.logKey, "log-key", "", "log verifier key, or @file")
	fs.Func("witness", "witness verifier key, or @file (repeatable)", func(v string) error {
		c.witnesses = append(c.witnesses, v)
		return nil
	})
	fs.IntVar(&c.k, "k", -1, "witnesses that must cosign (default: all given)")
	fs.Func("org-key", "ORG=BASE64 envelope public key (repeatable)", func(v string) error {
		c.orgKeys = append(c.orgKeys, v)
		return nil
	})
	fs.StringVar(&c.serviceKey, "service-key", "", "service envelope public key, base64")
	required := c.modeFlags(fs)
	if required == nil {
		return nil, fmt.Errorf("ledger-verify: unknown mode %q", c.mode)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("ledger-verify %s: unexpected argument %q", c.mode, fs.Arg(0))
	}
	for name, v := range required {
		if *v == "" {
			return nil, fmt.Errorf("ledger-verify %s: -%s is required", c.mode, name)
		}
	}
	return c, nil
}

// modeFlags declares the mode's own flags and returns those required; nil
// means the mode is unknown.
func (c *command) modeFlags(fs *flag.FlagSet) map[string]*string {
	req := map[string]*string{"log-key": &c.logKey}
	file := func(p *string, name, usage string) {
		fs.StringVar(p, name, "", usage)
		req[name] = p
	}
	switch c.mode {
	case "receipt":
		file(&c.receipt, "receipt", "receipt file (c2sp.org/tlog-proof)")
		file(&c.entry, "entry", "file holding the entry's bytes")
		fs.StringVar(&c.digest, "digest", "", "entry digest given at submission (sha256:...)")
	case "checkpoint":
		file(&c.checkpoint, "checkpoint", "checkpoint note file")
	case "consistency":
		file(&c.old, "old", "older checkpoint (or a receipt carrying it)")
		file(&c.new, "new", "newer checkpoint (or a receipt carrying it)")
		file(&c.prof, "proof", "consistency proof file")
	case "replay":
		file(&c.logLoc, "log", "log directory or URL (…/api/ledger/)")
	default:
		return nil
	}
	return req
}

func (c *command) run() (*Report, error) {
	keys, err := c.keys()
	if err != nil {
		return nil, err
	}
	switch c.mode {
	case "receipt":
		return c.runReceipt(keys)
	case "checkpoint":
		cp, err := readFile(c.checkpoint)
		if err != nil {
			return nil, err
		}
		return CheckCheckpoint(keys, cp)
	case "replay":
		return ReplayLog(context.Background(), keys, Source(c.logLoc))
	default:
		return c.runConsistency(keys)
	}
}

func (c *command) runReceipt(keys Keys) (*Report, error) {
	receipt, err := readFile(c.receipt)
	if err != nil {
		return nil, err
	}
	entry, err := readFile(c.entry)
	if err != nil {
		return nil, err
	}
	return CheckReceipt(keys, receipt, entry, envelope.Digest(c.digest))
}

func (c *command) runConsistency(keys Keys) (*Report, error) {
	var data [3][]byte
	for i, name := range []string{c.old, c.new, c.prof} {
		var err error
		if data[i], err = readFile(name); err != nil {
			return nil, err
		}
	}
	p, err := ParseConsistencyProof(data[2])
	if err != nil {
		return nil, err
	}
	return CheckConsistency(keys, data[0], data[1], p)
}

// keys builds the trusted keys from the flags.
func (c *command) keys() (Keys, error) {
	logKey, err := keyArg(c.logKey)
	if err != nil {
		return Keys{}, err
	}
	var ws []string
	for _, w := range c.witnesses {
		v, err := keyArg(w)
		if err != nil {
			return Keys{}, err
		}
		ws = append(ws, v)
	}
	keys, err := ParseKeys(logKey, ws, c.k)
	if err != nil {
		return Keys{}, err
	}
	keys.Envelopes, err = c.ring()
	return keys, err
}

// ring returns the envelope key ring of the flags, nil when none is given.
func (c *command) ring() (*envelope.KeyRing, error) {
	if len(c.orgKeys) == 0 && c.serviceKey == "" {
		return nil, nil
	}
	ring := &envelope.KeyRing{Service: rules.ServiceOrg}
	if c.serviceKey != "" {
		c.orgKeys = append(c.orgKeys, rules.ServiceOrg+"="+c.serviceKey)
	}
	for _, kv := range c.orgKeys {
		org, b64key, ok := strings.Cut(kv, "=")
		pub, err := base64.StdEncoding.DecodeString(b64key)
		if !ok || org == "" || err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("ledger-verify: key %q: want ORG=base64 of %d bytes",
				kv, ed25519.PublicKeySize)
		}
		ring.Add(org, ed25519.PublicKey(pub))
	}
	return ring, nil
}

// keyArg returns a key given inline or, as @file, in a file.
func keyArg(v string) (string, error) {
	if name, ok := strings.CutPrefix(v, "@"); ok {
		data, err := readFile(name)
		return strings.TrimSpace(string(data)), err
	}
	return v, nil
}

func readFile(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("ledger-verify: %w", err)
	}
	return data, nil
}
