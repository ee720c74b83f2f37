package callback

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// Body is the JSON body of a push.
type Body struct {
	Encrypt string `json:"encrypt"`
}

// Reply is the JSON object an endpoint returns for every push. The field names
// are DingTalk's: note timeStamp with a capital S, unlike the query's timestamp.
type Reply struct {
	MsgSignature string `json:"msg_signature"`
	TimeStamp    string `json:"timeStamp"`
	Nonce        string `json:"nonce"`
	Encrypt      string `json:"encrypt"`
}

// OpenRequest decodes a push's JSON body and opens it with the query's signature.
func (c *Crypto) OpenRequest(query url.Values, body []byte) ([]byte, error) {
	var b Body
	if err := json.Unmarshal(body, &b); err != nil || b.Encrypt == "" {
		return nil, fmt.Errorf("%w: body has no encrypt field", ErrCiphertext)
	}
	return c.Open(ParseQuery(query), b.Encrypt)
}

// Seal encrypts msg and signs it with a millisecond timestamp and a fresh
// 16-character nonce, giving a Reply (or, for a pusher, the query and body).
func (c *Crypto) Seal(msg []byte) (Reply, error) {
	enc, err := c.Encrypt(msg)
	if err != nil {
		return Reply{}, err
	}
	nonce, err := c.randomString(16)
	if err != nil {
		return Reply{}, err
	}
	ts := strconv.FormatInt(c.now().UnixMilli(), 10)
	return Reply{
		MsgSignature: Sign(c.token, ts, nonce, enc),
		TimeStamp:    ts,
		Nonce:        nonce,
		Encrypt:      enc,
	}, nil
}

// Success returns the encrypted "success" reply.
func (c *Crypto) Success() (Reply, error) {
	return c.Seal([]byte(SuccessMessage))
}

// Query returns the signed query of r, as a pusher sends it.
func (r Reply) Query() Query {
	return Query{Signature: r.MsgSignature, Timestamp: r.TimeStamp, Nonce: r.Nonce}
}

// CheckReply verifies an endpoint's reply the way DingTalk does: valid JSON with
// the four fields, a signature over the reply's own timeStamp and nonce, and a
// plaintext of "success" under the owner key. The reply's timestamp is not held
// to the window, since endpoints answer with seconds or milliseconds.
func (c *Crypto) CheckReply(body []byte) error {
	var r Reply
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%w: reply is not JSON", ErrCiphertext)
	}
	if r.MsgSignature == "" || r.TimeStamp == "" || r.Nonce == "" || r.Encrypt == "" {
		return fmt.Errorf("%w: reply lacks a field", ErrSignature)
	}
	want := Sign(c.token, r.TimeStamp, r.Nonce, r.Encrypt)
	if want != r.MsgSignature {
		return fmt.Errorf("%w: reply", ErrSignature)
	}
	msg, err := c.Decrypt(r.Encrypt)
	if err != nil {
		return err
	}
	if string(msg) != SuccessMessage {
		return fmt.Errorf("%w: reply says %q, want %q", ErrCiphertext, msg, SuccessMessage)
	}
	return nil
}
