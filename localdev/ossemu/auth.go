package ossemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	v4Algorithm  = "OSS4-HMAC-SHA256"
	v4Terminator = "aliyun_v4_request"
	v4TimeFormat = "20060102T150405Z"
	v4DayFormat  = "20060102"
	unsignedBody = "UNSIGNED-PAYLOAD"
	maxPresignV4 = 7 * 24 * 60 * 60
)

// signedParams are the query parameters that V1 signatures cover (the SDK's
// sub-resource list); every other parameter is left out of the string to sign.
var signedParams = setOf(
	"acl", "uploads", "location", "cors", "logging", "website", "referer",
	"lifecycle", "delete", "append", "tagging", "objectMeta", "uploadId",
	"partNumber", "security-token", "position", "img", "style", "styleName",
	"replication", "replicationProgress", "replicationLocation", "cname",
	"bucketInfo", "comp", "qos", "live", "status", "vod", "startTime",
	"endTime", "symlink", "x-oss-process", "response-content-type",
	"x-oss-traffic-limit", "response-content-language", "response-expires",
	"response-cache-control", "response-content-disposition",
	"response-content-encoding", "udf", "udfName", "udfImage", "udfId",
	"udfImageDesc", "udfApplication", "udfApplicationLog", "restore",
	"callback", "callback-var", "qosInfo", "policy", "stat", "encryption",
	"versions", "versioning", "versionId", "requestPayment",
	"x-oss-request-payer", "sequential", "inventory", "inventoryId",
	"continuation-token", "asyncFetch", "worm", "wormId", "wormExtend",
	"withHashContext", "x-oss-enable-md5", "x-oss-enable-sha1",
	"x-oss-enable-sha256", "x-oss-hash-ctx", "x-oss-md5-ctx",
	"transferAcceleration", "regionList", "cloudboxes", "x-oss-ac-source-ip",
	"x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow",
	"metaQuery", "resourceGroup", "rtc", "x-oss-async-process",
	"responseHeader",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// authenticate checks the signature of rq in whichever form it comes and
// records the AccessKey ID that made it.
// TODO(#4): an STS security token (x-oss-security-token, security-token) is
// covered by the signature but not itself validated.
func (s *Server) authenticate(rq *request) error {
	auth := rq.r.Header.Get("Authorization")
	version := rq.query.Get("x-oss-signature-version")
	switch {
	case strings.HasPrefix(auth, v4Algorithm+" "):
		return s.authV4Header(rq, strings.TrimPrefix(auth, v4Algorithm+" "))
	case strings.HasPrefix(auth, "OSS "):
		return s.authV1Header(rq, strings.TrimPrefix(auth, "OSS "))
	case auth != "":
		// TODO(#4): signature V2 (OSS2) is not supported.
		return errInvalidArgument("Authorization scheme is not supported by the emulator.")
	case version == v4Algorithm:
		return s.authV4Query(rq)
	case version != "":
		return errInvalidArgument("x-oss-signature-version %q is not supported.", version)
	case rq.query.Has("OSSAccessKeyId") || rq.query.Has("Signature"):
		return s.authV1Query(rq)
	}
	return newError("AccessDenied", "You have no right to access this object because of bucket "+
		"acl.")
}

// secret returns the secret of ak.
func (s *Server) secret(ak string) (string, error) {
	secret, ok := s.creds[ak]
	if !ok || ak == "" {
		return "", newError("InvalidAccessKeyId",
			"The OSS Access Key Id you provided does not exist in our records.")
	}
	return secret, nil
}

// checkSkew refuses a request time more than 15 minutes from the server's.
func checkSkew(now, t time.Time) error {
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return newError("RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.")
	}
	return nil
}

func (s *Server) authV1Header(rq *request, cred string) error {
	ak, sig, ok := strings.Cut(cred, ":")
	if !ok {
		return errInvalidArgument("Authorization header is malformed.")
	}
	secret, err := s.secret(ak)
	if err != nil {
		return err
	}
	date := rq.r.Header.Get("Date")
	when := date
	if d := rq.r.Header.Get("x-oss-date"); d != "" {
		when = d
	}
	t, err := parseRequestTime(when)
	if err != nil {
		return newError("AccessDenied", "OSS authentication requires a valid Date.")
	}
	if err := checkSkew(rq.now, t); err != nil {
		return err
	}
	return s.verifyV1(rq, ak, secret, date, sig)
}

func (s *Server) authV1Query(rq *request) error {
	q := rq.query
	ak, sig, exp := q.Get("OSSAccessKeyId"), q.Get("Signature"), q.Get("Expires")
	if ak == "" || sig == "" || exp == "" {
		return errInvalidArgument("OSSAccessKeyId, Signature and Expires are all required.")
	}
	secret, err := s.secret(ak)
	if err != nil {
		return err
	}
	expires, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return errInvalidArgument("Expires %q is not a Unix time.", exp)
	}
	if rq.now.Unix() > expires {
		return newError("AccessDenied", "Request has expired.")
	}
	return s.verifyV1(rq, ak, secret, exp, sig)
}

// verifyV1 checks a V1 signature whose Date line is date.
func (s *Server) verifyV1(rq *request, ak, secret, date, sig string) error {
	h := rq.r.Header
	toSign := rq.r.Method + "\n" + h.Get("Content-MD5") + "\n" + h.Get("Content-Type") +
		"\n" + date + "\n" + canonicalHeadersV1(h) + canonicalResourceV1(rq)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(toSign))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		e := newError("SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided.")
		e.stringToSign = toSign
		return e
	}
	rq.ak = ak
	return nil
}

// canonicalHeadersV1 lists the x-oss-* headers, lower-cased and sorted.
func canonicalHeadersV1(h http.Header) string {
	var keys []string
	vals := map[string]string{}
	for k, v := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-oss-") && len(v) > 0 {
			keys = append(keys, lk)
			vals[lk] = v[0]
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + ":" + vals[k] + "\n")
	}
	return b.String()
}

// canonicalResourceV1 is /bucket/key plus the signed sub-resources, raw.
func canonicalResourceV1(rq *request) string {
	var keys []string
	for k := range rq.query {
		if signedParams[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	res := "/" + rq.bucket.name + "/" + rq.key
	for i, k := range keys {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		res += sep + k
		if v := rq.query.Get(k); v != "" {
			res += "=" + v
		}
	}
	return res
}

// v4Scope is the parsed credential of a V4 signature.
type v4Scope struct {
	ak, day, region string
}

func parseCredential(cred string) (v4Scope, error) {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[3] != "oss" || parts[4] != v4Terminator {
		return v4Scope{}, errInvalidArgument("Credential %q is malformed.", cred)
	}
	return v4Scope{ak: parts[0], day: parts[1], region: parts[2]}, nil
}

func (s *Server) authV4Header(rq *request, params string) error {
	fields := map[string]string{}
	for _, f := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	scope, err := parseCredential(fields["Credential"])
	if err != nil {
		return err
	}
	stamp, t, err := v4HeaderTime(rq.r.Header)
	if err != nil {
		return err
	}
	if err := checkSkew(rq.now, t); err != nil {
		return err
	}
	canon := canonicalRequestV4(rq, fields["AdditionalHeaders"], false)
	return s.verifyV4(rq, scope, stamp, t, canon, fields["Signature"])
}

// v4HeaderTime returns the timestamp a V4 header signature uses: x-oss-date
// when present, else the raw Date header (a quirk of SDK v3.0.2).
func v4HeaderTime(h http.Header) (string, time.Time, error) {
	if d := h.Get("x-oss-date"); d != "" {
		t, err := time.Parse(v4TimeFormat, d)
		if err != nil {
			return "", time.Time{}, errInvalidArgument("x-oss-date %q is malformed.", d)
		}
		return d, t, nil
	}
	d := h.Get("Date")
	t, err := http.ParseTime(d)
	if err != nil {
		return "", time.Time{}, newError("AccessDenied",
			"OSS authentication requires a valid Date.")
	}
	return d, t, nil
}

func (s *Server) authV4Query(rq *request) error {
	q := rq.query
	scope, err := parseCredential(q.Get("x-oss-credential"))
	if err != nil {
		return err
	}
	stamp := q.Get("x-oss-date")
	t, err := time.Parse(v4TimeFormat, stamp)
	if err != nil {
		return errInvalidArgument("x-oss-date %q is malformed.", stamp)
	}
	expires, err := strconv.Atoi(q.Get("x-oss-expires"))
	if err != nil || expires <= 0 || expires > maxPresignV4 {
		return errInvalidArgument("x-oss-expires must be between 1 and %d seconds.", maxPresignV4)
	}
	if t.Sub(rq.now) > maxSkew {
		return newError("RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.")
	}
	if rq.now.After(t.Add(time.Duration(expires) * time.Second)) {
		return newError("AccessDenied", "Request has expired.")
	}
	canon := canonicalRequestV4(rq, q.Get("x-oss-additional-headers"), true)
	return s.verifyV4(rq, scope, stamp, t, canon, q.Get("x-oss-signature"))
}

// verifyV4 checks a V4 signature over canon made at stamp (parsed: t).
func (s *Server) verifyV4(rq *request, sc v4Scope, stamp string, t time.Time,
	canon, sig string) error {
	secret, err := s.secret(sc.ak)
	if err != nil {
		return err
	}
	if sc.region != s.region {
		return errInvalidArgument("Credential region %q does not match %q.", sc.region, s.region)
	}
	if sc.day != t.UTC().Format(v4DayFormat) {
		return errInvalidArgument("Credential date %q does not match the request time.", sc.day)
	}
	sum := sha256.Sum256([]byte(canon))
	toSign := v4Algorithm + "\n" + stamp + "\n" + sc.day + "/" + sc.region + "/oss/" +
		v4Terminator + "\n" + hex.EncodeToString(sum[:])
	want := hex.EncodeToString(hmacSHA256(v4SigningKey(secret, sc.day, sc.region), toSign))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		e := newError("SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided.")
		e.stringToSign, e.canonicalRequest = toSign, canon
		return e
	}
	rq.ak = sc.ak
	return nil
}

func hmacSHA256(key []byte, msg string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}

// v4SigningKey derives the V4 signing key for one day and region.
func v4SigningKey(secret, day, region string) []byte {
	k := hmacSHA256([]byte("aliyun_v4"+secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, "oss")
	return hmacSHA256(k, v4Terminator)
}

// canonicalRequestV4 builds the V4 canonical request of rq. additional is
// the ;-separated list of extra signed headers. A presigned request leaves
// its own signature out of the canonical query.
func canonicalRequestV4(rq *request, additional string, presigned bool) string {
	var extra []string
	if additional != "" {
		extra = strings.Split(strings.ToLower(additional), ";")
		sort.Strings(extra)
	}
	uri := "/" + rq.bucket.name + "/" + escapeV4Path(rq.key)
	// TODO(#4): a hex x-oss-content-sha256 is signed but the body is not
	// checked against it.
	payload := rq.r.Header.Get("x-oss-content-sha256")
	if payload == "" {
		payload = unsignedBody
	}
	return rq.r.Method + "\n" + uri + "\n" + canonicalQueryV4(rq.query, presigned) + "\n" +
		canonicalHeadersV4(rq.r, extra) + "\n" + strings.Join(extra, ";") + "\n" + payload
}

// escapeQuery is url.QueryEscape with spaces as %20, as the SDK sends them.
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func escapeV4Path(key string) string {
	return strings.ReplaceAll(escapeQuery(key), "%2F", "/")
}

func canonicalQueryV4(q url.Values, presigned bool) string {
	enc := map[string]string{}
	var keys []string
	for k := range q {
		if presigned && k == "x-oss-signature" {
			continue
		}
		ek := url.QueryEscape(k)
		keys = append(keys, ek)
		enc[ek] = q.Get(k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k
		if v := enc[k]; v != "" {
			parts[i] += "=" + escapeQuery(v)
		}
	}
	return strings.Join(parts, "&")
}

// canonicalHeadersV4 lists content-type, content-md5, every x-oss-* header
// and the extra headers, lower-cased, trimmed and sorted.
func canonicalHeadersV4(r *http.Request, extra []string) string {
	vals := map[string]string{}
	for k, v := range r.Header {
		lk := strings.ToLower(k)
		if lk == "content-type" || lk == "content-md5" || strings.HasPrefix(lk, "x-oss-") {
			vals[lk] = strings.TrimSpace(v[0])
		}
	}
	for _, k := range extra {
		if k == "host" {
			vals[k] = r.Host
		} else if v := r.Header.Get(k); v != "" {
			vals[k] = strings.TrimSpace(v)
		}
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + ":" + vals[k] + "\n")
	}
	return b.String()
}

// parseRequestTime parses a Date or x-oss-date header value.
func parseRequestTime(s string) (time.Time, error) {
	if t, err := time.Parse(v4TimeFormat, s); err == nil {
		return t, nil
	}
	return http.ParseTime(s)
}
