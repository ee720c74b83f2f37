package witness_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/witness"
)

const origin = "example.test/log"

type testLog struct {
	*ledger.Log
	skey, vkey string
	n          int
}

func newLog(t *testing.T, cfg ledger.Config) *testLog {
	t.Helper()
	skey, vkey, err := ledger.GenerateKey(origin)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Sequencer, cfg.Key = new(ledger.MemStore), new(ledger.MemSequencer), skey
	l, err := ledger.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{Log: l, skey: skey, vkey: vkey}
}

// grow appends k entries, integrates them and signs (without publishing) a
// checkpoint, returning it.
func (tl *testLog) grow(t *testing.T, k int) []byte {
	t.Helper()
	ctx := context.Background()
	for range k {
		if _, err := tl.Append(ctx, fmt.Appendf(nil, "entry %d", tl.n)); err != nil {
			t.Fatal(err)
		}
		tl.n++
	}
	if _, err := tl.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := tl.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c.Raw
}

func (tl *testLog) proof(t *testing.T, old, size uint64) [][]byte {
	t.Helper()
	p, err := tl.ConsistencyProof(context.Background(), old, size)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type testWitness struct {
	*witness.Witness
	vkey  string
	state witness.State
}

func newWitness(t *testing.T, name string, state witness.State, logVKeys ...string) *testWitness {
	t.Helper()
	skey, vkey, err := witness.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(skey, state, logVKeys...)
	if err != nil {
		t.Fatal(err)
	}
	return &testWitness{Witness: w, vkey: vkey, state: state}
}

func (w *testWitness) verifier(t *testing.T) note.Verifier {
	t.Helper()
	v, err := witness.NewVerifier(w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAddCheckpointCosigns(t *testing.T) {
	ctx := context.Background()
	tl := newLog(t, ledger.Config{})
	w := newWitness(t, "witness.test/a", new(witness.MemState), tl.vkey)

	cp := tl.grow(t, 10)
	sig, err := w.AddCheckpoint(ctx, 0, nil, cp)
	if err != nil {
		t.Fatal(err)
	}
	cosigned := append(append([]byte(nil), cp...), sig...)
	n, err := note.Open(cosigned, note.VerifierList(w.verifier(t)))
	if err != nil {
		t.Fatalf("cosignature does not verify: %v", err)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != "witness.test/a" {
		t.Errorf("verified signatures = %v, want the witness's", n.Sigs)
	}

	cp2 := tl.grow(t, 300)
	if _, err := w.AddCheckpoint(ctx, 10, tl.proof(t, 10, 310), cp2); err != nil {
		t.Errorf("consistent extension refused: %v", err)
	}
	if l, _, _ := w.state.Latest(origin); l.Size != 310 {
		t.Errorf("witness state size = %d, want 310", l.Size)
	}
}

func TestAddCheckpointRefusals(t *testing.T) {
	ctx := context.Background()
	tl := newLog(t, ledger.Config{})
	stranger := newLog(t, ledger.Config{})
	other, _, _ := ledger.GenerateKey("other.test/log")
	otherLog := memLog(t, other)

	w := newWitness(t, "witness.test/a", new(witness.MemState), tl.vkey)
	cp5 := tl.grow(t, 5)
	if _, err := w.AddCheckpoint(ctx, 0, nil, cp5); err != nil {
		t.Fatal(err)
	}
	cp9 := tl.grow(t, 4)
	otherCP, _ := otherLog.Publish(ctx)
	badProof := tl.proof(t, 5, 9)
	badProof[0] = make([]byte, 32)

	tests := []struct {
		name string
		old  uint64
		cons [][]byte
		cp   []byte
		want error
	}{
		{"unknown origin", 0, nil, otherCP.Raw, witness.ErrUnknownLog},
		{"same origin, wrong key", 0, nil, stranger.grow(t, 1), witness.ErrBadSignature},
		{"old above size", 10, nil, cp9, witness.ErrBadRequest},
		{"bad proof", 5, badProof, cp9, witness.ErrInconsistent},
		{"missing proof", 5, nil, cp9, witness.ErrInconsistent},
	}
	for _, tt := range tests {
		_, err := w.AddCheckpoint(ctx, tt.old, tt.cons, tt.cp)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.want)
		}
	}
	var conflict *witness.ConflictError
	if _, err := w.AddCheckpoint(ctx, 0, nil, cp9); !errors.As(err, &conflict) ||
		conflict.Size != 5 {
		t.Errorf("stale old size: error = %v, want ConflictError with size 5", err)
	}
}

func TestSameSizeOtherRootIsInconsistent(t *testing.T) {
	ctx := context.Background()
	skey, vkey, _ := ledger.GenerateKey(origin)
	a, b := memLog(t, skey), memLog(t, skey)
	w := newWitness(t, "witness.test/a", new(witness.MemState), vkey)
	for i, l := range []*ledger.Log{a, b} {
		l.Append(ctx, fmt.Appendf(nil, "history %d", i))
		l.Integrate(ctx)
	}
	ca, _ := a.Publish(ctx)
	cb, _ := b.Publish(ctx)
	if _, err := w.AddCheckpoint(ctx, 0, nil, ca.Raw); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddCheckpoint(ctx, 1, nil, cb.Raw); !errors.Is(err, witness.ErrInconsistent) {
		t.Errorf("split view at same size: error = %v, want ErrInconsistent", err)
	}
}

func TestHTTPStatuses(t *testing.T) {
	tl := newLog(t, ledger.Config{})
	w := newWitness(t, "witness.test/a", new(witness.MemState), tl.vkey)
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	cp := tl.grow(t, 3)

	post := func(body []byte) (*http.Response, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/add-checkpoint", "text/plain",
			strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := post(witness.FormatRequest(0, nil, cp))
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "— witness.test/a ") {
		t.Fatalf("first checkpoint: %s %q, want 200 and a cosignature line", resp.Status, body)
	}
	resp, body = post(witness.FormatRequest(0, nil, cp))
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusConflict || body != "3\n" || ct != "text/x.tlog.size" {
		t.Errorf("stale old size: %s %q %q, want 409 \"3\\n\" text/x.tlog.size", resp.Status, body,
			ct)
	}
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{"no old line", []byte("hello\n\n"), 400},
		{"old above size", witness.FormatRequest(9, nil, cp), 400},
		{"unsigned", witness.FormatRequest(3, nil, []byte(origin+"\n3\nAAAA\n\n")), 403},
		{"unknown log", witness.FormatRequest(0, nil, []byte("nobody.test/log\n1\nAAAA\n\n")), 404},
		{"bad proof", witness.FormatRequest(3, [][]byte{make([]byte, 32)}, cp), 422},
	}
	for _, tt := range tests {
		if resp, body := post(tt.body); resp.StatusCode != tt.want {
			t.Errorf("%s: %s %q, want %d", tt.name, resp.Status, body, tt.want)
		}
	}
}

// TestPublishWithPolicy runs a log against three HTTP witnesses with a
// 2-of-3 policy: publishing succeeds with one witness down, fails with two,
// and a log restarted without memory of witness sizes recovers through 409s.
func TestPublishWithPolicy(t *testing.T) {
	ctx := context.Background()
	skey, vkey, _ := ledger.GenerateKey(origin)
	var servers []*httptest.Server
	var clients []ledger.Cosigner
	var vkeys []string
	for _, name := range []string{"a", "b", "c"} {
		w := newWitness(t, "witness.test/"+name, new(witness.MemState), vkey)
		srv := httptest.NewServer(w.Handler())
		t.Cleanup(srv.Close)
		servers = append(servers, srv)
		clients = append(clients, &witness.Client{URL: srv.URL})
		vkeys = append(vkeys, w.vkey)
	}
	policy, err := witness.NewPolicy(2, vkeys...)
	if err != nil {
		t.Fatal(err)
	}
	store, seq := new(ledger.MemStore), new(ledger.MemSequencer)
	open := func() *ledger.Log {
		l, err := ledger.New(ledger.Config{
			Store: store, Sequencer: seq, Key: skey, Witnesses: clients, Policy: policy,
		})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open()
	step := func(k int) (*ledger.Checkpoint, error) {
		for i := range k {
			l.Append(ctx, fmt.Appendf(nil, "e%d", i))
		}
		if _, err := l.Integrate(ctx); err != nil {
			t.Fatal(err)
		}
		return l.Publish(ctx)
	}

	c, err := step(10)
	if err != nil {
		t.Fatalf("all witnesses up: %v", err)
	}
	if got := policy.Count(c.Note); got != 3 {
		t.Errorf("cosignatures = %d, want 3", got)
	}
	l = open() // forgets what the witnesses hold: they answer 409 first
	c, err = step(5)
	if err != nil || c.Size != 15 {
		t.Fatalf("after restart: %v (size %v)", err, c)
	}
	servers[2].Close()
	if _, err := step(5); err != nil {
		t.Errorf("one of three witnesses down: %v", err)
	}
	servers[1].Close()
	_, err = step(5)
	if !errors.Is(err, witness.ErrQuorum) {
		t.Errorf("two of three witnesses down: error = %v, want ErrQuorum", err)
	}
	if c, _ := l.Checkpoint(ctx); c.Size != 20 {
		t.Errorf("published size = %d after failed quorum, want 20", c.Size)
	}

	r, err := l.Receipt(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := note.NewVerifier(vkey)
	if _, err := ledger.VerifyReceipt(r, []byte("e3"), lv, policy); err != nil {
		t.Errorf("receipt with 2-of-3 policy: %v", err)
	}
	strict, _ := witness.NewPolicy(3, vkeys...)
	if _, err := ledger.VerifyReceipt(r, []byte("e3"), lv, strict); !errors.Is(err,
		witness.ErrQuorum) {
		t.Errorf("receipt with 3-of-3 policy: error = %v, want ErrQuorum", err)
	}
}

func TestFileStateSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.json")
	tl := newLog(t, ledger.Config{})
	fs, err := witness.OpenFileState(path)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, _ := witness.GenerateKey("witness.test/a")
	w, _ := witness.New(skey, fs, tl.vkey)
	if _, err := w.AddCheckpoint(ctx, 0, nil, tl.grow(t, 7)); err != nil {
		t.Fatal(err)
	}

	fs2, err := witness.OpenFileState(path)
	if err != nil {
		t.Fatal(err)
	}
	w2, _ := witness.New(skey, fs2, tl.vkey)
	var conflict *witness.ConflictError
	_, err = w2.AddCheckpoint(ctx, 0, nil, tl.grow(t, 1))
	if !errors.As(err, &conflict) || conflict.Size != 7 {
		t.Errorf("after restart: error = %v, want ConflictError with size 7", err)
	}
	if _, err := w2.AddCheckpoint(ctx, 7, tl.proof(t, 7, 8), tl.grow(t, 0)); err != nil {
		t.Errorf("after restart, from size 7: %v", err)
	}
}

func TestPolicyThreshold(t *testing.T) {
	_, v1, _ := witness.GenerateKey("w1")
	_, v2, _ := witness.GenerateKey("w2")
	if _, err := witness.NewPolicy(3, v1, v2); err == nil {
		t.Error("NewPolicy(3 of 2) succeeded, want error")
	}
	if _, err := witness.NewPolicy(1, v1, v1); err == nil {
		t.Error("NewPolicy with a duplicate witness succeeded, want error")
	}
}

// memLog returns a log with key over fresh in-memory storage.
func memLog(t *testing.T, key string) *ledger.Log {
	t.Helper()
	l, err := ledger.New(ledger.Config{
		Store: new(ledger.MemStore), Sequencer: new(ledger.MemSequencer), Key: key,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}
