package ledgerapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// Organizations of the tests.
const (
	uni  = "dingxietonguniversity"
	firm = "dingsupplierfirm"
)

const sessionKey = "ledgerapi-test-session-key-0123456789abcdef"

var (
	keyOnce    sync.Once
	skey, vkey string
)

// devOrgKey is a fixed key of org, as the events fixtures are signed with.
func devOrgKey(org string) envelope.Key {
	seed := sha256.Sum256([]byte("xietong dev org key " + org))
	return envelope.Key{Signer: org, Private: ed25519.NewKeyFromSeed(seed[:])}
}

// stack is the ledger function over in-process emulators, built through
// FromEnv as the function builds it.
type stack struct {
	t        testing.TB
	svc      *Service
	h        http.Handler
	db       *tables.Store
	env      map[string]string
	verifier note.Verifier
	sessions *session.Signer
}

func newStack(t testing.TB, extra map[string]string) *stack {
	t.Helper()
	oss := ossemutest.Start(t)
	ts := otstest.StartWith(t, ots.Config{AccessKeyID: oss.AccessKeyID,
		AccessKeySecret: oss.AccessKeySecret})
	if err := tables.Create(context.Background(), ts.Client, tables.All); err != nil {
		t.Fatal(err)
	}
	keyOnce.Do(func() {
		var err error
		if skey, vkey, err = ledger.GenerateKey("ledger.test/log"); err != nil {
			t.Fatal(err)
		}
	})
	orgKeys, _ := json.Marshal(map[string][]string{
		uni: {base64.StdEncoding.EncodeToString(
			devOrgKey(uni).Private.Public().(ed25519.PublicKey))},
		firm: {base64.StdEncoding.EncodeToString(
			devOrgKey(firm).Private.Public().(ed25519.PublicKey))},
	})
	env := map[string]string{
		"TABLESTORE_ENDPOINT": ts.Endpoint, "TABLESTORE_INSTANCE": ts.Instance,
		"OSS_ENDPOINT": oss.Endpoint, "OSS_BUCKET": oss.Bucket, "OSS_REGION": oss.Region,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     oss.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": oss.AccessKeySecret,
		EnvLogKey:                         skey,
		EnvOrgKeys:                        string(orgKeys), session.EnvKey: sessionKey,
	}
	for k, v := range extra {
		env[k] = v
	}
	svc, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := session.New([]byte(sessionKey))
	if err != nil {
		t.Fatal(err)
	}
	return &stack{t: t, svc: svc, h: svc.Handler(), db: svc.db, env: env, verifier: v,
		sessions: sessions}
}

// answer is one HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// errorCode returns the code of an ErrorBody answer.
func (a answer) errorCode() string {
	var eb runtime.ErrorBody
	_ = json.Unmarshal(a.body, &eb)
	return eb.Error.Code
}

func (st *stack) do(method, path string, body []byte, header map[string]string) answer {
	st.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequestWithContext(context.Background(), method, path, r)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	st.h.ServeHTTP(rec, req)
	return answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// submit posts req and decodes a 202 answer.
func (st *stack) submit(req SubmitRequest, header map[string]string) (SubmitResponse, answer) {
	st.t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		st.t.Fatal(err)
	}
	a := st.do("POST", "/api/ledger/entries", body, header)
	var resp SubmitResponse
	if a.status == http.StatusAccepted {
		if err := json.Unmarshal(a.body, &resp); err != nil {
			st.t.Fatal(err)
		}
	}
	return resp, a
}

// tick runs the timer.
func (st *stack) tick() {
	st.t.Helper()
	ev := runtime.TimerEvent{TriggerTime: time.Now()}
	if err := st.svc.Tick(context.Background(), ev); err != nil {
		st.t.Fatal(err)
	}
}

// sequenced returns every sequenced entry.
func (st *stack) sequenced() [][]byte {
	st.t.Helper()
	es, err := st.svc.seq.Sequenced(context.Background(), 0, 10_000)
	if err != nil {
		st.t.Fatal(err)
	}
	return es
}

// registration returns a valid IP registration envelope of org; n varies
// the work digest.
func registration(t testing.TB, org string, n int) *envelope.Envelope {
	t.Helper()
	title, _, err := envelope.Commit(fmt.Appendf(nil, "work %d", n))
	if err != nil {
		t.Fatal(err)
	}
	e, err := envelope.New(org, 1_764_749_712, &envelope.IPRegistration{
		Work: envelope.DigestOf(fmt.Appendf(nil, "work %d", n)), Kind: "software",
		Owners: []string{org}, Title: title})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// signed returns registration n signed by org's key.
func signed(t testing.TB, org string, n int) *envelope.Signed {
	t.Helper()
	s, err := devOrgKey(org).Sign(registration(t, org, n))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func entryOf(t testing.TB, s *envelope.Signed) []byte {
	t.Helper()
	e, err := s.Entry()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// bearer returns the Authorization header of a session in corp.
func (st *stack) bearer(corp string) map[string]string {
	st.t.Helper()
	tok, _, err := st.sessions.Issue(corp, "user1")
	if err != nil {
		st.t.Fatal(err)
	}
	return map[string]string{"Authorization": "Bearer " + tok}
}

// httpStore is a ledger.ObjectStore that reads the tiles over the API, as
// an offline verifier that mirrored them would.
type httpStore struct{ st *stack }

func (h httpStore) Get(_ context.Context, path string) ([]byte, error) {
	a := h.st.do("GET", "/api/ledger/"+path, nil, nil)
	if a.status == http.StatusNotFound {
		return nil, fmt.Errorf("get %q: %w", path, ledger.ErrNotFound)
	}
	if a.status != http.StatusOK {
		return nil, fmt.Errorf("get %q: status %d", path, a.status)
	}
	return a.body, nil
}

func (httpStore) Put(context.Context, string, []byte, bool) error {
	return fmt.Errorf("read-only")
}
