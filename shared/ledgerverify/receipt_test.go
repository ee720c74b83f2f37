package ledgerverify

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/witness"
)

func TestCheckReceiptAccepts(t *testing.T) {
	f := published(t)
	for _, i := range []uint64{0, 7, 255, 256, 299} {
		r := f.receipt(t, i)
		e := f.entries[i]
		rep, err := CheckReceipt(f.keys, r, e, envelope.DigestOf(e))
		if err != nil {
			t.Fatalf("CheckReceipt(%d): %v", i, err)
		}
		if rep.Index != i || rep.Size != 300 || rep.Origin != origin || !rep.EnvelopeSig {
			t.Errorf("CheckReceipt(%d) = %+v, want index %d, size 300, origin %s, signature",
				i, rep, i, origin)
		}
		if len(rep.Cosigners) != 2 || rep.Required != 2 {
			t.Errorf("CheckReceipt(%d) cosigners %v of %d, want 2 of 2", i, rep.Cosigners,
				rep.Required)
		}
	}
	// With the log key alone, no witnesses and no envelope keys.
	logOnly, err := ParseKeys(f.vkey, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := CheckReceipt(logOnly, f.receipt(t, 3), f.entries[3], "")
	if err != nil || rep.EnvelopeSig || rep.Envelope == nil {
		t.Errorf("log key only: %+v, %v; want a parsed envelope, signature unchecked", rep, err)
	}
}

// TestCheckReceiptNamesFailure tampers with each piece a verifier is given
// (the entry, the proof, the index, the checkpoint, a cosignature, the keys)
// and checks that the verdict names it.
func TestCheckReceiptNamesFailure(t *testing.T) {
	f := published(t)
	r7, e7, e8 := f.receipt(t, 7), f.entries[7], f.entries[8]
	d7 := envelope.DigestOf(e7)
	logOnly, _ := ParseKeys(f.vkey, nil, 0)
	withRing := logOnly
	withRing.Envelopes = f.keys.Envelopes

	_, otherVKey, _ := ledger.GenerateKey("other.test/log")
	_, sameNameVKey, _ := ledger.GenerateKey(origin)
	otherKeys, _ := ParseKeys(otherVKey, nil, 0)
	sameNameKeys, _ := ParseKeys(sameNameVKey, nil, 0)
	var rc ledger.Receipt
	rc.Unmarshal(r7)
	n, _ := note.Open(rc.Checkpoint, f.keys.Policy.VerifierList(f.keys.Log))
	_, strangerVKey, _ := witness.GenerateKey("witness.test/c")
	stranger, _ := ParseKeys(f.vkey, []string{f.wvkeys[0], strangerVKey}, 2)

	flipped := bytes.Replace(e7, []byte(`"kind":"software"`), []byte(`"kind":"softwarE"`), 1)
	tests := []struct {
		name    string
		keys    Keys
		receipt []byte
		entry   []byte
		digest  envelope.Digest
		want    Failure
	}{
		{"entry edited, no hints", logOnly, r7, flipped, "", TamperedEntry},
		{"entry edited, digest given", logOnly, r7, flipped, d7, TamperedEntry},
		{"entry edited, still canonical", withRing, r7, resignedOther(t, e7), "", TamperedEntry},
		{"entry swapped, no hints", logOnly, r7, e8, "", Mismatch},
		{"entry swapped, digest given", logOnly, r7, e8, d7, TamperedEntry},
		{"reordered pair, keys given", withRing, r7, e8, "", BadProof},
		{"proof hash flipped, digest", logOnly, editProof(t, r7, flipHash), e7, d7, BadProof},
		{"proof hash flipped, keys", withRing, editProof(t, r7, flipHash), e7, "", BadProof},
		{"proof hash dropped", logOnly, editProof(t, r7, dropHash), e7, "", BadProof},
		{"index changed", logOnly, editProof(t, r7, func(rc *ledger.Receipt) { rc.Index = 6 }),
			e7, d7, BadProof},
		{"index beyond size", logOnly, editProof(t, r7,
			func(rc *ledger.Receipt) { rc.Index = 300 }), e7, d7, BadProof},
		{"checkpoint size edited", f.keys, editCP(t, r7, func(cp []byte) []byte {
			return bytes.Replace(cp, []byte("\n300\n"), []byte("\n301\n"), 1)
		}), e7, "", TamperedCheckpoint},
		{"cosignature edited", f.keys, editCP(t, r7, func(cp []byte) []byte {
			return flipSig(t, cp, "witness.test/b")
		}), e7, "", TamperedCosignature},
		{"cosignature removed", f.keys, editCP(t, r7, func(cp []byte) []byte {
			return dropSigLine(cp, "witness.test/a")
		}), e7, "", Quorum},
		{"witness not cosigning", stranger, r7, e7, "", Quorum},
		{"other log's key", otherKeys, r7, e7, "", WrongKey},
		{"same name, other key", sameNameKeys, r7, e7, "", WrongKey},
		{"other origin, same key", logOnly, editCP(t, r7, func([]byte) []byte {
			return f.resign(t, strings.Replace(n.Text, origin, "elsewhere.test/log", 1))
		}), e7, "", Origin},
		{"not a receipt", logOnly, []byte("hello"), e7, "", Malformed},
		{"checkpoint not a note", logOnly, editCP(t, r7, func([]byte) []byte {
			return []byte("just text\n")
		}), e7, "", Malformed},
		{"checkpoint body not a checkpoint", logOnly, editCP(t, r7, func([]byte) []byte {
			return f.resign(t, "example\nnot a size\n")
		}), e7, "", Malformed},
		{"signed by unknown org key", Keys{Log: f.keys.Log,
			Envelopes: &envelope.KeyRing{Service: "xietong"}}, r7, e7, "", EntrySignature},
		{"in the log, not the entry expected", logOnly, r7, e7, envelope.DigestOf(e8),
			TamperedEntry},
	}
	for _, tt := range tests {
		rep, err := CheckReceipt(tt.keys, tt.receipt, tt.entry, tt.digest)
		if got := FailureOf(err); got != tt.want {
			t.Errorf("%s: CheckReceipt = %v, %v; want failure %q", tt.name, rep, err, tt.want)
		}
	}
}

func TestCheckReceiptKeepsLedgerSentinels(t *testing.T) {
	f := published(t)
	flipped := editProof(t, f.receipt(t, 9), flipHash)
	_, err := CheckReceipt(f.keys, flipped, f.entries[9], "")
	if !errors.Is(err, ledger.ErrInclusion) {
		t.Errorf("CheckReceipt error = %v, want it to wrap ledger.ErrInclusion", err)
	}
}

func flipHash(rc *ledger.Receipt) { rc.Hashes[0][0] ^= 1 }

func dropHash(rc *ledger.Receipt) { rc.Hashes = rc.Hashes[:len(rc.Hashes)-1] }

func editProof(t *testing.T, r []byte, edit func(*ledger.Receipt)) []byte {
	t.Helper()
	return editReceipt(t, r, edit)
}

// editCP replaces the receipt's checkpoint with edit's result.
func editCP(t *testing.T, r []byte, edit func([]byte) []byte) []byte {
	t.Helper()
	return editReceipt(t, r, func(rc *ledger.Receipt) { rc.Checkpoint = edit(rc.Checkpoint) })
}

// resignedOther returns entry with its envelope's time changed and signed
// again by a key the verifier does not trust, so it is still canonical.
func resignedOther(t *testing.T, entry []byte) []byte {
	t.Helper()
	s, err := envelope.Parse(entry)
	if err != nil {
		t.Fatal(err)
	}
	s.Envelope.Time++
	forger := orgKey()
	forger.Private = ed25519Key("forger")
	forged, err := forger.Sign(&s.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	out, err := forged.Entry()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
