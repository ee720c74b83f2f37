package ossemu

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	defaultMaxKeys = 100
	maxMaxKeys     = 1000
	maxDeleteKeys  = 1000
)

// listing is one page request over a bucket's keys.
type listing struct {
	prefix, delimiter string
	after             string // keys must sort after this
	max               int
}

// listPage is one page of a listing.
type listPage struct {
	objects   []*objectMeta
	prefixes  []string
	truncated bool
	last      string // the last key or common prefix on the page
}

// list returns one page of keys under l.prefix, grouping keys that contain
// l.delimiter past the prefix into common prefixes.
func (b *bucket) list(l listing) listPage {
	var page listPage
	lastPrefix := ""
	if l.delimiter != "" {
		lastPrefix = commonPrefix(l.after, l.prefix, l.delimiter)
	}
	b.scan(max(l.after, l.prefix), func(m *objectMeta) bool {
		k := m.Key
		if k <= l.after {
			return true
		}
		if !strings.HasPrefix(k, l.prefix) {
			return false
		}
		cp := ""
		if l.delimiter != "" {
			cp = commonPrefix(k, l.prefix, l.delimiter)
		}
		if cp != "" && cp == lastPrefix {
			return true
		}
		if len(page.objects)+len(page.prefixes) >= l.max {
			page.truncated = true
			return false
		}
		if cp != "" {
			page.prefixes = append(page.prefixes, cp)
			page.last, lastPrefix = cp, cp
		} else {
			page.objects = append(page.objects, m)
			page.last = k
		}
		return true
	})
	return page
}

// commonPrefix returns the common prefix key falls under, or "" when key
// does not start with prefix or has no delimiter after it.
func commonPrefix(key, prefix, delimiter string) string {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return ""
	}
	i := strings.Index(rest, delimiter)
	if i < 0 {
		return ""
	}
	return prefix + rest[:i+len(delimiter)]
}

// xmlObject is one entry of a listing.
type xmlObject struct {
	Key          string    `xml:"Key"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag"`
	Type         string    `xml:"Type"`
	Size         int64     `xml:"Size"`
	StorageClass string    `xml:"StorageClass"`
	Owner        *xmlOwner `xml:"Owner,omitempty"`
}

type xmlOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type xmlPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listV1Result is the body of a ListObjects response.
type listV1Result struct {
	XMLName        xml.Name    `xml:"ListBucketResult"`
	Name           string      `xml:"Name"`
	Prefix         string      `xml:"Prefix"`
	Marker         string      `xml:"Marker"`
	MaxKeys        int         `xml:"MaxKeys"`
	Delimiter      string      `xml:"Delimiter"`
	EncodingType   string      `xml:"EncodingType,omitempty"`
	IsTruncated    bool        `xml:"IsTruncated"`
	NextMarker     string      `xml:"NextMarker,omitempty"`
	Contents       []xmlObject `xml:"Contents"`
	CommonPrefixes []xmlPrefix `xml:"CommonPrefixes"`
}

// listV2Result is the body of a ListObjectsV2 response.
type listV2Result struct {
	XMLName               xml.Name    `xml:"ListBucketResult"`
	Name                  string      `xml:"Name"`
	Prefix                string      `xml:"Prefix"`
	ContinuationToken     string      `xml:"ContinuationToken,omitempty"`
	StartAfter            string      `xml:"StartAfter,omitempty"`
	MaxKeys               int         `xml:"MaxKeys"`
	Delimiter             string      `xml:"Delimiter"`
	EncodingType          string      `xml:"EncodingType,omitempty"`
	IsTruncated           bool        `xml:"IsTruncated"`
	NextContinuationToken string      `xml:"NextContinuationToken,omitempty"`
	KeyCount              int         `xml:"KeyCount"`
	Contents              []xmlObject `xml:"Contents"`
	CommonPrefixes        []xmlPrefix `xml:"CommonPrefixes"`
}

// listParams reads the parameters both listing versions share.
func listParams(q url.Values) (l listing, encode func(string) string, err error) {
	l = listing{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), max: defaultMaxKeys}
	if v := q.Get("max-keys"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > maxMaxKeys {
			return l, nil, errInvalidArgument("max-keys must be between 1 and %d.", maxMaxKeys)
		}
		l.max = n
	}
	encode = func(s string) string { return s }
	switch et := q.Get("encoding-type"); et {
	case "":
	case "url":
		encode = url.QueryEscape
	default:
		return l, nil, errInvalidArgument("encoding-type %q is not supported.", et)
	}
	return l, encode, nil
}

func (s *Server) listObjects(rq *request) error {
	l, enc, err := listParams(rq.query)
	if err != nil {
		return err
	}
	l.after = rq.query.Get("marker")
	page := rq.bucket.list(l)
	res := listV1Result{
		Name:         rq.bucket.name,
		Prefix:       enc(l.prefix),
		Marker:       enc(l.after),
		MaxKeys:      l.max,
		Delimiter:    enc(l.delimiter),
		EncodingType: rq.query.Get("encoding-type"),
		IsTruncated:  page.truncated,
	}
	if page.truncated {
		res.NextMarker = enc(page.last)
	}
	res.Contents, res.CommonPrefixes = pageXML(page, enc, true)
	return writeXML(rq.w, http.StatusOK, res)
}

func (s *Server) listObjectsV2(rq *request) error {
	l, enc, err := listParams(rq.query)
	if err != nil {
		return err
	}
	token := rq.query.Get("continuation-token")
	l.after = rq.query.Get("start-after")
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return errInvalidArgument("continuation-token %q is not valid.", token)
		}
		l.after = string(raw)
	}
	page := rq.bucket.list(l)
	res := listV2Result{
		Name:              rq.bucket.name,
		Prefix:            enc(l.prefix),
		ContinuationToken: token,
		StartAfter:        enc(rq.query.Get("start-after")),
		MaxKeys:           l.max,
		Delimiter:         enc(l.delimiter),
		EncodingType:      rq.query.Get("encoding-type"),
		IsTruncated:       page.truncated,
		KeyCount:          len(page.objects) + len(page.prefixes),
	}
	if page.truncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.last))
	}
	owner := rq.query.Get("fetch-owner") == "true"
	res.Contents, res.CommonPrefixes = pageXML(page, enc, owner)
	return writeXML(rq.w, http.StatusOK, res)
}

// pageXML converts a page to its XML entries, keys encoded by enc.
func pageXML(page listPage, enc func(string) string, owner bool) ([]xmlObject, []xmlPrefix) {
	objs := make([]xmlObject, len(page.objects))
	for i, m := range page.objects {
		objs[i] = xmlObject{
			Key:          enc(m.Key),
			LastModified: isoTime(m.LastModified),
			ETag:         quoteETag(m.ETag),
			Type:         m.Type,
			Size:         m.Size,
			StorageClass: "Standard",
		}
		if owner {
			objs[i].Owner = &xmlOwner{ID: ownerID, DisplayName: ownerID}
		}
	}
	prefixes := make([]xmlPrefix, len(page.prefixes))
	for i, p := range page.prefixes {
		prefixes[i] = xmlPrefix{Prefix: enc(p)}
	}
	return objs, prefixes
}

// deleteRequest is the body of a DeleteMultipleObjects request.
type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key string `xml:"Key"`
	} `xml:"Object"`
}

// deleteResult is the body of a DeleteMultipleObjects response.
type deleteResult struct {
	XMLName      xml.Name     `xml:"DeleteResult"`
	EncodingType string       `xml:"EncodingType,omitempty"`
	Deleted      []xmlDeleted `xml:"Deleted"`
}

type xmlDeleted struct {
	Key string `xml:"Key"`
}

func (s *Server) deleteMultiple(rq *request) error {
	body, err := readDeleteBody(rq.r)
	if err != nil {
		return err
	}
	var req deleteRequest
	if xml.Unmarshal(body, &req) != nil || len(req.Objects) == 0 ||
		len(req.Objects) > maxDeleteKeys {
		return errMalformedXML()
	}
	enc := func(s string) string { return s }
	if rq.query.Get("encoding-type") == "url" {
		enc = url.QueryEscape
	}
	res := deleteResult{EncodingType: rq.query.Get("encoding-type")}
	for _, o := range req.Objects {
		m, err := rq.bucket.remove(o.Key)
		if err != nil {
			return err
		}
		if m != nil {
			s.emit(rq, "ObjectRemoved:DeleteObjects", m)
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, xmlDeleted{Key: enc(o.Key)})
		}
	}
	return writeXML(rq.w, http.StatusOK, res)
}

// readDeleteBody reads a DeleteMultipleObjects body and checks the
// Content-MD5 it must carry.
func readDeleteBody(r *http.Request) ([]byte, error) {
	want, err := contentMD5(r.Header)
	if err != nil {
		return nil, err
	}
	if want == nil {
		return nil, errInvalidArgument("Content-MD5 is required for DeleteMultipleObjects.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 2*maxXMLBody+1))
	if err != nil {
		return nil, newError("IncompleteBody", "The request body could not be read: %v", err)
	}
	if len(body) > 2*maxXMLBody {
		return nil, errMalformedXML()
	}
	if sum := md5.Sum(body); !bytes.Equal(sum[:], want) {
		return nil, errBadDigest()
	}
	return body, nil
}
