package ledgerapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/tables"
)

// TestIdempotentSubmission repeats submissions under one Idempotency-Key,
// in turn and at once: they get one index and the entry is logged once;
// after the tick a repeat also gets the receipt URL; the key is refused for
// another entry.
func TestIdempotentSubmission(t *testing.T) {
	st := newStack(t, nil)
	key := map[string]string{"Idempotency-Key": "reg-1"}
	s := signed(t, uni, 1)
	first, a := st.submit(SubmitRequest{Signed: s}, key)
	if a.status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", a.status, a.body)
	}
	st.submit(SubmitRequest{Signed: signed(t, firm, 2)}, nil)
	again, _ := st.submit(SubmitRequest{Signed: s}, key)
	if again.Index != first.Index || again.ReceiptURL != "" {
		t.Errorf("repeat = %+v, want index %d and no receipt yet", again, first.Index)
	}
	st.tick()
	again, _ = st.submit(SubmitRequest{Signed: s}, key)
	if again.Index != first.Index || again.ReceiptURL == "" || again.Status != "published" {
		t.Errorf("repeat after the tick = %+v, want index %d with a receipt", again, first.Index)
	}
	if a := st.do("GET", again.ReceiptURL, nil, nil); a.status != 200 {
		t.Errorf("GET %s: %d", again.ReceiptURL, a.status)
	}
	_, a = st.submit(SubmitRequest{Signed: signed(t, uni, 9)}, key)
	if a.status != http.StatusUnprocessableEntity || a.errorCode() != "idempotency_key_reused" {
		t.Errorf("key reused for another entry: %d %s", a.status, a.body)
	}

	// Ten at once, with a new key.
	key = map[string]string{"Idempotency-Key": "reg-2"}
	s = signed(t, uni, 3)
	got := make([]uint64, 10)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			resp, a := st.submit(SubmitRequest{Signed: s}, key)
			if a.status != http.StatusAccepted {
				t.Errorf("concurrent submit: %d %s", a.status, a.body)
			}
			got[i] = resp.Index
		})
	}
	wg.Wait()
	for i, idx := range got {
		if idx != got[0] {
			t.Errorf("concurrent submit %d got index %d, submit 0 got %d", i, idx, got[0])
		}
	}
	if n := len(st.sequenced()); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
}

// TestIdempotencyAfterCrash leaves a key claimed by a request that died
// before and after its entry was sequenced: the retry logs the entry once.
func TestIdempotencyAfterCrash(t *testing.T) {
	st := newStack(t, nil)
	ctx := context.Background()
	for _, sequenced := range []bool{false, true} {
		name := map[bool]string{false: "crash-before", true: "crash-after"}[sequenced]
		s := signed(t, uni, len(name))
		entry := entryOf(t, s)
		sum := sha256.Sum256(entry)
		hash := hex.EncodeToString(sum[:])
		tid := tables.TenantKey(uni)
		rowKey := tables.Key{tid, "ledger/" + name}
		if _, err := st.db.Claim(ctx, tables.Idem.Name, rowKey, hash, time.Hour); err != nil {
			t.Fatal(err)
		}
		want := uint64(len(st.sequenced()))
		if sequenced {
			in := &rowIntent{db: st.db, table: tables.Idem.Name, key: rowKey}
			idx, err := st.svc.seq.AssignOnce(ctx, "idem/"+tid+"/"+name+"/"+hash[:16],
				[][]byte{entry}, in)
			if err != nil || idx != want {
				t.Fatalf("%s: first attempt: %d, %v", name, idx, err)
			}
		}
		resp, a := st.submit(SubmitRequest{Signed: s}, map[string]string{"Idempotency-Key": name})
		if a.status != http.StatusAccepted || resp.Index != want {
			t.Errorf("%s: retry: %d %s, want index %d", name, a.status, a.body, want)
		}
		if n := len(st.sequenced()); n != int(want)+1 {
			t.Errorf("%s: %d entries, want %d", name, n, want+1)
		}
	}
}
