package callback

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

// Ring holds the Crypto of each subscription one endpoint serves, such as one
// per organization, and finds which one a push belongs to: the one whose token
// signs it and whose key and owner key open it. Build it at start-up; it is
// safe for concurrent use once built.
type Ring struct {
	names   []string
	cryptos []*Crypto
}

// Add registers c under name (a corp id, say). Names must be unique.
func (r *Ring) Add(name string, c *Crypto) error {
	if r.Crypto(name) != nil {
		return fmt.Errorf("callback: ring add %q: duplicate name", name)
	}
	r.names = append(r.names, name)
	r.cryptos = append(r.cryptos, c)
	return nil
}

// Crypto returns the Crypto registered under name, or nil.
func (r *Ring) Crypto(name string) *Crypto {
	for i, n := range r.names {
		if n == name {
			return r.cryptos[i]
		}
	}
	return nil
}

// OpenRequest opens a push with whichever registered Crypto it belongs to and
// returns that Crypto's name and the event JSON. A push that no token signs is
// ErrSignature; one that is signed but refused returns that refusal.
func (r *Ring) OpenRequest(query url.Values, body []byte) (string, []byte, error) {
	var b Body
	if err := json.Unmarshal(body, &b); err != nil || b.Encrypt == "" {
		return "", nil, fmt.Errorf("%w: body has no encrypt field", ErrCiphertext)
	}
	q := ParseQuery(query)
	refusal := ErrSignature
	for i, c := range r.cryptos {
		err := c.Verify(q, b.Encrypt)
		if errors.Is(err, ErrSignature) {
			continue
		}
		if err == nil {
			var msg []byte
			if msg, err = c.Decrypt(b.Encrypt); err == nil {
				return r.names[i], msg, nil
			}
		}
		refusal = err
	}
	return "", nil, refusal
}
