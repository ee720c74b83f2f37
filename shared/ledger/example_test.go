package ledger_test

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/witness"
)

// Example appends entries, integrates and publishes them with one witness
// cosigning, and verifies a receipt offline with only the public keys.
func Example() {
	ctx := context.Background()
	skey, vkey, _ := ledger.GenerateKey("ledger.example.org/log")
	wskey, wvkey, _ := witness.GenerateKey("witness.example.org/a")
	w, _ := witness.New(wskey, new(witness.MemState), vkey)
	policy, _ := witness.NewPolicy(1, wvkey)

	l, err := ledger.New(ledger.Config{
		Store:     new(ledger.MemStore),
		Sequencer: new(ledger.MemSequencer),
		Key:       skey,
		Witnesses: []ledger.Cosigner{w}, // or &witness.Client{URL: ...}
		Policy:    policy,
	})
	if err != nil {
		panic(err)
	}
	first, _ := l.Append(ctx, []byte(`{"n":0}`), []byte(`{"n":1}`), []byte(`{"n":2}`))
	l.Integrate(ctx)
	c, err := l.Publish(ctx)
	if err != nil {
		panic(err)
	}
	receipt, _ := l.Receipt(ctx, first+1)

	// Any party, offline, with the log's and the witness's public keys:
	logVerifier, _ := note.NewVerifier(vkey)
	got, err := ledger.VerifyReceipt(receipt, []byte(`{"n":1}`), logVerifier, policy)
	fmt.Println(c.Size, got.Origin, err)
	_, err = ledger.VerifyReceipt(receipt, []byte(`{"n":9}`), logVerifier, policy)
	fmt.Println(err != nil)
	// Output:
	// 3 ledger.example.org/log <nil>
	// true
}
