package ossemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	maxFormField = 64 << 10
	maxFormTotal = 1 << 20
	maxPostAge   = 7 * 24 * time.Hour
)

// isPostObject reports whether rq is a browser form upload: a POST to the
// bucket itself that is not a DeleteMultipleObjects.
func isPostObject(rq *request) bool {
	return rq.r.Method == http.MethodPost && rq.key == "" && !rq.query.Has("delete")
}

// postForm is a PostObject form read up to its file field.
type postForm struct {
	fields   map[string]string // by lower-cased field name
	file     io.Reader
	filename string
	fileType string
}

func (f *postForm) get(name string) string { return f.fields[name] }

func (s *Server) postObject(rq *request) error {
	form, err := readForm(rq.r)
	if err != nil {
		return err
	}
	if err := s.authPost(rq, form); err != nil {
		return err
	}
	pol, err := parsePolicy(form.get("policy"))
	if err != nil {
		return err
	}
	if form.get("key") == "" {
		return errInvalidArgument("The key form field is required.")
	}
	key := strings.ReplaceAll(form.get("key"), "${filename}", form.filename)
	if err := checkKey(key); err != nil {
		return err
	}
	if err := pol.check(rq.now, rq.bucket.name, key, form.fields); err != nil {
		return err
	}
	m, err := s.storePost(rq, key, form, pol)
	if err != nil {
		return err
	}
	s.emit(rq, "ObjectCreated:PostObject", m)
	return answerPost(rq, m, form.get("success_action_status"))
}

// storePost streams the file of a checked form into the object key.
func (s *Server) storePost(rq *request, key string, form *postForm, pol *policy) (
	*objectMeta, error) {
	forbid := forbidOverwrite(form.get("x-oss-forbid-overwrite"))
	if _, exists := rq.bucket.lookup(key); exists && forbid {
		return nil, errFileExists()
	}
	m, err := metaFromForm(key, form)
	if err != nil {
		return nil, err
	}
	st, err := rq.bucket.stage(form.file, min(pol.maxSize, s.maxSize))
	switch {
	case errors.Is(err, errTooLarge):
		return nil, errEntityTooLarge()
	case err != nil:
		return nil, newError("IncompleteBody", "The file could not be read: %v", err)
	}
	if st.size < pol.minSize {
		rq.bucket.discard(st.id)
		return nil, newError("EntityTooSmall",
			"Your proposed upload is smaller than the minimum allowed size.")
	}
	fillNormal(m, st, rq.now)
	if _, err := rq.bucket.commit(m, forbid); err != nil {
		rq.bucket.discard(st.id)
		return nil, err
	}
	return m, nil
}

// readForm reads the form fields up to the file field, which must be last:
// fields after it are never read.
func readForm(r *http.Request) (*postForm, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, newError("RequestIsNotMultiPartContent",
			"Bucket POST must be of the enclosure-type multipart/form-data.")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errBadForm(err)
	}
	f := &postForm{fields: map[string]string{}}
	total := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errInvalidArgument("The file form field is missing; it must be the last " +
				"field.")
		}
		if err != nil {
			return nil, errBadForm(err)
		}
		name := strings.ToLower(p.FormName())
		if name == "file" {
			f.file, f.filename, f.fileType = p, p.FileName(), p.Header.Get("Content-Type")
			return f, nil
		}
		data, err := io.ReadAll(io.LimitReader(p, maxFormField+1))
		if err != nil {
			return nil, errInvalidArgument("The form field %q could not be read: %v", name, err)
		}
		total += len(data)
		if len(data) > maxFormField || total > maxFormTotal {
			return nil, errInvalidArgument("The form field %q is too large.", name)
		}
		if _, dup := f.fields[name]; !dup {
			f.fields[name] = string(data)
		}
	}
}

func errBadForm(err error) error {
	return errInvalidArgument("The body of the POST request is not valid multipart/form-data: %v",
		err)
}

// authPost checks the signature of a form's policy, V1 or V4.
func (s *Server) authPost(rq *request, f *postForm) error {
	v4 := f.get("x-oss-signature-version")
	ak := f.get("ossaccesskeyid")
	if v4 == "" && ak == "" {
		return newError("AccessDenied", "Anonymous access is forbidden for this operation.")
	}
	if f.get("policy") == "" {
		return errInvalidArgument("The policy form field is required when the request is signed.")
	}
	if v4 != "" {
		return s.authPostV4(rq, f)
	}
	secret, err := s.secret(ak)
	if err != nil {
		return err
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(f.get("policy")))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(f.get("signature"))) {
		return errPostSignature(f.get("policy"))
	}
	rq.ak = ak
	return nil
}

func errPostSignature(policy string) error {
	e := newError("SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided.")
	e.stringToSign = policy
	return e
}

func (s *Server) authPostV4(rq *request, f *postForm) error {
	if v := f.get("x-oss-signature-version"); v != v4Algorithm {
		return errInvalidArgument("x-oss-signature-version %q is not supported.", v)
	}
	scope, err := parseCredential(f.get("x-oss-credential"))
	if err != nil {
		return err
	}
	t, err := time.Parse(v4TimeFormat, f.get("x-oss-date"))
	if err != nil {
		return errInvalidArgument("x-oss-date %q is malformed.", f.get("x-oss-date"))
	}
	switch {
	case t.Sub(rq.now) > maxSkew:
		return newError("RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.")
	case rq.now.Sub(t) > maxPostAge:
		return newError("AccessDenied", "Request has expired.")
	}
	secret, err := s.secret(scope.ak)
	if err != nil {
		return err
	}
	if scope.region != s.region {
		return errInvalidArgument("Credential region %q does not match %q.", scope.region, s.region)
	}
	if scope.day != t.UTC().Format(v4DayFormat) {
		return errInvalidArgument("Credential date %q does not match x-oss-date.", scope.day)
	}
	key := v4SigningKey(secret, scope.day, scope.region)
	want := hex.EncodeToString(hmacSHA256(key, f.get("policy")))
	if !hmac.Equal([]byte(want), []byte(f.get("x-oss-signature"))) {
		return errPostSignature(f.get("policy"))
	}
	rq.ak = scope.ak
	return nil
}

// policy is a decoded PostObject policy document.
type policy struct {
	expiration time.Time
	conds      []condition
	minSize    int64
	maxSize    int64
}

// condition is one policy condition: op is eq, starts-with, in or not-in.
type condition struct {
	op     string
	field  string // lower-cased, without "$"
	values []string
	raw    string
}

func errPolicy(format string, args ...any) error {
	return newError("InvalidPolicyDocument", format, args...)
}

// parsePolicy decodes a base64 policy document.
func parsePolicy(b64 string) (*policy, error) {
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errPolicy("The policy is not valid base64.")
	}
	var doc struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errPolicy("The policy is not valid JSON: %v", err)
	}
	exp, err := time.Parse(time.RFC3339Nano, doc.Expiration)
	if err != nil {
		return nil, errPolicy("The policy expiration %q is not an ISO 8601 UTC time.",
			doc.Expiration)
	}
	if len(doc.Conditions) == 0 {
		return nil, errPolicy("The policy must have conditions.")
	}
	p := &policy{expiration: exp, maxSize: math.MaxInt64}
	for _, raw := range doc.Conditions {
		if err := p.add(raw); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// add parses one condition: {"field": "value"} or [op, "$field", value].
func (p *policy) add(raw json.RawMessage) error {
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil {
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				return errPolicy("Condition %s must have a string value.", raw)
			}
			p.conds = append(p.conds, condition{"eq", strings.ToLower(k), []string{s}, string(raw)})
		}
		return nil
	}
	var arr []any
	if json.Unmarshal(raw, &arr) != nil || len(arr) != 3 {
		return errPolicy("Condition %s is not valid.", raw)
	}
	op, _ := arr[0].(string)
	op = strings.ToLower(op)
	if op == "content-length-range" {
		lo, okLo := policyInt(arr[1])
		hi, okHi := policyInt(arr[2])
		if !okLo || !okHi || lo < 0 || hi < lo {
			return errPolicy("Condition %s has an invalid range.", raw)
		}
		p.minSize, p.maxSize = lo, hi
		return nil
	}
	field, _ := arr[1].(string)
	if !strings.HasPrefix(field, "$") {
		return errPolicy("Condition %s must name a $field.", raw)
	}
	values, err := conditionValues(op, arr[2], raw)
	if err != nil {
		return err
	}
	p.conds = append(p.conds, condition{op, strings.ToLower(field[1:]), values, string(raw)})
	return nil
}

func conditionValues(op string, v any, raw json.RawMessage) ([]string, error) {
	switch op {
	case "eq", "starts-with":
		if s, ok := v.(string); ok {
			return []string{s}, nil
		}
	case "in", "not-in":
		list, ok := v.([]any)
		if !ok {
			break
		}
		values := make([]string, len(list))
		for i, e := range list {
			if values[i], ok = e.(string); !ok {
				return nil, errPolicy("Condition %s must list strings.", raw)
			}
		}
		return values, nil
	default:
		return nil, errPolicy("Condition %s has an unknown operator.", raw)
	}
	return nil, errPolicy("Condition %s has a value of the wrong type.", raw)
}

// policyInt reads a size bound, a JSON number or a decimal string.
func policyInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), n == math.Trunc(n)
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// check applies the expiration and every field condition; the size range
// is checked while the file streams.
func (p *policy) check(now time.Time, bucket, key string, fields map[string]string) error {
	if !now.Before(p.expiration) {
		return newError("AccessDenied", "Invalid according to Policy: Policy expired.")
	}
	for _, c := range p.conds {
		v := fields[c.field]
		switch c.field {
		case "bucket":
			v = bucket
		case "key":
			v = key
		}
		if !c.holds(v) {
			return newError("AccessDenied",
				"Invalid according to Policy: Policy Condition failed: %s", c.raw)
		}
	}
	return nil
}

func (c condition) holds(v string) bool {
	switch c.op {
	case "eq":
		return v == c.values[0]
	case "starts-with":
		return strings.HasPrefix(v, c.values[0])
	case "in", "not-in":
		found := false
		for _, allowed := range c.values {
			found = found || strings.EqualFold(v, allowed)
		}
		return found == (c.op == "in")
	}
	return false
}

// metaFromForm starts the metadata of a posted object from its form.
func metaFromForm(key string, f *postForm) (*objectMeta, error) {
	h := http.Header{}
	for name, v := range f.fields {
		h.Set(name, v)
	}
	if h.Get("Content-Type") == "" && f.fileType != "" {
		h.Set("Content-Type", f.fileType)
	}
	h.Del("x-oss-tagging")
	return metaFromHeaders(key, h)
}

// postResponse is the body of a PostObject answered with status 201.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Bucket   string   `xml:"Bucket"`
	Location string   `xml:"Location"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// answerPost answers a stored form upload with the status it asked for:
// 200 or 201 (with an XML body), else 204.
// TODO(#4): success_action_redirect is not supported.
func answerPost(rq *request, m *objectMeta, status string) error {
	h := rq.w.Header()
	writeWriteResult(h, m)
	switch status {
	case "200":
		rq.w.WriteHeader(http.StatusOK)
	case "201":
		loc := fmt.Sprintf("http://%s/%s/%s", rq.r.Host, rq.bucket.name, escapeV4Path(m.Key))
		h.Set("Location", loc)
		return writeXML(rq.w, http.StatusCreated, postResponse{
			Bucket: rq.bucket.name, Location: loc, Key: m.Key, ETag: quoteETag(m.ETag),
		})
	default:
		rq.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}
