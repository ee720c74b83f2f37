package blob

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

const (
	maxGrantExpiry = 7 * 24 * time.Hour
	v4Algorithm    = "OSS4-HMAC-SHA256"
	v4TimeFormat   = "20060102T150405Z"
)

// GrantSpec bounds what one upload grant lets a client put.
type GrantSpec struct {
	// MinSize and MaxSize bound the object size in bytes; MaxSize must be
	// positive.
	MinSize, MaxSize int64
	// ContentTypes lists the allowed Content-Type values; at least one.
	ContentTypes []string
	// Expiry is how long the grant is valid, up to 7 days.
	Expiry time.Duration
	// SuccessStatus is the status a form upload answers with: 200, 201 (with
	// an XML body) or 204. Zero means 204.
	SuccessStatus int
	// Meta is user metadata (x-oss-meta-<name>) the upload must carry, such
	// as the uploader's id. Names are lower-case.
	Meta map[string]string
}

// Grant lets a client upload one object, once, without credentials: either
// a browser form (PostObject) or a presigned PUT. Both refuse to overwrite
// an existing object. The form enforces the size range and content types;
// a PUT cannot enforce the size, so whoever records the upload must check
// it (as contracts does when the object lands).
type Grant struct {
	Key     string    `json:"key"`
	Expires time.Time `json:"expires"`
	// URL is the form action. Fields are the form fields to send, in any
	// order, followed by the file as the last field, named "file". With more
	// than one allowed content type the client adds a "Content-Type" field
	// naming the file's type.
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
	// PutURLs maps each allowed content type to a presigned PUT URL; the
	// PUT must send that Content-Type and every header in PutHeaders.
	PutURLs    map[string]string `json:"putUrls"`
	PutHeaders map[string]string `json:"putHeaders"`
}

func (g GrantSpec) validate() error {
	switch {
	case g.MaxSize <= 0 || g.MinSize < 0 || g.MinSize > g.MaxSize:
		return fmt.Errorf("size range [%d, %d] is not valid", g.MinSize, g.MaxSize)
	case len(g.ContentTypes) == 0:
		return fmt.Errorf("no content type allowed")
	case g.Expiry <= 0 || g.Expiry > maxGrantExpiry:
		return fmt.Errorf("expiry %v is not in (0, %v]", g.Expiry, maxGrantExpiry)
	}
	switch g.SuccessStatus {
	case 0, 200, 201, 204:
	default:
		return fmt.Errorf("success status %d is not 200, 201 or 204", g.SuccessStatus)
	}
	return nil
}

// PutGrant returns a grant to upload key within spec. It signs locally and
// makes no request.
func (s *Store) PutGrant(key string, spec GrantSpec) (Grant, error) {
	if err := spec.validate(); err != nil {
		return Grant{}, fmt.Errorf("blob: grant %q: %w: %v", key, ErrInvalid, err)
	}
	if key == "" {
		return Grant{}, fmt.Errorf("blob: grant %q: %w: empty key", key, ErrInvalid)
	}
	now := s.now().UTC()
	g := Grant{Key: key, Expires: now.Add(spec.Expiry).Truncate(time.Millisecond),
		URL: s.bucketURL()}
	g.Fields = s.formFields(key, spec, now, g.Expires)
	puts, headers, err := s.putURLs(key, spec)
	if err != nil {
		return Grant{}, wrap("grant", key, err)
	}
	g.PutURLs, g.PutHeaders = puts, headers
	return g, nil
}

// formFields builds and signs the PostObject policy for key.
func (s *Store) formFields(key string, spec GrantSpec, now, expires time.Time) map[string]string {
	status := spec.SuccessStatus
	if status == 0 {
		status = 204
	}
	fields := map[string]string{
		"key":                    key,
		"success_action_status":  strconv.Itoa(status),
		"x-oss-forbid-overwrite": "true",
	}
	conds := []any{
		map[string]string{"bucket": s.cfg.Bucket},
		[]any{"eq", "$key", key},
		[]any{"content-length-range", spec.MinSize, spec.MaxSize},
		[]any{"eq", "$success_action_status", fields["success_action_status"]},
		[]any{"eq", "$x-oss-forbid-overwrite", "true"},
	}
	if len(spec.ContentTypes) == 1 {
		fields["Content-Type"] = spec.ContentTypes[0]
		conds = append(conds, []any{"eq", "$Content-Type", spec.ContentTypes[0]})
	} else {
		conds = append(conds, []any{"in", "$Content-Type", spec.ContentTypes})
	}
	for name, v := range spec.Meta {
		field := "x-oss-meta-" + strings.ToLower(name)
		fields[field] = v
		conds = append(conds, []any{"eq", "$" + field, v})
	}
	if tok := s.cfg.SecurityToken; tok != "" {
		fields["x-oss-security-token"] = tok
		conds = append(conds, map[string]string{"x-oss-security-token": tok})
	}
	if s.cfg.SignatureV4 {
		s.signFormV4(fields, conds, now, expires)
	} else {
		s.signFormV1(fields, conds, expires)
	}
	return fields
}

func encodePolicy(expires time.Time, conds []any) string {
	doc, _ := json.Marshal(map[string]any{
		"expiration": expires.UTC().Format("2006-01-02T15:04:05.000Z"),
		"conditions": conds,
	})
	return base64.StdEncoding.EncodeToString(doc)
}

func (s *Store) signFormV1(fields map[string]string, conds []any, expires time.Time) {
	policy := encodePolicy(expires, conds)
	mac := hmac.New(sha1.New, []byte(s.cfg.AccessKeySecret))
	mac.Write([]byte(policy))
	fields["policy"] = policy
	fields["OSSAccessKeyId"] = s.cfg.AccessKeyID
	fields["Signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Store) signFormV4(fields map[string]string, conds []any, now, expires time.Time) {
	day := now.Format("20060102")
	cred := s.cfg.AccessKeyID + "/" + day + "/" + s.cfg.Region + "/oss/aliyun_v4_request"
	stamp := now.Format(v4TimeFormat)
	fields["x-oss-signature-version"] = v4Algorithm
	fields["x-oss-credential"] = cred
	fields["x-oss-date"] = stamp
	conds = append(conds,
		map[string]string{"x-oss-signature-version": v4Algorithm},
		map[string]string{"x-oss-credential": cred},
		map[string]string{"x-oss-date": stamp},
	)
	policy := encodePolicy(expires, conds)
	key := hmacSHA256([]byte("aliyun_v4"+s.cfg.AccessKeySecret), day)
	for _, part := range []string{s.cfg.Region, "oss", "aliyun_v4_request"} {
		key = hmacSHA256(key, part)
	}
	fields["policy"] = policy
	fields["x-oss-signature"] = hex.EncodeToString(hmacSHA256(key, policy))
}

func hmacSHA256(key []byte, msg string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}

// putURLs presigns one PUT of key per allowed content type.
func (s *Store) putURLs(key string, spec GrantSpec) (map[string]string, map[string]string, error) {
	headers := map[string]string{"x-oss-forbid-overwrite": "true"}
	opts := []oss.Option{oss.ForbidOverWrite(true)}
	for name, v := range spec.Meta {
		headers["x-oss-meta-"+strings.ToLower(name)] = v
		opts = append(opts, oss.Meta(strings.ToLower(name), v))
	}
	urls := make(map[string]string, len(spec.ContentTypes))
	for _, ct := range spec.ContentTypes {
		u, err := s.signer.SignURL(key, oss.HTTPPut, seconds(spec.Expiry),
			append([]oss.Option{oss.ContentType(ct)}, opts...)...)
		if err != nil {
			return nil, nil, err
		}
		urls[ct] = u
	}
	return urls, headers, nil
}

func seconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}

// GetURL returns a presigned URL that downloads key until expiry passes.
func (s *Store) GetURL(key string, expiry time.Duration) (string, error) {
	u, err := s.signer.SignURL(key, oss.HTTPGet, seconds(expiry))
	return u, wrap("get url", key, err)
}

// DownloadURL is GetURL with a response that saves the object as filename.
func (s *Store) DownloadURL(key, filename string, expiry time.Duration) (string, error) {
	disp := "attachment; filename*=UTF-8''" + url.PathEscape(filename)
	u, err := s.signer.SignURL(key, oss.HTTPGet, seconds(expiry),
		oss.ResponseContentDisposition(disp))
	return u, wrap("download url", key, err)
}
