package callback

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
)

// FuzzDecrypt feeds arbitrary queries and bodies to OpenRequest and arbitrary
// ciphertexts to Decrypt. Nothing may panic, and OpenRequest may succeed only on
// a correctly signed body that decrypts under the owner key.
func FuzzDecrypt(f *testing.F) {
	v := vectors[1]
	f.Add(v.query().Values().Encode(), `{"encrypt":"`+v.encrypt+`"}`, v.encrypt)
	f.Add("signature=x&timestamp=1&nonce=n", `{"encrypt":"AAAA"}`, "AAAA")
	f.Add("", "", "")
	f.Add("msg_signature=&timeStamp=99999999999999999999", `[]`, "////")
	c := v.crypto(f, v.owner)
	f.Fuzz(func(t *testing.T, rawQuery, body, encrypt string) {
		if _, err := c.Decrypt(encrypt); err != nil && !isRefusal(err) {
			t.Fatalf("Decrypt(%q) = %v, not a sentinel", encrypt, err)
		}
		q, _ := url.ParseQuery(rawQuery)
		msg, err := c.OpenRequest(q, []byte(body))
		if err != nil {
			if !isRefusal(err) {
				t.Fatalf("OpenRequest = %v, not a sentinel", err)
			}
			return
		}
		var b Body
		_ = json.Unmarshal([]byte(body), &b)
		p := ParseQuery(q)
		if p.Signature != Sign(v.token, p.Timestamp, p.Nonce, b.Encrypt) {
			t.Fatalf("OpenRequest accepted a body without its signature: %q", msg)
		}
	})
}

func isRefusal(err error) bool {
	for _, s := range []error{ErrSignature, ErrStale, ErrCiphertext, ErrPadding, ErrOwnerKey} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
