package ots

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
)

type otsErrorMsg = otsprotocol.Error

var requiredHeaders = []string{
	"x-ots-date", "x-ots-apiversion", "x-ots-accesskeyid",
	"x-ots-contentmd5", "x-ots-instancename", "x-ots-signature",
}

// authenticate checks the headers, the body MD5, the signature and the
// instance name of a request, in the order Tablestore does.
func (s *Server) authenticate(uri string, h http.Header, body []byte) *apiError {
	for _, name := range requiredHeaders {
		if h.Get(name) == "" {
			return invalidf("Missing header: '%s'.", name)
		}
	}
	if !validDate(h.Get("x-ots-date")) {
		return invalidf("Invalid date format: %s.", h.Get("x-ots-date"))
	}
	if h.Get("x-ots-accesskeyid") != s.cfg.AccessKeyID {
		return authFailed("The AccessKeyID does not exist.")
	}
	sum := md5.Sum(body)
	if h.Get("x-ots-contentmd5") != base64.StdEncoding.EncodeToString(sum[:]) {
		return authFailed("Mismatch between MD5 value of request body and x-ots-contentmd5 in " +
			"header.")
	}
	want := sign(uri, h, s.cfg.AccessKeySecret)
	if !hmac.Equal([]byte(want), []byte(h.Get("x-ots-signature"))) {
		return authFailed("Signature mismatch.")
	}
	if h.Get("x-ots-instancename") != s.cfg.Instance {
		return authFailed("The instance is not found.")
	}
	return nil
}

// sign computes the request signature over the canonical string: the URI,
// the method, an empty query, then every x-ots-* header but the signature
// itself, sorted by name, as name:trimmed-value lines.
func sign(uri string, h http.Header, secret string) string {
	var names []string
	for k := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-ots-") && lk != "x-ots-signature" && h.Get(k) != "" {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(uri + "\nPOST\n\n")
	for _, n := range names {
		b.WriteString(n + ":" + strings.TrimSpace(h.Get(n)) + "\n")
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// validDate accepts x-ots-date up to the seconds; the SDK's fraction is
// garbled (its layout reads ".123" as month, day and hour), so the rest is
// not parsed.
func validDate(v string) bool {
	const layout = "2006-01-02T15:04:05"
	if len(v) < len(layout) {
		return false
	}
	_, err := time.Parse(layout, v[:len(layout)])
	return err == nil
}
