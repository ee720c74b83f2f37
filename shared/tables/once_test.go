package tables_test

import (
	"errors"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/tables"
)

func TestOnce(t *testing.T) {
	env := otstest.Start(t)
	ctx := t.Context()
	if err := tables.Create(ctx, env.Client, []tables.Table{tables.Idem}); err != nil {
		t.Fatal(err)
	}
	st, err := tables.New(env.Client, []tables.Table{tables.Idem})
	if err != nil {
		t.Fatal(err)
	}
	key := tables.Key{tables.SaltedKey("once"), "k1"}
	runs := 0
	do := func(out string, fail error) func() ([]byte, error) {
		return func() ([]byte, error) { runs++; return []byte(out), fail }
	}
	once := func(hash string, f func() ([]byte, error)) (string, bool, error) {
		out, replayed, err := st.Once(ctx, tables.Idem.Name, key, hash, time.Hour, f)
		return string(out), replayed, err
	}

	boom := errors.New("boom")
	if _, _, err := once("h1", do("", boom)); !errors.Is(err, boom) {
		t.Fatalf("failing run: err = %v, want boom", err)
	}
	out, replayed, err := once("h1", do("first", nil))
	if out != "first" || replayed || err != nil {
		t.Fatalf("run after a failed one = %q, %v, %v; want it to run afresh", out, replayed, err)
	}
	if out, replayed, err := once("h1", do("second", nil)); out != "first" || !replayed ||
		err != nil {
		t.Errorf("repeat = %q, %v, %v; want the stored %q replayed", out, replayed, err, "first")
	}
	if _, _, err := once("h2", do("other", nil)); !errors.Is(err, tables.ErrConflict) {
		t.Errorf("another request under the key: err = %v, want ErrConflict", err)
	}
	if runs != 2 {
		t.Errorf("do ran %d times, want 2 (the failed run and the first success)", runs)
	}

	pending := tables.Key{tables.SaltedKey("once"), "k2"}
	if _, err := st.Claim(ctx, tables.Idem.Name, pending, "h", time.Hour); err != nil {
		t.Fatal(err)
	}
	_, _, err = st.Once(ctx, tables.Idem.Name, pending, "h", time.Hour, do("x", nil))
	if !errors.Is(err, tables.ErrInProgress) {
		t.Errorf("repeat while the first runs: err = %v, want ErrInProgress", err)
	}
}
