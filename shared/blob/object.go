package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Info describes a stored object.
type Info struct {
	Key          string
	Size         int64
	ETag         string // upper-case hex without quotes; "-N" suffix for multipart
	ContentType  string
	LastModified time.Time
	// Meta is the user metadata, by lower-case name without x-oss-meta-.
	Meta map[string]string
	// CRC64 is OSS's CRC-64/ECMA of the object, zero when unknown.
	CRC64 uint64
}

// infoFromHeader reads an object's Info from response headers.
func infoFromHeader(key string, h http.Header) Info {
	info := Info{
		Key:         key,
		ETag:        strings.Trim(h.Get("ETag"), `"`),
		ContentType: h.Get("Content-Type"),
	}
	info.Size, _ = strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	info.LastModified, _ = http.ParseTime(h.Get("Last-Modified"))
	info.CRC64, _ = strconv.ParseUint(h.Get("x-oss-hash-crc64ecma"), 10, 64)
	for k, v := range h {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-oss-meta-"); ok && len(v) > 0 {
			if info.Meta == nil {
				info.Meta = map[string]string{}
			}
			info.Meta[name] = v[0]
		}
	}
	return info
}

// Head returns the Info of key, or ErrNotFound.
func (s *Store) Head(ctx context.Context, key string) (Info, error) {
	h, err := s.bucket.GetObjectDetailedMeta(key, ctxOption(ctx))
	if err != nil {
		return Info{}, wrap("head", key, err)
	}
	return infoFromHeader(key, h), nil
}

// Reader streams one object. Close it when done.
type Reader struct {
	io.ReadCloser
	Info Info
}

// Open starts reading key. The object streams: nothing is buffered beyond
// what the caller reads.
func (s *Store) Open(ctx context.Context, key string) (*Reader, error) {
	res, err := s.bucket.DoGetObject(&oss.GetObjectRequest{ObjectKey: key},
		[]oss.Option{ctxOption(ctx)})
	if err != nil {
		return nil, wrap("open", key, err)
	}
	info := infoFromHeader(key, res.Response.Headers)
	return &Reader{ReadCloser: &checkedBody{res: res}, Info: info}, nil
}

// checkedBody compares the CRC-64 the SDK computes while reading with the
// one OSS sent, and fails the read that reaches the end if they differ.
type checkedBody struct {
	res *oss.GetObjectResult
}

// Read reads the object and, at its end, checks the CRC-64 the server sent.
func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.res.Response.Read(p)
	if err == io.EOF && b.res.ClientCRC != nil && b.res.ServerCRC != 0 &&
		b.res.ClientCRC.Sum64() != b.res.ServerCRC {
		return n, fmt.Errorf("crc64 mismatch: got %d, OSS says %d",
			b.res.ClientCRC.Sum64(), b.res.ServerCRC)
	}
	return n, err
}

// Close closes the response body.
func (b *checkedBody) Close() error { return b.res.Response.Close() }

// Digest is what SHA256 learns from one pass over an object.
type Digest struct {
	SHA256 string // lower-case hex
	Size   int64
	ETag   string // of the version that was read
	// Sniff holds the first bytes (up to 512), for http.DetectContentType.
	Sniff []byte
}

const sniffLen = 512

// SHA256 reads key once, streaming, and returns its SHA-256, size, ETag and
// first bytes. Memory use does not grow with the object.
func (s *Store) SHA256(ctx context.Context, key string) (Digest, error) {
	r, err := s.Open(ctx, key)
	if err != nil {
		return Digest{}, err
	}
	defer r.Close()
	h := sha256.New()
	sniff := &prefixWriter{limit: sniffLen}
	n, err := io.Copy(io.MultiWriter(h, sniff), r)
	if err != nil {
		return Digest{}, wrap("sha256", key, err)
	}
	return Digest{
		SHA256: hex.EncodeToString(h.Sum(nil)),
		Size:   n,
		ETag:   r.Info.ETag,
		Sniff:  sniff.buf,
	}, nil
}

// prefixWriter keeps the first limit bytes written to it.
type prefixWriter struct {
	buf   []byte
	limit int
}

// Write keeps the first bytes written, up to the prefix size.
func (w *prefixWriter) Write(p []byte) (int, error) {
	if room := w.limit - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// PutOptions describe an object being written.
type PutOptions struct {
	ContentType        string // empty: guessed from the key, else application/octet-stream
	ContentDisposition string
	Meta               map[string]string // user metadata, lower-case names
}

func (o PutOptions) sdk(ctx context.Context) []oss.Option {
	opts := []oss.Option{ctxOption(ctx)}
	if o.ContentType != "" {
		opts = append(opts, oss.ContentType(o.ContentType))
	}
	if o.ContentDisposition != "" {
		opts = append(opts, oss.ContentDisposition(o.ContentDisposition))
	}
	for k, v := range o.Meta {
		opts = append(opts, oss.Meta(strings.ToLower(k), v))
	}
	return opts
}

// Put writes r to key, replacing any object there. r streams; give it a
// known length (a file, bytes.Reader, io.LimitedReader) to avoid chunking.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, o PutOptions) error {
	return wrap("put", key, s.bucket.PutObject(key, r, o.sdk(ctx)...))
}

// PutIfAbsent writes r to key unless an object is there, in which case it
// returns ErrExists and changes nothing.
func (s *Store) PutIfAbsent(ctx context.Context, key string, r io.Reader, o PutOptions) error {
	opts := append(o.sdk(ctx), oss.ForbidOverWrite(true))
	return wrap("put if absent", key, s.bucket.PutObject(key, r, opts...))
}

// Copy copies src to dst in the same bucket, with its metadata, replacing
// any object at dst.
func (s *Store) Copy(ctx context.Context, src, dst string) error {
	_, err := s.bucket.CopyObject(src, dst, ctxOption(ctx))
	return wrap("copy", src+" -> "+dst, err)
}

// CopyIfAbsent copies src to dst unless an object is at dst (ErrExists).
func (s *Store) CopyIfAbsent(ctx context.Context, src, dst string) error {
	_, err := s.bucket.CopyObject(src, dst, ctxOption(ctx), oss.ForbidOverWrite(true))
	return wrap("copy if absent", src+" -> "+dst, err)
}

// Delete removes key. Removing a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	return wrap("delete", key, s.bucket.DeleteObject(key, ctxOption(ctx)))
}

// listPageSize is how many keys List asks for at a time; tests lower it.
var listPageSize = 1000

// List yields the objects whose keys start with prefix, in key order, paging
// through the bucket as it goes. It stops at the first error, which it
// yields.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		token := ""
		for {
			opts := []oss.Option{ctxOption(ctx), oss.Prefix(prefix), oss.MaxKeys(listPageSize)}
			if token != "" {
				opts = append(opts, oss.ContinuationToken(token))
			}
			res, err := s.bucket.ListObjectsV2(opts...)
			if err != nil {
				yield(Info{}, wrap("list", prefix, err))
				return
			}
			for _, o := range res.Objects {
				info := Info{Key: o.Key, Size: o.Size, ETag: strings.Trim(o.ETag, `"`),
					LastModified: o.LastModified}
				if !yield(info, nil) {
					return
				}
			}
			if !res.IsTruncated || res.NextContinuationToken == "" {
				return
			}
			token = res.NextContinuationToken
		}
	}
}
