package ledgerverify

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledger/rules"
)

// dirStore writes a log's objects as files, the layout replay reads.
type dirStore string

func (d dirStore) Put(_ context.Context, path string, data []byte, _ bool) error {
	p := filepath.Join(string(d), filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o600)
}

func (d dirStore) Get(ctx context.Context, path string) ([]byte, error) {
	return dirSource(d).Get(ctx, path)
}

// replayLog publishes a log of a grant, uses and their settlements into a
// directory; forge, when set, edits the second settlement before signing.
func replayLog(t *testing.T, forge func(*envelope.RevenueSettlement)) (dir, vkey string) {
	t.Helper()
	ctx := context.Background()
	skey, vkey, err := ledger.GenerateKey("replay.test/log")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	l, err := ledger.New(ledger.Config{Store: dirStore(dir),
		Sequencer: new(ledger.MemSequencer), Key: skey})
	if err != nil {
		t.Fatal(err)
	}
	owner := envelope.Key{Signer: "univ", Private: ed25519.NewKeyFromSeed(make([]byte, 32))}
	svc := envelope.Key{Signer: rules.ServiceOrg,
		Private: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))}
	var log []rules.Record
	add := func(k envelope.Key, e *envelope.Envelope) rules.Record {
		s, err := k.Sign(e)
		if err != nil {
			t.Fatal(err)
		}
		entry, _ := s.Entry()
		i, err := l.Append(ctx, entry)
		if err != nil {
			t.Fatal(err)
		}
		r, err := rules.NewRecord(i, entry)
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, r)
		return r
	}
	grant, _ := envelope.New("univ", 1000, &envelope.ConsentGrant{Owner: "univ",
		Party: "corp-b", Purpose: "research", Asset: "asset.x", Expires: 5000,
		Subject: envelope.Commitment(envelope.DigestOf([]byte("s")))})
	add(owner, grant)
	var pool rules.Pool
	for n := range 3 {
		use, _ := envelope.New("univ", int64(1001+n), &envelope.DataUse{UseID: "u" +
			string(rune('0'+n)), Asset: "asset.x", Consumer: "corp-b", Purpose: "research",
			AmountFen: 333, MinPayoutFen: 50,
			Shares: []envelope.Share{{Party: "univ", BPS: 9000}, {Party: "corp-s", BPS: 1000}}})
		u := add(owner, use)
		e, carries, err := rules.SettleWith(u, pool)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 && forge != nil {
			b, _ := e.Decode()
			forge(b.(*envelope.RevenueSettlement))
			e, _ = envelope.New(e.Org, e.Time, b, e.Refs...)
		}
		r := add(svc, e)
		ref := r.Ref()
		pool = rules.Pool{Carries: carries, Last: &ref}
	}
	if _, err := l.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	return dir, vkey
}

func TestReplayCommand(t *testing.T) {
	dir, vkey := replayLog(t, nil)
	srv := httptest.NewServer(http.StripPrefix("/api/ledger/", http.FileServer(http.Dir(dir))))
	t.Cleanup(srv.Close)
	forged, fvkey := replayLog(t, func(s *envelope.RevenueSettlement) {
		s.Payouts[0].CarryFen, s.Payouts[0].PaidFen = s.Payouts[0].PaidFen, 0
	})
	tampered, tvkey := replayLog(t, nil)
	bundle := filepath.Join(tampered, "tile", "entries", "000.p", "7")
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bundle, bytes.Replace(data, []byte(`"u2"`), []byte(`"u9"`), 1), 0o600)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"directory", []string{"replay", "-log-key", vkey, "-log", dir}, ExitOK,
			"7 replayed, every contract result reproduced"},
		{"URL", []string{"replay", "-log-key", vkey, "-log", srv.URL + "/api/ledger/"}, ExitOK,
			"OK replay"},
		{"forged settlement", []string{"replay", "-log-key", fvkey, "-log", forged}, ExitFailed,
			"entry 4 (revenue.settlement): logged"},
		{"edited bundle", []string{"replay", "-log-key", tvkey, "-log", tampered}, ExitFailed,
			"FAIL tampered entry:"},
		{"no log", []string{"replay", "-log-key", vkey}, ExitUsage, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := Main(tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String(), tt.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d with %q", tt.name, code,
				out.String(), errOut.String(), tt.code, tt.want)
		}
	}
}
