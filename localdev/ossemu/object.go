package ossemu

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// storedHeaders are the standard headers an object keeps from its upload.
var storedHeaders = []string{
	"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires",
}

// responseOverrides maps GET parameters to the response headers they set.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

const maxUserMeta = 8 << 10

func (s *Server) putObject(rq *request) error {
	h := rq.r.Header
	if err := s.checkLength(rq.r); err != nil {
		return err
	}
	wantMD5, err := contentMD5(h)
	if err != nil {
		return err
	}
	forbid := forbidOverwrite(h.Get("x-oss-forbid-overwrite"))
	if _, exists := rq.bucket.lookup(rq.key); exists && forbid {
		return errFileExists()
	}
	m, err := metaFromHeaders(rq.key, h)
	if err != nil {
		return err
	}
	st, err := s.stageBody(rq.bucket, rq.r.Body)
	if err != nil {
		return err
	}
	if wantMD5 != nil && !bytes.Equal(wantMD5, st.md5) {
		rq.bucket.discard(st.id)
		return errBadDigest()
	}
	fillNormal(m, st, rq.now)
	if _, err := rq.bucket.commit(m, forbid); err != nil {
		rq.bucket.discard(st.id)
		return err
	}
	s.emit(rq, "ObjectCreated:PutObject", m)
	writeWriteResult(rq.w.Header(), m)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// checkLength refuses a declared body over the size limit before reading it.
func (s *Server) checkLength(r *http.Request) error {
	if r.ContentLength > s.maxSize {
		return errEntityTooLarge()
	}
	return nil
}

func errEntityTooLarge() *ossError {
	return newError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
}

// stageBody streams a request body into b, mapping failures to OSS errors.
func (s *Server) stageBody(b *bucket, body io.Reader) (*staged, error) {
	st, err := b.stage(body, s.maxSize)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, errEntityTooLarge()
	case err != nil:
		return nil, newError("IncompleteBody", "You did not provide the number of bytes specified "+
			"by the Content-Length HTTP header: %v", err)
	}
	return st, nil
}

// fillNormal records a staged body as a Normal object written at now.
func fillNormal(m *objectMeta, st *staged, now time.Time) {
	m.Data, m.Size, m.CRC64 = st.id, st.size, st.crc
	m.ETag = strings.ToUpper(hex.EncodeToString(st.md5))
	m.MD5 = base64.StdEncoding.EncodeToString(st.md5)
	m.Type = "Normal"
	m.LastModified = now.UTC()
}

// contentMD5 decodes the Content-MD5 header; nil means none was sent.
func contentMD5(h http.Header) ([]byte, error) {
	v := h.Get("Content-MD5")
	if v == "" {
		return nil, nil
	}
	sum, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sum) != 16 {
		e := newError("InvalidDigest", "The Content-MD5 you specified is not valid.")
		e.ec = "0017-00000502"
		return nil, e
	}
	return sum, nil
}

func forbidOverwrite(v string) bool {
	return strings.EqualFold(strings.TrimSpace(v), "true")
}

// metaFromHeaders starts the metadata of a new object from request headers.
func metaFromHeaders(key string, h http.Header) (*objectMeta, error) {
	m := &objectMeta{Key: key, ContentType: h.Get("Content-Type")}
	if m.ContentType == "" {
		m.ContentType = "application/octet-stream"
	}
	for _, name := range storedHeaders {
		if v := h.Get(name); v != "" {
			if m.Headers == nil {
				m.Headers = map[string]string{}
			}
			m.Headers[name] = v
		}
	}
	userMeta, err := userMetaFrom(h)
	if err != nil {
		return nil, err
	}
	m.Meta = userMeta
	if v := h.Get("x-oss-tagging"); v != "" {
		if m.Tags, err = parseTagHeader(v); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// userMetaFrom collects x-oss-meta-* headers by lower-cased suffix.
func userMetaFrom(h http.Header) (map[string]string, error) {
	var meta map[string]string
	total := 0
	for k, v := range h {
		lk := strings.ToLower(k)
		name, ok := strings.CutPrefix(lk, "x-oss-meta-")
		if !ok || len(v) == 0 {
			continue
		}
		if meta == nil {
			meta = map[string]string{}
		}
		meta[name] = v[0]
		total += len(name) + len(v[0])
	}
	if total > maxUserMeta {
		return nil, errInvalidArgument("The user metadata exceeds %d bytes.", maxUserMeta)
	}
	return meta, nil
}

// writeWriteResult sets the headers that answer a successful write.
func writeWriteResult(h http.Header, m *objectMeta) {
	h.Set("ETag", quoteETag(m.ETag))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	if m.MD5 != "" {
		h.Set("Content-MD5", m.MD5)
	}
}

func quoteETag(etag string) string {
	return `"` + etag + `"`
}

// writeObjectHeaders sets the headers GET and HEAD describe an object with.
func writeObjectHeaders(h http.Header, m *objectMeta) {
	writeWriteResult(h, m)
	h.Set("Content-Type", m.ContentType)
	h.Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	h.Set("x-oss-object-type", m.Type)
	h.Set("x-oss-storage-class", "Standard")
	h.Set("Accept-Ranges", "bytes")
	for k, v := range m.Headers {
		h.Set(k, v)
	}
	for k, v := range m.Meta {
		h.Set("x-oss-meta-"+k, v)
	}
	if len(m.Tags) > 0 {
		h.Set("x-oss-tagging-count", strconv.Itoa(len(m.Tags)))
	}
}

func (s *Server) getObject(rq *request) error {
	m, f, err := rq.bucket.open(rq.key)
	if err != nil {
		return err
	}
	defer f.Close()
	if done, err := s.answerConditions(rq, m); done || err != nil {
		return err
	}
	h := rq.w.Header()
	writeObjectHeaders(h, m)
	for param, header := range responseOverrides {
		if v := rq.query.Get(param); v != "" {
			h.Set(header, v)
		}
	}
	standard := strings.EqualFold(rq.r.Header.Get("x-oss-range-behavior"), "standard")
	start, n, partial, err := parseRange(rq.r.Header.Get("Range"), m.Size, standard)
	if err != nil {
		return err
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+
			strconv.FormatInt(start+n-1, 10)+"/"+strconv.FormatInt(m.Size, 10))
		status = http.StatusPartialContent
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return err
	}
	rq.w.WriteHeader(status)
	io.CopyN(rq.w, f, n)
	return nil
}

func (s *Server) headObject(rq *request) error {
	m, ok := rq.bucket.lookup(rq.key)
	if !ok {
		return errNoSuchKey()
	}
	if done, err := s.answerConditions(rq, m); done || err != nil {
		return err
	}
	writeObjectHeaders(rq.w.Header(), m)
	rq.w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// answerConditions applies If-* headers; done reports a 304 was written.
func (s *Server) answerConditions(rq *request, m *objectMeta) (done bool, err error) {
	h := rq.r.Header
	notModified, err := evalConditions(m, h.Get("If-Match"), h.Get("If-None-Match"),
		h.Get("If-Modified-Since"), h.Get("If-Unmodified-Since"))
	if err != nil || !notModified {
		return false, err
	}
	rq.w.Header().Set("ETag", quoteETag(m.ETag))
	rq.w.Header().Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	rq.w.WriteHeader(http.StatusNotModified)
	return true, nil
}

func errPrecondition() *ossError {
	return newError("PreconditionFailed",
		"At least one of the pre-conditions you specified did not hold.")
}

func errBadDigest() *ossError {
	return newError("InvalidDigest", "The Content-MD5 you specified did not match what we "+
		"received.")
}

// evalConditions applies conditional headers in RFC 7232 order. It returns
// notModified for a 304 and a PreconditionFailed error for a 412.
func evalConditions(m *objectMeta, ifMatch, ifNoneMatch, ifModified, ifUnmodified string) (
	notModified bool, err error) {
	mod := m.LastModified.Truncate(time.Second)
	switch {
	case ifMatch != "":
		if !etagMatches(ifMatch, m.ETag) {
			return false, errPrecondition()
		}
	case ifUnmodified != "":
		if t, err := http.ParseTime(ifUnmodified); err == nil && mod.After(t) {
			return false, errPrecondition()
		}
	}
	switch {
	case ifNoneMatch != "":
		return etagMatches(ifNoneMatch, m.ETag), nil
	case ifModified != "":
		t, err := http.ParseTime(ifModified)
		return err == nil && !mod.After(t), nil
	}
	return false, nil
}

// etagMatches reports whether a list of entity tags (or *) names etag.
func etagMatches(list, etag string) bool {
	for _, v := range strings.Split(list, ",") {
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if v == "*" || strings.EqualFold(strings.TrimPrefix(v, "W/"), etag) {
			return true
		}
	}
	return false
}

// parseRange resolves a Range header against size. Like OSS, an invalid or
// unsatisfiable range yields the whole object, unless standard behaviour was
// asked for, which answers 416 to an unsatisfiable one.
func parseRange(spec string, size int64, standard bool) (start, n int64, partial bool, err error) {
	whole := func() (int64, int64, bool, error) { return 0, size, false, nil }
	r, ok := strings.CutPrefix(strings.TrimSpace(spec), "bytes=")
	if !ok || strings.Contains(r, ",") || size == 0 {
		return whole()
	}
	first, last, ok := strings.Cut(r, "-")
	if !ok {
		return whole()
	}
	if first == "" {
		k, err := strconv.ParseInt(last, 10, 64)
		if err != nil || k <= 0 {
			return whole()
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return whole()
	}
	b := size - 1
	if last != "" {
		if b, err = strconv.ParseInt(last, 10, 64); err != nil || b < a {
			return whole()
		}
	}
	if a >= size {
		if standard {
			return 0, 0, false, newError("InvalidRange", "The requested range cannot be satisfied.")
		}
		return whole()
	}
	b = min(b, size-1)
	return a, b - a + 1, true, nil
}

func (s *Server) deleteObject(rq *request) error {
	m, err := rq.bucket.remove(rq.key)
	if err != nil {
		return err
	}
	if m != nil {
		s.emit(rq, "ObjectRemoved:DeleteObject", m)
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// copyResult is the body of a CopyObject response.
type copyResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

func (s *Server) copyObject(rq *request) error {
	src, srcKey, err := s.copySource(rq.r.Header.Get("x-oss-copy-source"))
	if err != nil {
		return err
	}
	forbid := forbidOverwrite(rq.r.Header.Get("x-oss-forbid-overwrite"))
	if _, exists := rq.bucket.lookup(rq.key); exists && forbid {
		return errFileExists()
	}
	from, id, err := src.linkTo(srcKey, rq.bucket)
	if err != nil {
		return err
	}
	m, err := copiedMeta(rq, from)
	if err != nil {
		rq.bucket.discard(id)
		return err
	}
	m.Data = id
	if _, err := rq.bucket.commit(m, forbid); err != nil {
		rq.bucket.discard(id)
		return err
	}
	s.emit(rq, "ObjectCreated:CopyObject", m)
	h := rq.w.Header()
	h.Set("ETag", quoteETag(m.ETag))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	return writeXML(rq.w, http.StatusOK, copyResult{
		LastModified: isoTime(m.LastModified),
		ETag:         quoteETag(m.ETag),
	})
}

// copySource parses x-oss-copy-source: /bucket/<url-escaped key>[?versionId=...].
func (s *Server) copySource(v string) (*bucket, string, error) {
	name, rest, ok := strings.Cut(strings.TrimPrefix(v, "/"), "/")
	if !ok || rest == "" {
		return nil, "", errInvalidArgument("x-oss-copy-source %q is malformed.", v)
	}
	rest, _, _ = strings.Cut(rest, "?")
	key, err := url.QueryUnescape(rest)
	if err != nil {
		return nil, "", errInvalidArgument("x-oss-copy-source %q is malformed.", v)
	}
	b := s.buckets[name]
	if b == nil {
		return nil, "", newError("NoSuchBucket", "The specified source bucket does not exist.")
	}
	return b, key, nil
}

// copiedMeta builds the metadata of a copy of from, as the request's
// conditions and directives say.
func copiedMeta(rq *request, from *objectMeta) (*objectMeta, error) {
	h := rq.r.Header
	if err := evalCopyConditions(from, h); err != nil {
		return nil, err
	}
	m := *from
	m.Key, m.LastModified = rq.key, rq.now.UTC()
	switch d := strings.ToUpper(h.Get("x-oss-metadata-directive")); d {
	case "", "COPY":
	case "REPLACE":
		fresh, err := metaFromHeaders(rq.key, h)
		if err != nil {
			return nil, err
		}
		m.ContentType, m.Headers, m.Meta = fresh.ContentType, fresh.Headers, fresh.Meta
	default:
		return nil, errInvalidArgument("x-oss-metadata-directive %q is not valid.", d)
	}
	switch d := strings.ToUpper(h.Get("x-oss-tagging-directive")); d {
	case "", "COPY":
	case "REPLACE":
		tags, err := parseTagHeader(h.Get("x-oss-tagging"))
		if err != nil {
			return nil, err
		}
		m.Tags = tags
	default:
		return nil, errInvalidArgument("x-oss-tagging-directive %q is not valid.", d)
	}
	return &m, nil
}

// evalCopyConditions applies the x-oss-copy-source-if-* headers; a copy
// answers every failed condition with 412.
func evalCopyConditions(m *objectMeta, h http.Header) error {
	notModified, err := evalConditions(m,
		h.Get("x-oss-copy-source-if-match"), h.Get("x-oss-copy-source-if-none-match"),
		h.Get("x-oss-copy-source-if-modified-since"),
		h.Get("x-oss-copy-source-if-unmodified-since"))
	if err == nil && notModified {
		err = errPrecondition()
	}
	return err
}

// isoTime formats t the way OSS XML bodies do.
func isoTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// writeXML answers with status and v marshalled as an XML document.
func writeXML(w http.ResponseWriter, status int, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	doc := append([]byte(xml.Header), body...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(status)
	w.Write(doc)
	return nil
}
