package ossemu

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"sort"
	"unicode/utf8"
)

const (
	maxTags        = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	maxXMLBody     = 1 << 20
)

// taggingDoc is the XML form of an object's tags.
type taggingDoc struct {
	XMLName xml.Name `xml:"Tagging"`
	Tags    []xmlTag `xml:"TagSet>Tag"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// parseTagHeader parses x-oss-tagging: URL-encoded k=v pairs joined by &.
func parseTagHeader(v string) ([]tag, error) {
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, newError("InvalidTag", "x-oss-tagging is malformed: %v", err)
	}
	tags := make([]tag, 0, len(q))
	for k, vals := range q {
		if len(vals) != 1 {
			return nil, newError("InvalidTag", "Tag key %q is repeated.", k)
		}
		tags = append(tags, tag{Key: k, Value: vals[0]})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags, checkTags(tags)
}

// checkTags applies the OSS limits on object tags.
func checkTags(tags []tag) error {
	if len(tags) > maxTags {
		return newError("InvalidTag", "An object can have at most %d tags.", maxTags)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKeyLen:
			return newError("InvalidTag", "Tag key %q must have 1 to %d characters.", t.Key,
				maxTagKeyLen)
		case utf8.RuneCountInString(t.Value) > maxTagValueLen:
			return newError("InvalidTag", "Tag value of %q exceeds %d characters.", t.Key,
				maxTagValueLen)
		case seen[t.Key]:
			return newError("InvalidTag", "Tag key %q is repeated.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func (s *Server) putTagging(rq *request) error {
	var doc taggingDoc
	if err := readXML(rq.r.Body, &doc); err != nil {
		return err
	}
	tags := make([]tag, len(doc.Tags))
	for i, t := range doc.Tags {
		tags[i] = tag(t)
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	err := rq.bucket.replaceMeta(rq.key, func(old *objectMeta) (*objectMeta, error) {
		m := *old
		m.Tags = tags
		return &m, nil
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getTagging(rq *request) error {
	m, ok := rq.bucket.lookup(rq.key)
	if !ok {
		return errNoSuchKey()
	}
	doc := taggingDoc{Tags: make([]xmlTag, len(m.Tags))}
	for i, t := range m.Tags {
		doc.Tags[i] = xmlTag(t)
	}
	return writeXML(rq.w, http.StatusOK, doc)
}

func (s *Server) deleteTagging(rq *request) error {
	err := rq.bucket.replaceMeta(rq.key, func(old *objectMeta) (*objectMeta, error) {
		m := *old
		m.Tags = nil
		return &m, nil
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// readXML decodes an XML request body of at most maxXMLBody bytes.
func readXML(body io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(body, maxXMLBody+1))
	if err != nil {
		return newError("IncompleteBody", "The request body could not be read: %v", err)
	}
	if len(data) > maxXMLBody || xml.Unmarshal(data, v) != nil {
		return errMalformedXML()
	}
	return nil
}
