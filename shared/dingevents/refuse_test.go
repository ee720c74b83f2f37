package dingevents_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/dingtalk/callback"
	"github.com/xietong/xietong/shared/runtime"
)

// univKeys are the university app's push credentials in the seed.
const (
	univToken  = "univtoken"
	univAESKey = "dW5pdmVyc2l0eWFlc2tleWZvcmxvY2FsZGV2MDAwMDE"
	univOwner  = "dinguniv-xietong"
)

func univCrypto(t testing.TB, owner string, now func() time.Time) *callback.Crypto {
	t.Helper()
	c, err := callback.New(callback.Config{Token: univToken, EncodingAESKey: univAESKey,
		OwnerKey: owner, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sealed is a push as DingTalk sends it: signed query and encrypt body.
func sealed(t testing.TB, c *callback.Crypto, event map[string]any) (url.Values, string) {
	t.Helper()
	msg, _ := json.Marshal(event)
	r, err := c.Seal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return r.Query().Values(), r.Encrypt
}

// resign signs encrypt with a fresh timestamp, as a forger knowing the token
// but not the AES key could.
func resign(encrypt string) url.Values {
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	q := callback.Query{Signature: callback.Sign(univToken, ts, "n0nce123", encrypt),
		Timestamp: ts, Nonce: "n0nce123"}
	return q.Values()
}

// badPadding encrypts a plaintext whose last byte is not valid padding.
func badPadding(t *testing.T) string {
	t.Helper()
	key, err := callback.DecodeAESKey(univAESKey)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"EventType":"user_add_org","UserId":["u-evil"]}`)
	b := append([]byte("0123456789abcdef"), binary.BigEndian.AppendUint32(nil, uint32(len(msg)))...)
	b = append(append(b, msg...), univOwner...)
	for len(b)%32 != 31 {
		b = append(b, 'x')
	}
	b = append(b, 40) // a pad byte above 32
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(b, b)
	return base64.StdEncoding.EncodeToString(b)
}

func post(h http.Handler, q url.Values, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/callback/dingtalk?"+q.Encode(),
		bytes.NewBufferString(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func encryptBody(enc string) string {
	b, _ := json.Marshal(callback.Body{Encrypt: enc})
	return string(b)
}

// TestRefusals sends pushes that must be refused; each gets a 4xx with its
// error code and leaves every table as it was.
func TestRefusals(t *testing.T) {
	s := newStack(t, ots.Config{})
	evil := map[string]any{"EventType": "user_add_org", "UserId": []string{"u-president"}}
	good := univCrypto(t, univOwner, nil)
	q, enc := sealed(t, good, evil)
	forged := url.Values{}
	for k, v := range q {
		forged[k] = v
	}
	forged.Set("signature", "0000000000000000000000000000000000000000")
	forged.Set("msg_signature", "0000000000000000000000000000000000000000")
	wq, wenc := sealed(t, univCrypto(t, "dingsomeoneelse", nil), evil)
	sq, senc := sealed(t, univCrypto(t, univOwner,
		func() time.Time { return time.Now().Add(-time.Hour) }), evil)
	raw, _ := base64.StdEncoding.DecodeString(enc)
	trunc := base64.StdEncoding.EncodeToString(raw[:len(raw)-5])
	pad := badPadding(t)

	tests := []struct {
		name   string
		q      url.Values
		body   string
		status int
		code   string
	}{
		{"forged signature", forged, encryptBody(enc), 401, "bad_signature"},
		{"no signature", url.Values{}, encryptBody(enc), 401, "bad_signature"},
		{"wrong owner key", wq, encryptBody(wenc), 401, "owner_key_mismatch"},
		{"stale timestamp", sq, encryptBody(senc), 401, "stale_timestamp"},
		{"truncated ciphertext", resign(trunc), encryptBody(trunc), 400, "bad_ciphertext"},
		{"bad padding", resign(pad), encryptBody(pad), 400, "bad_padding"},
		{"not base64", resign("!!!!"), encryptBody("!!!!"), 400, "bad_ciphertext"},
		{"no encrypt field", q, `{"secret":"x"}`, 400, "bad_ciphertext"},
		{"not JSON", q, `encrypt=` + enc, 400, "bad_ciphertext"},
	}
	before := s.snapshot(univ, allTables...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(s.handler, tt.q, tt.body)
			var body runtime.ErrorBody
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != tt.status || body.Error.Code != tt.code {
				t.Errorf("got %d %q (%s), want %d %q", rec.Code, body.Error.Code,
					body.Error.Message, tt.status, tt.code)
			}
		})
	}
	if got := s.snapshot(univ, allTables...); got != before {
		t.Errorf("refused pushes changed state:\nbefore:\n%s\nafter:\n%s", before, got)
	}

	// The genuine push, for contrast, is accepted and applied.
	if rec := post(s.handler, q, encryptBody(enc)); rec.Code != http.StatusOK {
		t.Fatalf("genuine push: %d %s", rec.Code, rec.Body)
	}
	if err := good.CheckReply(post(s.handler, q, encryptBody(enc)).Body.Bytes()); err != nil {
		t.Errorf("reply to a redelivery: %v", err)
	}
	mustUser(t, s, univ, "u-president")
}

// TestCorpMismatch refuses an event that names another corp than its keys.
func TestCorpMismatch(t *testing.T) {
	s := newStack(t, ots.Config{})
	q, enc := sealed(t, univCrypto(t, univOwner, nil), map[string]any{
		"EventType": "user_leave_org", "CorpId": acme, "UserId": []string{"a-ceo"}})
	before := s.snapshot(acme, allTables...) + s.snapshot(univ, allTables...)
	if rec := post(s.handler, q, encryptBody(enc)); rec.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", rec.Code)
	}
	if got := s.snapshot(acme, allTables...) + s.snapshot(univ, allTables...); got != before {
		t.Errorf("mismatched corp changed state")
	}
}
