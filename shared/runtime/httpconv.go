package runtime

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// requestParts are the host-neutral pieces of an HTTP event.
type requestParts struct {
	method, rawPath, path, rawQuery string
	header                          http.Header
	body                            []byte
	proto, sourceIP, domain         string
}

// buildRequest assembles an *http.Request as net/http's server would.
func buildRequest(ctx context.Context, p requestParts) (*http.Request, error) {
	u, err := requestURL(p.rawPath, p.path)
	if err != nil {
		return nil, err
	}
	u.RawQuery = p.rawQuery
	method := strings.ToUpper(p.method)
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(p.body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedEvent, err)
	}
	r.URL, r.RequestURI, r.Header = u, u.RequestURI(), p.header
	r.ContentLength = int64(len(p.body))
	if len(p.body) == 0 {
		r.Body = http.NoBody
	}
	r.Host = p.header.Get("Host")
	if r.Host == "" {
		r.Host = p.domain
	}
	p.header.Del("Host")
	if p.proto != "" {
		if maj, min, ok := http.ParseHTTPVersion(p.proto); ok {
			r.Proto, r.ProtoMajor, r.ProtoMinor = p.proto, maj, min
		}
	}
	if p.sourceIP != "" {
		r.RemoteAddr = net.JoinHostPort(p.sourceIP, "0")
	}
	return r, nil
}

// requestURL parses the encoded path, falling back to the decoded one.
func requestURL(rawPath, path string) (*url.URL, error) {
	if rawPath == "" {
		rawPath = (&url.URL{Path: path}).EscapedPath()
	}
	if rawPath == "" {
		rawPath = "/"
	}
	u, err := url.ParseRequestURI(rawPath)
	if err != nil {
		return nil, fmt.Errorf("%w: path %q: %v", ErrMalformedEvent, rawPath, err)
	}
	return u, nil
}

// decodeBody returns the event body bytes.
func decodeBody(body string, isBase64 bool) ([]byte, error) {
	if !isBase64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: base64 body: %v", ErrMalformedEvent, err)
	}
	return b, nil
}

// encodeRequestBody encodes a request body for an event, base64 when it is
// not UTF-8 text.
func encodeRequestBody(body []byte, contentType string) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	if utf8.Valid(body) && isTextType(contentType) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

// joinHeader flattens h into one value per key, joined with sep, adding host
// under "Host" when it is not empty. It returns nil for an empty result.
func joinHeader(h http.Header, host, sep string) map[string]string {
	if len(h) == 0 && host == "" {
		return nil
	}
	m := make(map[string]string, len(h)+1)
	for k, vs := range h {
		m[k] = strings.Join(vs, sep)
	}
	if host != "" {
		m["Host"] = host
	}
	return m
}

// lowerHeader flattens h like joinHeader, with lower-case keys, leaving out
// the names in skip.
func lowerHeader(h http.Header, sep string, skip ...string) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		if containsFold(skip, k) {
			continue
		}
		m[strings.ToLower(k)] = strings.Join(vs, sep)
	}
	return m
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// hostOnly strips the port from a RemoteAddr.
func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
