package callback

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// vector is one of the public test vectors in the reference notes (§1.9).
type vector struct {
	name, token, aesKey, owner string
	sig, ts, nonce, encrypt    string
	plain                      string
}

var vectors = []vector{
	{
		name: "V1", token: "tokenxxxx", aesKey: "o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus",
		owner: "dingxxxxxx", sig: "f36f4ba5337d426c7d4bca0dbcb06b3ddc1388fc",
		ts: "1605695694141", nonce: "WelUQl6bCqcBa2fM",
		encrypt: "X1VSe9cTJUMZu60d3kyLYTrBq5578ZRJtteU94wG0Q4Uk6E/wQYeJRIC0/UFW5Wkya1Ihz9oXAdLly" +
			"C9TRaqsQ==",
		plain: "success",
	},
	{
		name: "V2", token: "mryue", aesKey: "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7",
		owner: "ding6ccabc44d2c8d38b", sig: "03044561471240d4a14bb09372dfcfd4fd0e40cb",
		ts: "1608001896814", nonce: "WL4PK6yA",
		encrypt: "0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NR" +
			"PvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3",
		plain: `{"EventType":"check_url"}`,
	},
	{
		name: "V3", token: "123456", aesKey: "1234567890123456789012345678901234567890123",
		owner: "dingsnotzck6pm5veliw", sig: "9a95a004dd16f5c307e849b994173f76aa26e5eb",
		ts: "1614767836", nonce: "A7Co0cJLMzIDtMMI",
		encrypt: "YvkvaGe4hQxd3VxRmEty0dVlnCOAqwf56xwTRHDHoOURqhalbmBJQk5FNcRk42Gl5T0YQXZNwpwWSm" +
			"1xAFJ5ZA==",
		plain: "success",
	},
	{
		name: "V4", token: "123456", aesKey: "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij",
		owner: "suite4xxxxxxxxxxxxxxx", sig: "5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0",
		ts: "1445827045067", nonce: "nEXhMP4r",
		encrypt: "1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrH" +
			"MeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0r" +
			"gUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==",
		plain: `{"EventType":"check_create_suite_url","Random":"LPIdSnlF",` +
			`"TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}`,
	},
}

func (v vector) crypto(t testing.TB, owner string) *Crypto {
	t.Helper()
	at, err := ParseTimestamp(v.ts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{
		Token: v.token, EncodingAESKey: v.aesKey, OwnerKey: owner,
		Now: func() time.Time { return at.Add(30 * time.Second) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (v vector) query() Query {
	return Query{Signature: v.sig, Timestamp: v.ts, Nonce: v.nonce}
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			if got := Sign(v.token, v.ts, v.nonce, v.encrypt); got != v.sig {
				t.Errorf("Sign = %s, want %s", got, v.sig)
			}
			got, err := v.crypto(t, v.owner).Open(v.query(), v.encrypt)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if string(got) != v.plain {
				t.Errorf("Open = %q, want %q", got, v.plain)
			}
		})
	}
}

// TestEncryptV3 reproduces V3's ciphertext byte for byte from its known random
// prefix, which only 32-byte padding does.
func TestEncryptV3(t *testing.T) {
	v := vectors[2]
	c := v.crypto(t, v.owner)
	if got := c.encryptWithPrefix("dICkEDLj0eb6yAbc", []byte("success")); got != v.encrypt {
		t.Errorf("encrypt = %s, want %s", got, v.encrypt)
	}
}

func TestRefusals(t *testing.T) {
	v := vectors[1]
	good := v.query()
	tests := []struct {
		name    string
		owner   string
		q       Query
		encrypt string
		now     time.Duration // offset from the vector's timestamp
		want    error
	}{
		{"forged signature", v.owner,
			Query{strings.Repeat("0", 40), v.ts, v.nonce}, v.encrypt, 0, ErrSignature},
		{"missing signature", v.owner, Query{"", v.ts, v.nonce}, v.encrypt, 0, ErrSignature},
		{"tampered nonce", v.owner, Query{v.sig, v.ts, "WL4PK6yB"}, v.encrypt, 0, ErrSignature},
		{"wrong owner key", "dingsomeoneelse", good, v.encrypt, 0, ErrOwnerKey},
		{"corp id as owner key", "ding6ccabc44d2c8d38", good, v.encrypt, 0, ErrOwnerKey},
		{"stale", v.owner, good, v.encrypt, 6 * time.Minute, ErrStale},
		{"from the future", v.owner, good, v.encrypt, -6 * time.Minute, ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, _ := ParseTimestamp(v.ts)
			c, err := New(Config{Token: v.token, EncodingAESKey: v.aesKey, OwnerKey: tt.owner,
				Now: func() time.Time { return at.Add(tt.now) }})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Open(tt.q, tt.encrypt); !errors.Is(err, tt.want) {
				t.Errorf("Open = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestMalformed signs each bad ciphertext properly, so that the refusal comes
// from the ciphertext itself and not from the signature.
func TestMalformed(t *testing.T) {
	v := vectors[1]
	c := v.crypto(t, v.owner)
	ct, _ := base64.StdEncoding.DecodeString(v.encrypt)
	key, _ := DecodeAESKey(v.aesKey)
	tests := []struct {
		name    string
		encrypt string
		want    error
	}{
		{"not base64", "%%%%", ErrCiphertext},
		{"empty", "", ErrCiphertext},
		{"truncated to one block", b64(ct[:16]), ErrCiphertext},
		{"truncated mid-block", b64(ct[:len(ct)-5]), ErrCiphertext},
		{"last block dropped", b64(ct[:len(ct)-16]), ErrPadding},
		{"pad byte zero", sealRaw(key, plainWithPad(v, 0)), ErrPadding},
		{"pad byte 33", sealRaw(key, plainWithPad(v, 33)), ErrPadding},
		{"pad bytes differ", sealRaw(key, mixedPad(v)), ErrPadding},
		{"length field too big", sealRaw(key, badLength(v)), ErrCiphertext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := Query{Sign(v.token, v.ts, v.nonce, tt.encrypt), v.ts, v.nonce}
			got, err := c.Open(q, tt.encrypt)
			if !errors.Is(err, tt.want) {
				t.Errorf("Open = %q, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// layout builds random(16) + len + msg + owner without padding.
func layout(v vector, n uint32) []byte {
	b := []byte("0123456789abcdef")
	b = binary.BigEndian.AppendUint32(b, n)
	b = append(b, v.plain...)
	return append(b, v.owner...)
}

// plainWithPad pads to a multiple of 32 and then overwrites the last byte.
func plainWithPad(v vector, last byte) []byte {
	b := layout(v, uint32(len(v.plain)))
	p := 32 - len(b)%32
	b = append(b, bytes.Repeat([]byte{byte(p)}, p)...)
	b[len(b)-1] = last
	return b
}

func mixedPad(v vector) []byte {
	b := plainWithPad(v, 0)
	p := 32 - len(layout(v, 0))%32
	b[len(b)-1] = byte(p)
	b[len(b)-2] = byte(p + 1)
	return b
}

func badLength(v vector) []byte {
	b := layout(v, 1<<30)
	p := 32 - len(b)%32
	return append(b, bytes.Repeat([]byte{byte(p)}, p)...)
}

func sealRaw(key, plain []byte) string {
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return b64(out)
}

func TestRoundTrip(t *testing.T) {
	v := vectors[0]
	c := v.crypto(t, "dingappkey")
	msgs := []string{"", "x", strings.Repeat("事件", 200), `{"EventType":"user_add_org"}`}
	for _, msg := range msgs {
		r, err := c.Seal([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		ct, _ := base64.StdEncoding.DecodeString(r.Encrypt)
		if len(ct)%32 != 0 {
			t.Errorf("Seal(%q): ciphertext of %d bytes, want a multiple of 32", msg, len(ct))
		}
		got, err := c.Open(r.Query(), r.Encrypt)
		if err != nil || string(got) != msg {
			t.Errorf("Open(Seal(%q)) = %q, %v", msg, got, err)
		}
	}
}

func TestSuccessReply(t *testing.T) {
	v := vectors[1]
	c := v.crypto(t, v.owner)
	r, err := c.Success()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(r)
	var fields map[string]string
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"msg_signature", "timeStamp", "nonce", "encrypt"} {
		if fields[k] == "" {
			t.Errorf("reply %s lacks %q", body, k)
		}
	}
	if len(fields) != 4 {
		t.Errorf("reply %s has %d fields, want 4", body, len(fields))
	}
	if err := c.CheckReply(body); err != nil {
		t.Errorf("CheckReply(Success()) = %v", err)
	}
	other := v.crypto(t, "dingother")
	if err := other.CheckReply(body); !errors.Is(err, ErrOwnerKey) {
		t.Errorf("CheckReply with another owner key = %v, want ErrOwnerKey", err)
	}
	r.Nonce += "x"
	forged, _ := json.Marshal(r)
	if err := c.CheckReply(forged); !errors.Is(err, ErrSignature) {
		t.Errorf("CheckReply(forged) = %v, want ErrSignature", err)
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want Query
	}{
		{"signature=s&timestamp=1&nonce=n", Query{"s", "1", "n"}},
		{"msg_signature=m&signature=s&timeStamp=2&nonce=n", Query{"m", "2", "n"}},
		{"msg_signature=m&timestamp=1&timeStamp=2&nonce=n", Query{"m", "1", "n"}},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.raw)
		if got := ParseQuery(v); got != tt.want {
			t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
	}
}

func TestOpenRequest(t *testing.T) {
	v := vectors[1]
	c := v.crypto(t, v.owner)
	body := []byte(`{"encrypt":"` + v.encrypt + `"}`)
	got, err := c.OpenRequest(v.query().Values(), body)
	if err != nil || string(got) != v.plain {
		t.Errorf("OpenRequest = %q, %v; want %q", got, err, v.plain)
	}
	if _, err := c.OpenRequest(v.query().Values(), []byte(`{}`)); !errors.Is(err, ErrCiphertext) {
		t.Errorf("OpenRequest({}) = %v, want ErrCiphertext", err)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []Config{
		{Token: "", EncodingAESKey: vectors[0].aesKey, OwnerKey: "k"},
		{Token: "t", EncodingAESKey: vectors[0].aesKey, OwnerKey: ""},
		{Token: "t", EncodingAESKey: "short", OwnerKey: "k"},
		{Token: "t", EncodingAESKey: strings.Repeat("!", 43), OwnerKey: "k"},
	}
	for _, cfg := range tests {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) = nil error, want one", cfg)
		}
	}
}

func TestWindowOff(t *testing.T) {
	v := vectors[1]
	c, err := New(Config{Token: v.token, EncodingAESKey: v.aesKey, OwnerKey: v.owner,
		Window: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(v.query(), v.encrypt); err != nil {
		t.Errorf("Open with the window off = %v", err)
	}
}

func TestRing(t *testing.T) {
	var r Ring
	for _, v := range vectors[:2] {
		if err := r.Add(v.owner, v.crypto(t, v.owner)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Add(vectors[0].owner, vectors[0].crypto(t, "x")); err == nil {
		t.Error("Add accepted a duplicate name")
	}
	v := vectors[1]
	body := []byte(`{"encrypt":"` + v.encrypt + `"}`)
	name, msg, err := r.OpenRequest(v.query().Values(), body)
	if err != nil || name != v.owner || string(msg) != v.plain {
		t.Errorf("OpenRequest = %q, %q, %v; want %q, %q", name, msg, err, v.owner, v.plain)
	}
	forged := v.query()
	forged.Nonce = "other"
	if _, _, err := r.OpenRequest(forged.Values(), body); !errors.Is(err, ErrSignature) {
		t.Errorf("OpenRequest(forged) = %v, want ErrSignature", err)
	}
	var wrongOwner Ring
	_ = wrongOwner.Add("a", v.crypto(t, "dingother"))
	if _, _, err := wrongOwner.OpenRequest(v.query().Values(), body); !errors.Is(err,
		ErrOwnerKey) {
		t.Errorf("OpenRequest(wrong owner) = %v, want ErrOwnerKey", err)
	}
}
