package envelope

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func testKey(signer string, seed byte) Key {
	return Key{Signer: signer, Private: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))}
}

func sampleUse() *DataUse {
	return &DataUse{
		UseID: "use-1", Asset: "asset.talent-2026", Consumer: "corp-b", Purpose: "recruiting",
		AmountFen: 10_000, Subject: DigestCommitment("subject"),
		Shares: []Share{{Party: "corp-a", BPS: 7000}, {Party: "univ", BPS: 3000}},
	}
}

// DigestCommitment is a fixed, well-formed commitment for tests.
func DigestCommitment(s string) Commitment { return Commitment(DigestOf([]byte(s))) }

const goldenEnvelope = `{"body":{"amount_fen":10000,"asset":"asset.talent-2026",` +
	`"consumer":"corp-b","purpose":"recruiting","shares":[{"bps":7000,"party":"corp-a"},` +
	`{"bps":3000,"party":"univ"}],"subject":"sha256:` +
	`a9491f4c1bf7b0cffbadcba2db8f028e4b3f2867cb59e1f3a0bc1968f3c51242","use_id":"use-1"},` +
	`"org":"corp-a","time":1764720000,"type":"data.use","v":1}`

func TestCanonicalIsDeterministic(t *testing.T) {
	e, err := New("corp-a", 1764720000, sampleUse())
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != goldenEnvelope {
		t.Errorf("canonical envelope:\n got %s\nwant %s", got, goldenEnvelope)
	}

	// The same value reached through a map built in another order, and
	// through indented JSON, encodes to the same bytes.
	var generic map[string]any
	if err := json.Unmarshal(got, &generic); err != nil {
		t.Fatal(err)
	}
	reordered := map[string]any{}
	for _, k := range []string{"v", "type", "time", "org", "body"} {
		reordered[k] = generic[k]
	}
	indented, _ := json.MarshalIndent(reordered, "", "    ")
	for _, v := range []any{reordered, json.RawMessage(indented)} {
		b, err := Canonical(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, got) {
			t.Errorf("Canonical(%T) = %s, want %s", v, b, got)
		}
	}
}

func TestCanonicalRefusesFloats(t *testing.T) {
	for _, in := range []string{`{"a":1.5}`, `[1e3]`, `{"a":{"b":[0.0]}}`} {
		if _, err := Canonical(json.RawMessage(in)); !errors.Is(err, ErrNotCanonical) {
			t.Errorf("Canonical(%s) error = %v, want ErrNotCanonical", in, err)
		}
	}
}

func TestSignedEntryRoundTrip(t *testing.T) {
	k := testKey("corp-a", 1)
	e, _ := New("corp-a", 1764720000, sampleUse())
	s, err := k.Sign(e)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := s.Entry()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := k.Sign(e)
	entry2, _ := again.Entry()
	if !bytes.Equal(entry, entry2) {
		t.Errorf("signing the same envelope twice gave different entries:\n%s\n%s", entry, entry2)
	}
	p, err := Parse(entry)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	b, err := p.Envelope.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if got := b.(*DataUse); got.AmountFen != 10_000 || len(got.Shares) != 2 {
		t.Errorf("decoded body = %+v", got)
	}

	var spaced bytes.Buffer
	json.Indent(&spaced, entry, "", " ")
	bad := []struct {
		name string
		in   []byte
		want error
	}{
		{"indented", spaced.Bytes(), ErrNotCanonical},
		{"unknown field", replace(entry, `{"envelope"`, `{"extra":1,"envelope"`), ErrInvalid},
		{"unknown body field", replace(entry, `"body":{`, `"body":{"aa":1,`), ErrInvalid},
	}
	for _, tt := range bad {
		if _, err := Parse(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("Parse(%s) error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSignatures(t *testing.T) {
	org, other, svc := testKey("corp-a", 1), testKey("corp-b", 2), testKey("service", 3)
	ring := &KeyRing{Service: "service"}
	for _, k := range []Key{org, other, svc} {
		ring.Add(k.Signer, k.Private.Public().(ed25519.PublicKey))
	}
	e, _ := New("corp-a", 1764720000, sampleUse())
	bySelf, _ := org.Sign(e)
	byService, _ := svc.SignFor(e)
	byOther, _ := other.SignFor(e)
	tampered, _ := org.Sign(e)
	tampered.Envelope.Time++
	stranger := *bySelf
	stranger.Signature.KeyID = "0011223344556677"

	if _, err := other.Sign(e); !errors.Is(err, ErrSignature) {
		t.Errorf("corp-b signing corp-a's envelope: error = %v, want ErrSignature", err)
	}
	tests := []struct {
		name string
		s    *Signed
		want error
	}{
		{"own key", bySelf, nil},
		{"service on behalf", byService, nil},
		{"non-service on behalf", byOther, ErrSignature},
		{"tampered", tampered, ErrSignature},
		{"unknown key", &stranger, ErrSignature},
	}
	for _, tt := range tests {
		if err := ring.Verify(tt.s); !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestCommitments(t *testing.T) {
	value := []byte("13800138000")
	c, o, err := Commit(value)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(c), string(value)) || c.Validate() != nil {
		t.Errorf("commitment %q reveals or is malformed", c)
	}
	if err := Open(c, o); err != nil {
		t.Errorf("Open(own opening) = %v", err)
	}
	if err := Open(c, Prove(o.Salt, value)); err != nil {
		t.Errorf("Open(Prove(salt, value)) = %v", err)
	}
	c2, _, _ := Commit(value)
	if c2 == c {
		t.Error("two commitments to the same value are equal; the salt is not random")
	}
	tests := []struct {
		name string
		o    Opening
	}{
		{"other value", Prove(o.Salt, []byte("13800138001"))},
		{"other salt", Prove(make([]byte, SaltSize), value)},
		{"short salt", Prove(o.Salt[:16], value)},
	}
	for _, tt := range tests {
		if err := Open(c, tt.o); !errors.Is(err, ErrCommitment) {
			t.Errorf("%s: Open error = %v, want ErrCommitment", tt.name, err)
		}
	}
}

func replace(b []byte, old, new string) []byte {
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}
