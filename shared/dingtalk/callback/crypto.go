// Package callback verifies, decrypts and answers DingTalk HTTP event pushes.
//
// DingTalk signs each push with SHA-1 over the sorted strings (token, timestamp,
// nonce, encrypt) and encrypts the event with AES-256-CBC under the key carried by
// the 43-character EncodingAESKey, with the IV set to the first 16 key bytes and
// PKCS#7 padding to 32-byte blocks. The plaintext is 16 random bytes, a 4-byte
// big-endian length, the message and the owner key. The endpoint answers every
// push, check_url included, with the encrypted word "success" (see [Crypto.Success]).
package callback

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Errors returned by Open and its parts. Each refusal wraps exactly one of them.
var (
	// ErrSignature means the signature is missing or does not match.
	ErrSignature = errors.New("callback: bad signature")
	// ErrStale means the timestamp is missing, malformed or outside the window.
	ErrStale = errors.New("callback: stale timestamp")
	// ErrCiphertext means the encrypt field is not base64 of a well-formed
	// ciphertext, or the decrypted layout is inconsistent.
	ErrCiphertext = errors.New("callback: bad ciphertext")
	// ErrPadding means the decrypted bytes do not end in valid 32-byte PKCS#7 padding.
	ErrPadding = errors.New("callback: bad padding")
	// ErrOwnerKey means the plaintext names a different AppKey, CorpId or SuiteKey.
	ErrOwnerKey = errors.New("callback: owner key mismatch")
)

const (
	// DefaultWindow is the replay window used when Config.Window is zero.
	DefaultWindow = 5 * time.Minute
	// padBlock is DingTalk's PKCS#7 block size, twice the AES block size.
	padBlock = 32
	// keyLen is the length of an EncodingAESKey.
	keyLen = 43
	// headerLen is the random prefix plus the length field.
	headerLen = 16 + 4
	// SuccessMessage is the plaintext every reply carries.
	SuccessMessage = "success"
)

// Config holds the credentials of one subscription.
type Config struct {
	// Token is the signature token from the developer console.
	Token string
	// EncodingAESKey is the 43-character aes_key from the developer console.
	EncodingAESKey string
	// OwnerKey is the key DingTalk appends to each plaintext: the AppKey for an
	// internal app subscribed in the console, the CorpId for one registered through
	// the callback API, the SuiteKey for an ISV suite.
	OwnerKey string
	// Window bounds |now - timestamp| for incoming pushes. Zero means DefaultWindow;
	// a negative value turns the check off.
	Window time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of random prefixes and nonces; nil means crypto/rand.
	Rand io.Reader
}

// Crypto opens and seals DingTalk callback messages for one subscription.
// It is safe for concurrent use.
type Crypto struct {
	token    string
	ownerKey string
	key      []byte
	block    cipher.Block
	window   time.Duration
	now      func() time.Time
	rand     io.Reader
}

// New checks cfg and returns a Crypto for it.
func New(cfg Config) (*Crypto, error) {
	if cfg.Token == "" {
		return nil, errors.New("callback: new: empty token")
	}
	if cfg.OwnerKey == "" {
		return nil, errors.New("callback: new: empty owner key")
	}
	key, err := DecodeAESKey(cfg.EncodingAESKey)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("callback: new: %w", err)
	}
	c := &Crypto{
		token: cfg.Token, ownerKey: cfg.OwnerKey, key: key, block: block,
		window: cfg.Window, now: cfg.Now, rand: cfg.Rand,
	}
	if c.window == 0 {
		c.window = DefaultWindow
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	return c, nil
}

// DecodeAESKey turns a 43-character EncodingAESKey into the 32-byte AES key.
func DecodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != keyLen {
		return nil, fmt.Errorf("callback: aes key: length %d, want %d",
			len(encodingAESKey), keyLen)
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("callback: aes key: not base64 of 32 bytes")
	}
	return key, nil
}

// Sign returns DingTalk's signature: the lowercase hex SHA-1 of the four strings
// sorted and concatenated.
func Sign(token, timestamp, nonce, encrypt string) string {
	parts := []string{token, timestamp, nonce, encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Query is the signed part of a push's URL.
type Query struct {
	Signature string
	Timestamp string
	Nonce     string
}

// ParseQuery reads a push's query, accepting both msg_signature and signature,
// and both timestamp and timeStamp.
func ParseQuery(v url.Values) Query {
	q := Query{
		Signature: v.Get("msg_signature"),
		Timestamp: v.Get("timestamp"),
		Nonce:     v.Get("nonce"),
	}
	if q.Signature == "" {
		q.Signature = v.Get("signature")
	}
	if q.Timestamp == "" {
		q.Timestamp = v.Get("timeStamp")
	}
	return q
}

// Values returns q as URL query values, carrying the signature under both names
// the way DingTalk does.
func (q Query) Values() url.Values {
	return url.Values{
		"signature":     {q.Signature},
		"msg_signature": {q.Signature},
		"timestamp":     {q.Timestamp},
		"nonce":         {q.Nonce},
	}
}

// Verify checks the signature of encrypt under q, then that q.Timestamp is inside
// the window. The timestamp is signed as sent; it may be milliseconds (what
// DingTalk sends) or seconds (10 digits or fewer).
func (c *Crypto) Verify(q Query, encrypt string) error {
	if q.Signature == "" {
		return fmt.Errorf("%w: missing", ErrSignature)
	}
	want := Sign(c.token, q.Timestamp, q.Nonce, encrypt)
	if subtle.ConstantTimeCompare([]byte(want), []byte(q.Signature)) != 1 {
		return ErrSignature
	}
	return c.checkTime(q.Timestamp)
}

func (c *Crypto) checkTime(ts string) error {
	if c.window < 0 {
		return nil
	}
	t, err := ParseTimestamp(ts)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrStale, ts)
	}
	d := c.now().Sub(t)
	if d > c.window || d < -c.window {
		return fmt.Errorf("%w: %q is %s from now", ErrStale, ts, d.Round(time.Second))
	}
	return nil
}

// ParseTimestamp reads a DingTalk timestamp: milliseconds since the epoch, or
// seconds when it has 10 digits or fewer.
func ParseTimestamp(ts string) (time.Time, error) {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("callback: timestamp %q: not a number", ts)
	}
	if len(ts) <= 10 {
		return time.Unix(n, 0), nil
	}
	return time.UnixMilli(n), nil
}

// Open verifies and decrypts one push: the signature, the timestamp window, the
// ciphertext, its padding and the owner key. It returns the event JSON.
func (c *Crypto) Open(q Query, encrypt string) ([]byte, error) {
	if err := c.Verify(q, encrypt); err != nil {
		return nil, err
	}
	return c.Decrypt(encrypt)
}

// Decrypt decrypts an encrypt field without checking any signature, and checks
// its layout and owner key. Most callers want Open.
func (c *Crypto) Decrypt(encrypt string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrCiphertext)
	}
	if len(ct) < padBlock || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrCiphertext, len(ct))
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(plain, ct)
	plain, err = unpad(plain)
	if err != nil {
		return nil, err
	}
	if len(plain) < headerLen {
		return nil, fmt.Errorf("%w: plaintext of %d bytes", ErrCiphertext, len(plain))
	}
	n := binary.BigEndian.Uint32(plain[16:headerLen])
	if uint64(n) > uint64(len(plain)-headerLen) {
		return nil, fmt.Errorf("%w: length field %d exceeds %d", ErrCiphertext, n,
			len(plain)-headerLen)
	}
	end := headerLen + int(n)
	owner := plain[end:]
	if subtle.ConstantTimeCompare(owner, []byte(c.ownerKey)) != 1 {
		return nil, fmt.Errorf("%w: got %q", ErrOwnerKey, owner)
	}
	return plain[headerLen:end], nil
}

func unpad(b []byte) ([]byte, error) {
	p := int(b[len(b)-1])
	if p < 1 || p > padBlock || p > len(b) {
		return nil, fmt.Errorf("%w: pad byte %d", ErrPadding, p)
	}
	if !bytes.Equal(b[len(b)-p:], bytes.Repeat([]byte{byte(p)}, p)) {
		return nil, fmt.Errorf("%w: pad bytes differ", ErrPadding)
	}
	return b[:len(b)-p], nil
}

// Encrypt seals msg the way DingTalk does, with a fresh random 16-character
// prefix, and returns the base64 encrypt field.
func (c *Crypto) Encrypt(msg []byte) (string, error) {
	prefix, err := c.randomString(16)
	if err != nil {
		return "", err
	}
	return c.encryptWithPrefix(prefix, msg), nil
}

func (c *Crypto) encryptWithPrefix(prefix string, msg []byte) string {
	n := len(prefix) + 4 + len(msg) + len(c.ownerKey)
	p := padBlock - n%padBlock
	b := make([]byte, 0, n+p)
	b = append(b, prefix...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(msg)))
	b = append(b, msg...)
	b = append(b, c.ownerKey...)
	b = append(b, bytes.Repeat([]byte{byte(p)}, p)...)
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(b, b)
	return base64.StdEncoding.EncodeToString(b)
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (c *Crypto) randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(c.rand, b); err != nil {
		return "", fmt.Errorf("callback: random: %w", err)
	}
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b), nil
}
