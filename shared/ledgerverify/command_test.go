package ledgerverify

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

// files writes name → content into a temporary directory and returns the
// paths by name.
func files(t *testing.T, contents map[string][]byte) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := make(map[string]string)
	for name, data := range contents {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

func TestCommand(t *testing.T) {
	f := published(t)
	h := newHistory(t)
	e7 := f.entries[7]
	orgPub := base64.StdEncoding.EncodeToString(orgKey().Private.Public().(ed25519.PublicKey))
	p := files(t, map[string][]byte{
		"log.vkey": []byte(f.vkey + "\n"), "w.vkey": []byte(f.wvkeys[0] + "\n"),
		"7.tlog-proof": f.receipt(t, 7), "7.json": e7,
		"edited.json": bytes.Replace(e7, []byte(`"software"`), []byte(`"Software"`), 1),
		"cp":          checkpointNote(t, f.log),
		"old":         h.oldCP, "new": h.newCP, "cons": apiProof(t, 100, 300, h.cons),
		"hlog.vkey": []byte(h.f.vkey), "fork": h.forkCP, "forkcons": lineProof(h.forkCons),
	})
	logKey := "@" + p["log.vkey"]
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout
	}{
		{"receipt ok", []string{"receipt", "-log-key", logKey, "-receipt", p["7.tlog-proof"],
			"-entry", p["7.json"], "-witness", "@" + p["w.vkey"], "-witness", f.wvkeys[1],
			"-org-key", org + "=" + orgPub, "-digest", string(envelope.DigestOf(e7))},
			ExitOK, "signature verified"},
		{"receipt, entry edited", []string{"receipt", "-log-key", logKey,
			"-receipt", p["7.tlog-proof"], "-entry", p["edited.json"]},
			ExitFailed, "FAIL tampered entry:"},
		{"receipt, wrong key", []string{"receipt", "-log-key", "@" + p["hlog.vkey"],
			"-receipt", p["7.tlog-proof"], "-entry", p["7.json"]}, ExitFailed, "FAIL wrong key:"},
		{"checkpoint, 1 of 1 witness", []string{"checkpoint", "-log-key", logKey,
			"-checkpoint", p["cp"], "-witness", "@" + p["w.vkey"]}, ExitOK,
			"1 cosigned, 1 required"},
		{"consistency ok", []string{"consistency", "-log-key", "@" + p["hlog.vkey"],
			"-old", p["old"], "-new", p["new"], "-proof", p["cons"]}, ExitOK,
			"old:        size 100"},
		{"consistency, fork", []string{"consistency", "-log-key", "@" + p["hlog.vkey"],
			"-old", p["old"], "-new", p["fork"], "-proof", p["forkcons"]},
			ExitFailed, "FAIL inconsistent:"},
		{"no mode", nil, ExitUsage, ""},
		{"unknown mode", []string{"audit"}, ExitUsage, ""},
		{"missing flag", []string{"receipt", "-log-key", logKey}, ExitUsage, ""},
		{"missing file", []string{"checkpoint", "-log-key", logKey, "-checkpoint",
			p["cp"] + ".nope"}, ExitUsage, ""},
		{"bad org key", []string{"receipt", "-log-key", logKey, "-receipt", p["7.tlog-proof"],
			"-entry", p["7.json"], "-org-key", "x=abc"}, ExitUsage, ""},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := Main(tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.want) {
			t.Errorf("%s: Main(%q) = %d\nstdout:\n%s\nstderr:\n%s\nwant %d and %q in stdout",
				tt.name, tt.args, code, &stdout, &stderr, tt.code, tt.want)
		}
	}
}
