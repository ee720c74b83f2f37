package ledgerverify

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/witness"
)

const (
	origin = "ledger.test/verify"
	org    = "dingtestuniversity"
)

// fixture is a published log of signed envelopes, cosigned by two
// witnesses, and the keys a verifier needs.
type fixture struct {
	log     *ledger.Log
	skey    string // the log's private key
	vkey    string
	wvkeys  []string
	keys    Keys // log key, 2-of-2 policy, envelope keys
	entries [][]byte
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

// published returns a log of 300 entries, built once per test binary; tests
// must not append to it.
func published(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture(300) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func newFixture(n int) (*fixture, error) {
	f := &fixture{}
	var err error
	if f.skey, f.vkey, err = ledger.GenerateKey(origin); err != nil {
		return nil, err
	}
	var cosigners []ledger.Cosigner
	for _, name := range []string{"witness.test/a", "witness.test/b"} {
		wskey, wvkey, err := witness.GenerateKey(name)
		if err != nil {
			return nil, err
		}
		w, err := witness.New(wskey, new(witness.MemState), f.vkey)
		if err != nil {
			return nil, err
		}
		cosigners = append(cosigners, w)
		f.wvkeys = append(f.wvkeys, wvkey)
	}
	if f.keys, err = ParseKeys(f.vkey, f.wvkeys, -1); err != nil {
		return nil, err
	}
	f.keys.Envelopes = &envelope.KeyRing{Service: "xietong"}
	f.keys.Envelopes.Add(org, orgKey().Private.Public().(ed25519.PublicKey))
	f.log, err = ledger.New(ledger.Config{Store: new(ledger.MemStore),
		Sequencer: new(ledger.MemSequencer), Key: f.skey, Witnesses: cosigners,
		Policy: f.keys.Policy})
	if err != nil {
		return nil, err
	}
	return f, f.grow(n)
}

// grow appends n signed envelopes, integrates and publishes.
func (f *fixture) grow(n int) error {
	ctx := context.Background()
	for range n {
		e, err := signedEntry(len(f.entries))
		if err != nil {
			return err
		}
		if _, err := f.log.Append(ctx, e); err != nil {
			return err
		}
		f.entries = append(f.entries, e)
	}
	if _, err := f.log.Integrate(ctx); err != nil {
		return err
	}
	_, err := f.log.Publish(ctx)
	return err
}

func orgKey() envelope.Key { return envelope.Key{Signer: org, Private: ed25519Key(org)} }

// ed25519Key returns a fixed private key for name.
func ed25519Key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("ledgerverify test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// signedEntry returns the entry of IP registration n, signed by org.
func signedEntry(n int) ([]byte, error) {
	work := fmt.Appendf(nil, "work %d", n)
	title := envelope.Prove(make([]byte, envelope.SaltSize), work).Commitment()
	e, err := envelope.New(org, 1_764_749_712+int64(n), &envelope.IPRegistration{
		Work: envelope.DigestOf(work), Kind: "software", Owners: []string{org}, Title: title})
	if err != nil {
		return nil, err
	}
	s, err := orgKey().Sign(e)
	if err != nil {
		return nil, err
	}
	return s.Entry()
}

func (f *fixture) receipt(t *testing.T, i uint64) []byte {
	t.Helper()
	r, err := f.log.Receipt(context.Background(), i)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// editReceipt parses r, lets edit change it and re-encodes it.
func editReceipt(t *testing.T, r []byte, edit func(*ledger.Receipt)) []byte {
	t.Helper()
	var rc ledger.Receipt
	if err := rc.Unmarshal(r); err != nil {
		t.Fatal(err)
	}
	edit(&rc)
	return rc.Marshal()
}

// resign signs text as a checkpoint with the log's own key, as a confused
// or malicious operator could.
func (f *fixture) resign(t *testing.T, text string) []byte {
	t.Helper()
	s, err := note.NewSigner(f.skey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// dropSigLine removes the signature line of the signer named name.
func dropSigLine(cp []byte, name string) []byte {
	var out []string
	for _, line := range strings.SplitAfter(string(cp), "\n") {
		if !strings.HasPrefix(line, "— "+name+" ") {
			out = append(out, line)
		}
	}
	return []byte(strings.Join(out, ""))
}

// flipSig flips a bit in the signature of the line of signer name.
func flipSig(t *testing.T, cp []byte, name string) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(cp), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "— "+name+" ") {
			b := []byte(line)
			pos := len(b) - 6 // inside the base64 signature
			if b[pos] == 'A' {
				b[pos] = 'B'
			} else {
				b[pos] = 'A'
			}
			lines[i] = string(b)
			return []byte(strings.Join(lines, ""))
		}
	}
	t.Fatalf("no signature line of %q in\n%s", name, cp)
	return nil
}
