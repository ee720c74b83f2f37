package ossemu

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	maxPartNumber   = 10000
	minPartSize     = 100 << 10
	defaultMaxParts = 1000
)

// upload is the durable state of a multipart upload, uploads/<id>/upload.json.
type upload struct {
	Key       string      `json:"key"`
	Initiated time.Time   `json:"initiated"`
	Meta      *objectMeta `json:"meta"` // content type, headers, user meta, tags
}

// part is one uploaded part, uploads/<id>/part-NNNNN.json.
type part struct {
	Number       int       `json:"number"`
	Data         string    `json:"data"`
	Size         int64     `json:"size"`
	MD5          string    `json:"md5"` // hex
	CRC64        uint64    `json:"crc64"`
	LastModified time.Time `json:"lastModified"`
}

func (p *part) etag() string { return strings.ToUpper(p.MD5) }

func (b *bucket) uploadDir(id string) string {
	return filepath.Join(b.dir, "uploads", id)
}

func partFile(n int) string { return fmt.Sprintf("part-%05d.json", n) }

// loadUpload reads upload id and checks that it belongs to key.
func (b *bucket) loadUpload(id, key string) (*upload, error) {
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return nil, errNoSuchUpload()
	}
	var u upload
	err := readJSON(filepath.Join(b.uploadDir(id), "upload.json"), &u)
	if errors.Is(err, fs.ErrNotExist) || err == nil && u.Key != key {
		return nil, errNoSuchUpload()
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// parts returns the uploaded parts of upload id, by number.
func (b *bucket) parts(id string) ([]*part, error) {
	names, err := filepath.Glob(filepath.Join(b.uploadDir(id), "part-*.json"))
	if err != nil {
		return nil, err
	}
	ps := make([]*part, 0, len(names))
	for _, name := range names {
		var p part
		if err := readJSON(name, &p); err != nil {
			return nil, err
		}
		ps = append(ps, &p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Number < ps[j].Number })
	return ps, nil
}

type initiateResult struct {
	XMLName      xml.Name `xml:"InitiateMultipartUploadResult"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	UploadID     string   `xml:"UploadId"`
	EncodingType string   `xml:"EncodingType,omitempty"`
}

func (s *Server) initiateUpload(rq *request) error {
	forbid := forbidOverwrite(rq.r.Header.Get("x-oss-forbid-overwrite"))
	if _, ok := rq.bucket.lookup(rq.key); ok && forbid {
		return errFileExists()
	}
	m, err := metaFromHeaders(rq.key, rq.r.Header)
	if err != nil {
		return err
	}
	id := strings.ToUpper(newID())
	u := upload{Key: rq.key, Initiated: rq.now.UTC(), Meta: m}
	path := filepath.Join(rq.bucket.uploadDir(id), "upload.json")
	if err := rq.bucket.writeJSON(path, u); err != nil {
		return err
	}
	key := rq.key
	if rq.query.Get("encoding-type") == "url" {
		key = url.QueryEscape(key)
	}
	return writeXML(rq.w, http.StatusOK, initiateResult{
		Bucket: rq.bucket.name, Key: key, UploadID: id, EncodingType: rq.query.Get("encoding-type"),
	})
}

func (s *Server) uploadPart(rq *request) error {
	n, err := strconv.Atoi(rq.query.Get("partNumber"))
	if err != nil || n < 1 || n > maxPartNumber {
		return errInvalidArgument("Part number must be an integer between 1 and %d.", maxPartNumber)
	}
	id := rq.query.Get("uploadId")
	if _, err := rq.bucket.loadUpload(id, rq.key); err != nil {
		return err
	}
	if err := s.checkLength(rq.r); err != nil {
		return err
	}
	wantMD5, err := contentMD5(rq.r.Header)
	if err != nil {
		return err
	}
	p, err := s.stagePart(rq, id, n)
	if err != nil {
		return err
	}
	if wantMD5 != nil && !strings.EqualFold(hex.EncodeToString(wantMD5), p.MD5) {
		os.Remove(filepath.Join(rq.bucket.uploadDir(id), p.Data))
		return errBadDigest()
	}
	if err := rq.bucket.commitPart(id, p); err != nil {
		return err
	}
	h := rq.w.Header()
	h.Set("ETag", quoteETag(p.etag()))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(p.CRC64, 10))
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// stagePart streams a part body into the upload's directory.
func (s *Server) stagePart(rq *request, id string, n int) (*part, error) {
	name := newID() + ".data"
	path := filepath.Join(rq.bucket.uploadDir(id), name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, errNoSuchUpload()
	}
	st, err := copyHashed(f, rq.r.Body, s.maxSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, errTooLarge):
		os.Remove(path)
		return nil, errEntityTooLarge()
	case err != nil:
		os.Remove(path)
		return nil, newError("IncompleteBody", "The part body could not be read: %v", err)
	}
	return &part{
		Number: n, Data: name, Size: st.size, MD5: hex.EncodeToString(st.md5),
		CRC64: st.crc, LastModified: rq.now.UTC(),
	}, nil
}

// commitPart records p as part p.Number of upload id, replacing any
// earlier upload of the same number.
func (b *bucket) commitPart(id string, p *part) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	dir := b.uploadDir(id)
	path := filepath.Join(dir, partFile(p.Number))
	var old part
	hadOld := readJSON(path, &old) == nil
	if _, err := os.Stat(filepath.Join(dir, "upload.json")); err != nil {
		os.Remove(filepath.Join(dir, p.Data))
		return errNoSuchUpload()
	}
	if err := b.writeJSON(path, p); err != nil {
		return err
	}
	if hadOld && old.Data != p.Data {
		os.Remove(filepath.Join(dir, old.Data))
	}
	return nil
}

// completeRequest is the body of a CompleteMultipartUpload request.
type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Location     string   `xml:"Location"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	ETag         string   `xml:"ETag"`
}

func (s *Server) completeUpload(rq *request) error {
	id := rq.query.Get("uploadId")
	u, err := rq.bucket.loadUpload(id, rq.key)
	if err != nil {
		return err
	}
	var req completeRequest
	if err := readXML(rq.r.Body, &req); err != nil {
		return err
	}
	chosen, err := rq.bucket.chooseParts(id, req)
	if err != nil {
		return err
	}
	forbid := forbidOverwrite(rq.r.Header.Get("x-oss-forbid-overwrite"))
	if _, exists := rq.bucket.lookup(rq.key); exists && forbid {
		return errFileExists()
	}
	m, err := rq.bucket.assemble(id, u, chosen, rq.now)
	if err != nil {
		return err
	}
	if _, err := rq.bucket.commit(m, forbid); err != nil {
		rq.bucket.discard(m.Data)
		return err
	}
	os.RemoveAll(rq.bucket.uploadDir(id))
	s.emit(rq, "ObjectCreated:CompleteMultipartUpload", m)
	key := rq.key
	if rq.query.Get("encoding-type") == "url" {
		key = url.QueryEscape(key)
	}
	h := rq.w.Header()
	h.Set("ETag", quoteETag(m.ETag))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	return writeXML(rq.w, http.StatusOK, completeResult{
		EncodingType: rq.query.Get("encoding-type"),
		Location:     "http://" + rq.r.Host + "/" + rq.bucket.name + "/" + escapeV4Path(rq.key),
		Bucket:       rq.bucket.name,
		Key:          key,
		ETag:         quoteETag(m.ETag),
	})
}

// chooseParts checks the parts a Complete request names against the parts
// uploaded: each must exist with its ETag, in ascending order, and all but
// the last must be at least 100 KiB.
func (b *bucket) chooseParts(id string, req completeRequest) ([]*part, error) {
	if len(req.Parts) == 0 {
		return nil, errMalformedXML()
	}
	uploaded, err := b.parts(id)
	if err != nil {
		return nil, err
	}
	byNumber := map[int]*part{}
	for _, p := range uploaded {
		byNumber[p.Number] = p
	}
	for i := 1; i < len(req.Parts); i++ {
		if req.Parts[i].PartNumber <= req.Parts[i-1].PartNumber {
			return nil, newError("InvalidPartOrder",
				"The list of parts was not in ascending order. Parts must be ordered by part "+
					"number.")
		}
	}
	chosen := make([]*part, len(req.Parts))
	for i, rp := range req.Parts {
		p := byNumber[rp.PartNumber]
		if p == nil || !strings.EqualFold(strings.Trim(rp.ETag, `"`), p.etag()) {
			return nil, newError("InvalidPart",
				"One or more of the specified parts could not be found or the specified "+
					"entity tag might not have matched the part's entity tag.")
		}
		chosen[i] = p
	}
	for _, p := range chosen[:len(chosen)-1] {
		if p.Size < minPartSize {
			return nil, newError("EntityTooSmall",
				"Your proposed upload is smaller than the minimum allowed size.")
		}
	}
	return chosen, nil
}

// assemble concatenates the chosen parts into a new data file and returns
// the metadata of the finished object.
func (b *bucket) assemble(id string, u *upload, parts []*part, now time.Time) (*objectMeta, error) {
	dataID := newID()
	path := b.dataPath(dataID)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	crc := crc64.New(crcTable)
	etags := md5.New()
	var size int64
	for _, p := range parts {
		sum, _ := hex.DecodeString(p.MD5)
		etags.Write(sum)
		n, cerr := appendFile(io.MultiWriter(out, crc), filepath.Join(b.uploadDir(id), p.Data))
		size += n
		if err = cerr; err != nil {
			break
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	m := *u.Meta
	m.Key, m.Data, m.Size, m.CRC64, m.MD5 = u.Key, dataID, size, crc.Sum64(), ""
	m.ETag = fmt.Sprintf("%X-%d", etags.Sum(nil), len(parts))
	m.Type, m.LastModified = "Multipart", now.UTC()
	return &m, nil
}

func appendFile(w io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}

func (s *Server) abortUpload(rq *request) error {
	id := rq.query.Get("uploadId")
	if _, err := rq.bucket.loadUpload(id, rq.key); err != nil {
		return err
	}
	if err := os.RemoveAll(rq.bucket.uploadDir(id)); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

type listPartsResult struct {
	XMLName              xml.Name  `xml:"ListPartsResult"`
	EncodingType         string    `xml:"EncodingType,omitempty"`
	Bucket               string    `xml:"Bucket"`
	Key                  string    `xml:"Key"`
	UploadID             string    `xml:"UploadId"`
	PartNumberMarker     int       `xml:"PartNumberMarker"`
	NextPartNumberMarker int       `xml:"NextPartNumberMarker"`
	MaxParts             int       `xml:"MaxParts"`
	IsTruncated          bool      `xml:"IsTruncated"`
	Parts                []xmlPart `xml:"Part"`
}

type xmlPart struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
}

func (s *Server) listParts(rq *request) error {
	id := rq.query.Get("uploadId")
	if _, err := rq.bucket.loadUpload(id, rq.key); err != nil {
		return err
	}
	maxParts, marker, err := partListParams(rq)
	if err != nil {
		return err
	}
	ps, err := rq.bucket.parts(id)
	if err != nil {
		return err
	}
	key := rq.key
	if rq.query.Get("encoding-type") == "url" {
		key = url.QueryEscape(key)
	}
	res := listPartsResult{
		EncodingType: rq.query.Get("encoding-type"), Bucket: rq.bucket.name, Key: key,
		UploadID: id, PartNumberMarker: marker, MaxParts: maxParts,
	}
	for _, p := range ps {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, xmlPart{
			PartNumber: p.Number, LastModified: isoTime(p.LastModified),
			ETag: quoteETag(p.etag()), Size: p.Size,
		})
		res.NextPartNumberMarker = p.Number
	}
	return writeXML(rq.w, http.StatusOK, res)
}

func partListParams(rq *request) (maxParts, marker int, err error) {
	maxParts = defaultMaxParts
	if v := rq.query.Get("max-parts"); v != "" {
		if maxParts, err = strconv.Atoi(v); err != nil || maxParts < 1 ||
			maxParts > defaultMaxParts {
			return 0, 0, errInvalidArgument("max-parts must be between 1 and %d.", defaultMaxParts)
		}
	}
	if v := rq.query.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return 0, 0, errInvalidArgument("part-number-marker %q is not valid.", v)
		}
	}
	return maxParts, marker, nil
}
