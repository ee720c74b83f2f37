package gateway

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// httpEvent is the FC3 HTTP trigger event (version "v1") delivered to built-in runtimes.
type httpEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryParameters"`
	RequestContext  requestContext    `json:"requestContext"`
}

type requestContext struct {
	AccountID    string   `json:"accountId"`
	DomainName   string   `json:"domainName"`
	DomainPrefix string   `json:"domainPrefix"`
	HTTP         httpInfo `json:"http"`
	RequestID    string   `json:"requestId"`
	Time         string   `json:"time"`
	TimeEpoch    string   `json:"timeEpoch"`
}

type httpInfo struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// httpResponse is the HTTPTriggerResponse a function returns.
type httpResponse struct {
	StatusCode      *int              `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

// eventMeta carries what the event needs beyond the request itself.
type eventMeta struct {
	requestID string
	accountID string
	domain    string
	now       time.Time
}

// newEvent converts r (whose body has been read into body) into the FC3 HTTP event.
// Header keys are canonical and repeated headers and query keys are joined with commas;
// a body that is not UTF-8 travels base64 with isBase64Encoded set.
func newEvent(r *http.Request, body []byte, m eventMeta) ([]byte, error) {
	ev := httpEvent{
		Version:         "v1",
		RawPath:         r.URL.EscapedPath(),
		Headers:         joinHeaders(r),
		QueryParameters: map[string]string{},
		RequestContext: requestContext{
			AccountID:    m.accountID,
			DomainName:   m.domain,
			DomainPrefix: strings.SplitN(m.domain, ".", 2)[0],
			HTTP: httpInfo{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP(r.RemoteAddr),
				UserAgent: r.UserAgent(),
			},
			RequestID: m.requestID,
			Time:      m.now.UTC().Format(time.RFC3339),
			TimeEpoch: strconv.FormatInt(m.now.UnixMilli(), 10),
		},
	}
	for k, vs := range r.URL.Query() {
		ev.QueryParameters[k] = strings.Join(vs, ",")
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	return json.Marshal(ev)
}

func joinHeaders(r *http.Request) map[string]string {
	h := make(map[string]string, len(r.Header)+1)
	for k, vs := range r.Header {
		h[http.CanonicalHeaderKey(k)] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		h["Host"] = r.Host
	}
	return h
}

func sourceIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

// decodeResponse maps a function result onto status, headers and body. A JSON object
// with statusCode is an HTTPTriggerResponse; anything else is sent as is with 200.
func decodeResponse(result []byte) (int, http.Header, []byte) {
	h := http.Header{}
	var resp httpResponse
	if err := json.Unmarshal(result, &resp); err != nil || resp.StatusCode == nil {
		if json.Valid(result) {
			h.Set("Content-Type", "application/json")
		}
		return http.StatusOK, h, result
	}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return http.StatusBadGateway, http.Header{}, nil
		}
		body = decoded
	}
	return *resp.StatusCode, h, body
}
