package ledgerverify

import (
	"bytes"
	"context"
	"testing"

	"github.com/xietong/xietong/shared/ledger/envelope"
)

func TestVerifierReceipts(t *testing.T) {
	f := published(t)
	v := NewVerifier(f.keys)
	for i, e := range f.entries {
		idx, err := v.Receipt(f.receipt(t, uint64(i)), e, envelope.DigestOf(e))
		if err != nil || idx != uint64(i) {
			t.Fatalf("Receipt(%d) = %d, %v; want %d", i, idx, err, i)
		}
	}
	if len(v.seen) != 1 {
		t.Errorf("verifier opened %d checkpoints for one, want 1", len(v.seen))
	}
}

// TestVerifierNamesFailure checks that the cached path names failures as
// CheckReceipt does, a cached checkpoint included.
func TestVerifierNamesFailure(t *testing.T) {
	f := published(t)
	r7, e7 := f.receipt(t, 7), f.entries[7]
	d7 := envelope.DigestOf(e7)
	otherKeys, _ := ParseKeys(f.vkey, f.wvkeys[:1], 1)
	edited := bytes.Replace(e7, []byte(`"software"`), []byte(`"Software"`), 1)
	tests := []struct {
		name    string
		v       *Verifier
		receipt []byte
		entry   []byte
		digest  envelope.Digest
		want    Failure
	}{
		{"entry edited", NewVerifier(f.keys), r7, edited, "", TamperedEntry},
		{"proof flipped", NewVerifier(f.keys), editProof(t, r7, flipHash), e7, d7, BadProof},
		{"not the entry expected", NewVerifier(f.keys), r7, e7, envelope.DigestOf(f.entries[8]),
			TamperedEntry},
		{"cosignature removed", NewVerifier(f.keys), editCP(t, r7, func(cp []byte) []byte {
			return dropSigLine(cp, "witness.test/a")
		}), e7, "", Quorum},
		{"one of one witness is enough", NewVerifier(otherKeys), r7, e7, d7, ""},
		{"garbage", NewVerifier(f.keys), []byte("x"), e7, "", Malformed},
	}
	for _, tt := range tests {
		// Warm the cache with a good receipt first: failures must not
		// depend on a fresh checkpoint.
		if _, err := tt.v.Receipt(f.receipt(t, 1), f.entries[1], ""); err != nil {
			t.Fatalf("%s: warm-up: %v", tt.name, err)
		}
		_, err := tt.v.Receipt(tt.receipt, tt.entry, tt.digest)
		if got := FailureOf(err); got != tt.want {
			t.Errorf("%s: Receipt error = %v, want failure %q", tt.name, err, tt.want)
		}
	}
}

func TestVerifierInclusion(t *testing.T) {
	f := published(t)
	ctx := context.Background()
	cp := checkpointNote(t, f.log)
	v := NewVerifier(f.keys)
	hashes, err := f.log.InclusionProof(ctx, 42, 300)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Inclusion(cp, 42, f.entries[42], hashes); err != nil {
		t.Errorf("Inclusion(42): %v", err)
	}
	if err := v.Inclusion(cp, 43, f.entries[42], hashes); FailureOf(err) != Mismatch {
		t.Errorf("Inclusion at the wrong index: %v, want failure %q", err, Mismatch)
	}
	badCP := bytes.Replace(cp, []byte("\n300\n"), []byte("\n299\n"), 1)
	err = v.Inclusion(badCP, 42, f.entries[42], hashes)
	if FailureOf(err) != TamperedCheckpoint {
		t.Errorf("Inclusion against an edited checkpoint: %v, want %q", err, TamperedCheckpoint)
	}
}
