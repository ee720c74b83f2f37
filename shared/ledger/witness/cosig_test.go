package witness_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/witness"
)

// TestCosignatureFormat checks a cosignature byte by byte against C2SP
// tlog-cosignature, independently of the module that makes it: key hash,
// big-endian timestamp, then Ed25519 over "cosignature/v1\ntime T\n" and the
// checkpoint body.
func TestCosignatureFormat(t *testing.T) {
	tl := newLog(t, ledger.Config{})
	w := newWitness(t, "witness.test/a", new(witness.MemState), tl.vkey)
	cp := tl.grow(t, 4)
	line, err := w.AddCheckpoint(context.Background(), 0, nil, cp)
	if err != nil {
		t.Fatal(err)
	}
	name, b64, ok := strings.Cut(strings.TrimPrefix(strings.TrimSuffix(string(line), "\n"), "— "),
		" ")
	if !ok || name != "witness.test/a" {
		t.Fatalf("cosignature line %q: want \"— witness.test/a <base64>\"", line)
	}
	sig, _ := base64.StdEncoding.DecodeString(b64)
	if len(sig) != 4+8+64 {
		t.Fatalf("cosignature is %d bytes, want 76", len(sig))
	}
	parts := strings.SplitN(w.vkey, "+", 3)
	key, _ := base64.StdEncoding.DecodeString(parts[2])
	if key[0] != 0x04 {
		t.Fatalf("verifier key type %#x, want 0x04", key[0])
	}
	ts := binary.BigEndian.Uint64(sig[4:12])
	if ts == 0 {
		t.Error("cosignature timestamp is zero")
	}
	body := strings.SplitN(string(cp), "\n\n", 2)[0] + "\n"
	msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, body)
	if !ed25519.Verify(ed25519.PublicKey(key[1:]), []byte(msg), sig[12:]) {
		t.Error("cosignature does not verify over the cosignature/v1 message")
	}
}

// TestTamperedCosignature shows a receipt whose witness cosignature was
// altered is refused, naming the witness.
func TestTamperedCosignature(t *testing.T) {
	ctx := context.Background()
	tl := newLog(t, ledger.Config{})
	w := newWitness(t, "witness.test/a", new(witness.MemState), tl.vkey)
	policy, _ := witness.NewPolicy(1, w.vkey)
	l, _ := ledger.New(ledger.Config{
		Store: new(ledger.MemStore), Sequencer: new(ledger.MemSequencer), Key: tl.skey,
		Witnesses: []ledger.Cosigner{w}, Policy: policy,
	})
	l.Append(ctx, []byte("a"), []byte("b"))
	l.Integrate(ctx)
	if _, err := l.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := l.Receipt(ctx, 1)
	lv, _ := note.NewVerifier(tl.vkey)
	if _, err := ledger.VerifyReceipt(r, []byte("b"), lv, policy); err != nil {
		t.Fatalf("untampered receipt: %v", err)
	}

	i := strings.Index(string(r), "— witness.test/a ") + len("— witness.test/a ")
	sig, _ := base64.StdEncoding.DecodeString(strings.SplitN(string(r[i:]), "\n", 2)[0])
	sig[20] ^= 1
	tampered := string(r[:i]) + base64.StdEncoding.EncodeToString(sig) + "\n"
	_, err := ledger.VerifyReceipt([]byte(tampered), []byte("b"), lv, policy)
	if !errors.Is(err, ledger.ErrSignature) || !strings.Contains(err.Error(), "witness.test/a") {
		t.Errorf("tampered cosignature: error = %v, want ErrSignature naming the witness", err)
	}

	stripped := string(r[:i-len("— witness.test/a ")])
	_, err = ledger.VerifyReceipt([]byte(stripped), []byte("b"), lv, policy)
	if !errors.Is(err, witness.ErrQuorum) {
		t.Errorf("cosignature removed: error = %v, want ErrQuorum", err)
	}
}

// garbageWitness answers every checkpoint with its line.
type garbageWitness string

func (g garbageWitness) AddCheckpoint(context.Context, uint64, [][]byte, []byte) ([]byte, error) {
	return []byte(g), nil
}

// TestBrokenWitnessIsIgnored shows a witness answering garbage neither
// spoils the note nor stops publication when the policy is met without it.
func TestBrokenWitnessIsIgnored(t *testing.T) {
	ctx := context.Background()
	tl := newLog(t, ledger.Config{})
	good := newWitness(t, "witness.test/b", new(witness.MemState), tl.vkey)
	policy, _ := witness.NewPolicy(1, good.vkey)
	l, _ := ledger.New(ledger.Config{
		Store: new(ledger.MemStore), Sequencer: new(ledger.MemSequencer), Key: tl.skey,
		Witnesses: []ledger.Cosigner{
			garbageWitness("— witness.test/a AAAAAAAAAAAAAAAAAAAA\n"), // unknown key
			garbageWitness("— witness.test/z not base64\n"),           // malformed
			good,
		},
		Policy: policy,
	})
	l.Append(ctx, []byte("a"))
	l.Integrate(ctx)
	c, err := l.Publish(ctx)
	if err != nil {
		t.Fatalf("publish with one broken witness: %v", err)
	}
	raw := string(c.Raw)
	if strings.Contains(raw, "witness.test/a") || strings.Contains(raw, "witness.test/z") {
		t.Errorf("checkpoint carries a broken witness's line:\n%s", c.Raw)
	}
}
