// Package ossemu is an in-process emulator of Alibaba Cloud OSS that
// aliyun-oss-go-sdk v3.0.2 talks to unchanged.
//
// It verifies signature V1 and V4 (header and presigned query forms), serves
// objects, multipart uploads, tagging, listings and browser PostObject forms,
// answers CORS preflights, and returns OSS XML errors. Objects live in a
// directory and survive restarts; every object created or deleted is reported
// as an FC3 OSS trigger event. Requests are addressed path-style
// (http://127.0.0.1:port/bucket/key, what the SDK does for an IP endpoint) or
// virtual-host style (Host: bucket.host).
package ossemu

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Config configures a Server.
type Config struct {
	// Dir holds the buckets' objects and metadata. It is created if missing.
	Dir string
	// Region is the region V4 signatures must be scoped to and the region
	// reported in events; empty means "cn-hangzhou".
	Region string
	// Buckets lists the buckets that exist. At least one is required.
	Buckets []string
	// Credentials maps each accepted AccessKey ID to its secret.
	Credentials map[string]string
	// OnEvent, when set, is called once for every object created or deleted,
	// after the change is durable and before the response is written. It must
	// not block for long and may call back into the server.
	OnEvent func(Event)
	// Now is the server clock; nil means time.Now. Tests move it to check
	// expiry and clock skew.
	Now func() time.Time
	// MaxObjectSize caps the size of one object; zero means 5 GiB.
	MaxObjectSize int64
}

const (
	defaultRegion  = "cn-hangzhou"
	defaultMaxSize = 5 << 30
	maxSkew        = 15 * time.Minute
	ownerID        = "1000000000000000"
	maxDrain       = 64 << 20
)

// Server is an OSS endpoint. It is an http.Handler, safe for concurrent use;
// serve it with net/http (httptest.NewServer or http.Server).
type Server struct {
	region      string
	creds       map[string]string
	buckets     map[string]*bucket
	onEvent     func(Event)
	now         func() time.Time
	maxSize     int64
	closed      atomic.Bool
	requestSeed [4]byte
	requestSeq  atomic.Uint64
}

var _ http.Handler = (*Server)(nil)

// Open loads the buckets under cfg.Dir, creating what is missing, and
// returns a Server ready to serve.
func Open(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("ossemu: open: Dir is required")
	}
	if len(cfg.Buckets) == 0 {
		return nil, errors.New("ossemu: open: at least one bucket is required")
	}
	s := &Server{
		region:  cfg.Region,
		creds:   cfg.Credentials,
		buckets: make(map[string]*bucket, len(cfg.Buckets)),
		onEvent: cfg.OnEvent,
		now:     cfg.Now,
		maxSize: cfg.MaxObjectSize,
	}
	if s.region == "" {
		s.region = defaultRegion
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxSize <= 0 {
		s.maxSize = defaultMaxSize
	}
	rand.Read(s.requestSeed[:])
	for _, name := range cfg.Buckets {
		if !validBucketName(name) {
			return nil, fmt.Errorf("ossemu: open bucket %q: invalid bucket name", name)
		}
		b, err := openBucket(cfg.Dir, name)
		if err != nil {
			s.closeBuckets()
			return nil, err
		}
		s.buckets[name] = b
	}
	return s, nil
}

// Close stops the server from accepting requests (later requests get 503)
// and closes the buckets' indexes, so that another Server may open the
// directory. Everything already answered is on disk.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.closeBuckets()
}

func (s *Server) closeBuckets() error {
	var errs []error
	for _, b := range s.buckets {
		errs = append(errs, b.close())
	}
	return errors.Join(errs...)
}

// request is one request being served.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	id     string
	now    time.Time
	query  url.Values
	bucket *bucket
	key    string
	ak     string // the AccessKey ID that signed the request
}

// ServeHTTP answers one OSS request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &request{w: w, r: r, id: s.requestID(), now: s.now()}
	h := w.Header()
	h.Set("x-oss-request-id", rq.id)
	h.Set("Server", "AliyunOSS")
	h.Set("Date", rq.now.UTC().Format(http.TimeFormat))
	setCORSHeaders(w, r)
	if err := s.serve(rq); err != nil {
		var oe *ossError
		if !errors.As(err, &oe) {
			oe = newError("InternalError", "%v", err)
		}
		// Read what the client is still sending, up to a limit, so that
		// it sees the error instead of a reset connection.
		io.CopyN(io.Discard, r.Body, maxDrain)
		writeError(w, r, rq.id, oe)
	}
}

func (s *Server) serve(rq *request) error {
	if s.closed.Load() {
		return newError("ServiceUnavailable", "The server is closed.")
	}
	q, err := url.ParseQuery(rq.r.URL.RawQuery)
	if err != nil {
		return errInvalidArgument("malformed query string: %v", err)
	}
	rq.query = q
	if rq.r.Method == http.MethodOptions {
		return preflight(rq)
	}
	name, key := s.locate(rq.r)
	if name == "" {
		return newError("NotImplemented", "Service-level operations are not supported.")
	}
	b := s.buckets[name]
	if b == nil {
		return newError("NoSuchBucket", "The specified bucket does not exist.")
	}
	rq.bucket, rq.key = b, key
	if isPostObject(rq) {
		return s.postObject(rq)
	}
	if err := s.authenticate(rq); err != nil {
		return err
	}
	return s.dispatch(rq)
}

// locate finds the bucket and object key of r: virtual-host style when the
// first label of the Host is a bucket, path style otherwise.
func (s *Server) locate(r *http.Request) (bucketName, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if label, rest, ok := strings.Cut(host, "."); ok && rest != "" {
		if _, known := s.buckets[label]; known && net.ParseIP(host) == nil {
			return label, strings.TrimPrefix(r.URL.Path, "/")
		}
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucketName, key, _ = strings.Cut(p, "/")
	return bucketName, key
}

// dispatch routes an authenticated request to its operation.
// TODO(#4): UploadPartCopy, AppendObject, ListMultipartUploads, symlinks,
// ACLs and bucket configuration answer NotImplemented.
func (s *Server) dispatch(rq *request) error {
	q := rq.query
	if rq.key == "" {
		switch {
		case rq.r.Method == http.MethodGet && q.Get("list-type") == "2":
			return s.listObjectsV2(rq)
		case rq.r.Method == http.MethodGet && !hasSubresource(q):
			return s.listObjects(rq)
		case rq.r.Method == http.MethodPost && q.Has("delete"):
			return s.deleteMultiple(rq)
		}
		return newError("NotImplemented", "This bucket operation is not supported by the emulator.")
	}
	if err := checkKey(rq.key); err != nil {
		return err
	}
	switch rq.r.Method {
	case http.MethodPut:
		return s.dispatchPut(rq)
	case http.MethodGet:
		return s.dispatchGet(rq)
	case http.MethodHead:
		return s.headObject(rq)
	case http.MethodDelete:
		return s.dispatchDelete(rq)
	case http.MethodPost:
		return s.dispatchPost(rq)
	}
	return newError("MethodNotAllowed", "The specified method is not allowed against this "+
		"resource.")
}

func (s *Server) dispatchPut(rq *request) error {
	q, h := rq.query, rq.r.Header
	switch {
	case q.Has("tagging"):
		return s.putTagging(rq)
	case q.Has("uploadId") && h.Get("x-oss-copy-source") != "":
		return newError("NotImplemented", "UploadPartCopy is not supported by the emulator.")
	case q.Has("uploadId"):
		return s.uploadPart(rq)
	case h.Get("x-oss-copy-source") != "":
		return s.copyObject(rq)
	case q.Has("acl") || q.Has("symlink"):
		return newError("NotImplemented", "This object operation is not supported by the emulator.")
	}
	return s.putObject(rq)
}

func (s *Server) dispatchGet(rq *request) error {
	switch {
	case rq.query.Has("tagging"):
		return s.getTagging(rq)
	case rq.query.Has("uploadId"):
		return s.listParts(rq)
	case rq.query.Has("acl") || rq.query.Has("symlink"):
		return newError("NotImplemented", "This object operation is not supported by the emulator.")
	}
	return s.getObject(rq)
}

func (s *Server) dispatchDelete(rq *request) error {
	switch {
	case rq.query.Has("tagging"):
		return s.deleteTagging(rq)
	case rq.query.Has("uploadId"):
		return s.abortUpload(rq)
	}
	return s.deleteObject(rq)
}

func (s *Server) dispatchPost(rq *request) error {
	switch {
	case rq.query.Has("uploads"):
		return s.initiateUpload(rq)
	case rq.query.Has("uploadId"):
		return s.completeUpload(rq)
	}
	return newError("NotImplemented", "This object operation is not supported by the emulator.")
}

// hasSubresource reports whether q names a bucket sub-resource (acl, cors,
// uploads, ...) rather than plain listing parameters.
func hasSubresource(q url.Values) bool {
	for k := range q {
		if signedParams[k] && k != "continuation-token" && k != "security-token" {
			return true
		}
	}
	return false
}

// requestID returns a unique 24-hex-digit id like the ones OSS issues.
func (s *Server) requestID() string {
	var b [12]byte
	copy(b[:4], s.requestSeed[:])
	seq := s.requestSeq.Add(1)
	for i := range 8 {
		b[11-i] = byte(seq >> (8 * i))
	}
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// validBucketName applies OSS bucket naming rules.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// checkKey applies OSS object naming rules.
func checkKey(key string) error {
	switch {
	case key == "":
		return newError("InvalidObjectName", "The Object name can not be empty")
	case len(key) > 1023:
		return newError("InvalidObjectName", "The Length of Object name must be less than 1024")
	case key[0] == '/' || key[0] == '\\':
		return newError("InvalidObjectName", "The specified object is not valid.")
	}
	return nil
}
