package ledgerverify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/ledger"
)

// history is one log at two published sizes.
type history struct {
	f            *fixture
	oldCP, newCP []byte
	oldReceipt   []byte
	cons         [][]byte
	forkCP       []byte // the same key's checkpoint of a diverged tree
	forkCons     [][]byte
}

func newHistory(t *testing.T) *history {
	t.Helper()
	ctx := context.Background()
	f, err := newFixture(100)
	if err != nil {
		t.Fatal(err)
	}
	h := &history{f: f}
	h.oldCP = checkpointNote(t, f.log)
	h.oldReceipt = f.receipt(t, 42)
	if err := f.grow(200); err != nil {
		t.Fatal(err)
	}
	h.newCP = checkpointNote(t, f.log)
	if h.cons, err = f.log.ConsistencyProof(ctx, 100, 300); err != nil {
		t.Fatal(err)
	}

	// A log under the same key whose entry 50 differs: a split view.
	fork, err := ledger.New(ledger.Config{Store: new(ledger.MemStore),
		Sequencer: new(ledger.MemSequencer), Key: f.skey})
	if err != nil {
		t.Fatal(err)
	}
	diverged := append([][]byte(nil), f.entries...)
	diverged[50] = []byte("rewritten history")
	if _, err := fork.Append(ctx, diverged...); err != nil {
		t.Fatal(err)
	}
	if _, err := fork.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := fork.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	h.forkCP = checkpointNote(t, fork)
	h.forkCons, _ = fork.ConsistencyProof(ctx, 100, 300)
	return h
}

func checkpointNote(t *testing.T, l *ledger.Log) []byte {
	t.Helper()
	c, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c.Raw
}

// apiProof encodes a proof as GET /api/ledger/proof/consistency does.
func apiProof(t *testing.T, old, size uint64, hs [][]byte) []byte {
	t.Helper()
	var enc []string
	for _, h := range hs {
		enc = append(enc, base64.StdEncoding.EncodeToString(h))
	}
	b, err := json.Marshal(map[string]any{"old": old, "size": size, "hashes": enc})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lineProof(hs [][]byte) []byte {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	return []byte(b.String())
}

func TestCheckConsistency(t *testing.T) {
	h := newHistory(t)
	logOnly, _ := ParseKeys(h.f.vkey, nil, 0)
	badHash := append([][]byte{make([]byte, ledger.HashSize)}, h.cons[1:]...)
	tests := []struct {
		name     string
		keys     Keys
		old, new []byte
		proof    []byte
		want     Failure // "" for success
	}{
		{"api proof", h.f.keys, h.oldCP, h.newCP, apiProof(t, 100, 300, h.cons), ""},
		{"line proof", h.f.keys, h.oldCP, h.newCP, lineProof(h.cons), ""},
		{"old checkpoint from a receipt", h.f.keys, h.oldReceipt, h.newCP,
			lineProof(h.cons), ""},
		{"same checkpoint", h.f.keys, h.newCP, h.newCP, lineProof(nil), ""},
		{"split view", logOnly, h.oldCP, h.forkCP, lineProof(h.forkCons), Inconsistent},
		{"altered proof", logOnly, h.oldCP, h.newCP, lineProof(badHash), Inconsistent},
		{"swapped checkpoints", logOnly, h.newCP, h.oldCP, lineProof(h.cons), Inconsistent},
		{"proof for other sizes", logOnly, h.oldCP, h.newCP,
			apiProof(t, 99, 300, h.cons), BadProof},
		{"old checkpoint edited", logOnly, []byte(strings.Replace(string(h.oldCP),
			"\n100\n", "\n101\n", 1)), h.newCP, lineProof(h.cons), TamperedCheckpoint},
		{"new checkpoint lacks cosignatures", h.f.keys, h.oldCP, h.forkCP,
			lineProof(h.forkCons), Quorum},
		{"proof not base64", logOnly, h.oldCP, h.newCP, []byte("%%%\n"), Malformed},
	}
	for _, tt := range tests {
		rep, err := checkConsistencyData(tt.keys, tt.old, tt.new, tt.proof)
		if got := FailureOf(err); got != tt.want {
			t.Errorf("%s: CheckConsistency = %v, %v; want failure %q", tt.name, rep, err, tt.want)
			continue
		}
		if tt.want == "" && rep.Size != 300 && !strings.Contains(tt.name, "same") {
			t.Errorf("%s: size %d, want 300", tt.name, rep.Size)
		}
	}
}

func checkConsistencyData(keys Keys, old, new, proof []byte) (*Report, error) {
	p, err := ParseConsistencyProof(proof)
	if err != nil {
		return nil, err
	}
	return CheckConsistency(keys, old, new, p)
}

func TestCheckCheckpoint(t *testing.T) {
	f := published(t)
	cp := checkpointNote(t, f.log)
	rep, err := CheckCheckpoint(f.keys, cp)
	if err != nil || rep.Size != 300 || len(rep.Cosigners) != 2 {
		t.Fatalf("CheckCheckpoint = %+v, %v; want size 300 with 2 cosigners", rep, err)
	}
	one, _ := ParseKeys(f.vkey, f.wvkeys, 1)
	tests := []struct {
		name string
		keys Keys
		cp   []byte
		want Failure
	}{
		{"one of two suffices", one, dropSigLine(cp, "witness.test/b"), ""},
		{"two of two", f.keys, dropSigLine(cp, "witness.test/b"), Quorum},
		{"no cosignatures", one, dropSigLine(dropSigLine(cp, "witness.test/a"),
			"witness.test/b"), Quorum},
		{"log signature removed", f.keys, dropSigLine(cp, origin), WrongKey},
		{"log signature edited", f.keys, flipSig(t, cp, origin), TamperedCheckpoint},
	}
	for _, tt := range tests {
		_, err := CheckCheckpoint(tt.keys, tt.cp)
		if got := FailureOf(err); got != tt.want {
			t.Errorf("%s: CheckCheckpoint error = %v, want failure %q", tt.name, err, tt.want)
		}
	}
}
