package runtime

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// LambdaHTTPEvent is the AWS payload format 2.0 shared by API Gateway HTTP
// APIs and Lambda Function URLs. Header keys are lower-case and repeated
// headers are comma-joined; cookies come separately; RawQueryString is the
// query exactly as sent.
type LambdaHTTPEvent struct {
	Version               string               `json:"version"`
	RouteKey              string               `json:"routeKey,omitempty"`
	RawPath               string               `json:"rawPath"`
	RawQueryString        string               `json:"rawQueryString"`
	Cookies               []string             `json:"cookies,omitempty"`
	Headers               map[string]string    `json:"headers"`
	QueryStringParameters map[string]string    `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string    `json:"pathParameters,omitempty"`
	StageVariables        map[string]string    `json:"stageVariables,omitempty"`
	RequestContext        LambdaRequestContext `json:"requestContext"`
	Body                  string               `json:"body,omitempty"`
	IsBase64Encoded       bool                 `json:"isBase64Encoded"`
}

// LambdaRequestContext is the requestContext object of a LambdaHTTPEvent.
// Authorizer and Authentication are kept as raw JSON.
type LambdaRequestContext struct {
	AccountID      string          `json:"accountId"`
	APIID          string          `json:"apiId"`
	Authentication json.RawMessage `json:"authentication,omitempty"`
	Authorizer     json.RawMessage `json:"authorizer,omitempty"`
	DomainName     string          `json:"domainName"`
	DomainPrefix   string          `json:"domainPrefix"`
	HTTP           HTTPDetail      `json:"http"`
	RequestID      string          `json:"requestId"`
	RouteKey       string          `json:"routeKey,omitempty"`
	Stage          string          `json:"stage,omitempty"`
	Time           string          `json:"time"`
	TimeEpoch      int64           `json:"timeEpoch"`
}

// LambdaHTTPResponse is the payload format 2.0 response. Set-Cookie values
// go to Cookies; other repeated headers are joined with ",".
type LambdaHTTPResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Cookies         []string          `json:"cookies,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// Request converts ev into an *http.Request carrying ctx. The cookies
// array becomes one Cookie header joined with "; ".
func (ev LambdaHTTPEvent) Request(ctx context.Context) (*http.Request, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	hdr := make(http.Header, len(ev.Headers)+1)
	for k, v := range ev.Headers {
		hdr.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		hdr.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	rawQuery := ev.RawQueryString
	if rawQuery == "" && len(ev.QueryStringParameters) > 0 {
		q := make(url.Values, len(ev.QueryStringParameters))
		for k, v := range ev.QueryStringParameters {
			q.Set(k, v)
		}
		rawQuery = q.Encode()
	}
	rc := ev.RequestContext
	return buildRequest(ctx, requestParts{
		method: rc.HTTP.Method, rawPath: ev.RawPath, path: rc.HTTP.Path,
		rawQuery: rawQuery, header: hdr, body: body, proto: rc.HTTP.Protocol,
		sourceIP: rc.HTTP.SourceIP, domain: rc.DomainName,
	})
}

// NewLambdaHTTPEvent converts r into a payload format 2.0 event, as a
// Function URL would. body is r's body, read by the caller.
func NewLambdaHTTPEvent(r *http.Request, body []byte) LambdaHTTPEvent {
	ev := LambdaHTTPEvent{
		Version: "2.0", RouteKey: "$default", RawPath: r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        lowerHeader(r.Header, ",", "Cookie"),
	}
	if r.Host != "" {
		ev.Headers["host"] = r.Host
	}
	for _, c := range r.Cookies() {
		ev.Cookies = append(ev.Cookies, c.String())
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	ev.Body, ev.IsBase64Encoded = encodeRequestBody(body, r.Header.Get("Content-Type"))
	ev.RequestContext = LambdaRequestContext{
		DomainName: r.Host, RouteKey: "$default", Stage: "$default",
		HTTP: HTTPDetail{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto,
			SourceIP: hostOnly(r.RemoteAddr), UserAgent: r.UserAgent()},
	}
	return ev
}

// lambdaResponse converts a finished recorder into a 2.0 response.
func lambdaResponse(rec *recorder) LambdaHTTPResponse {
	body, b64 := rec.encodedBody()
	resp := LambdaHTTPResponse{
		StatusCode: rec.status, Body: body, IsBase64Encoded: b64,
		Cookies: rec.header.Values("Set-Cookie"),
	}
	h := rec.header.Clone()
	h.Del("Set-Cookie")
	resp.Headers = joinHeader(h, "", ",")
	return resp
}

// RESTHTTPEvent is the API Gateway REST API proxy event (payload format 1.0).
// When both forms are present the multi-value maps win.
type RESTHTTPEvent struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  RESTRequestContext  `json:"requestContext"`
	Body                            string              `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

// RESTRequestContext holds the parts of a REST requestContext the runtime uses.
type RESTRequestContext struct {
	RequestID  string `json:"requestId"`
	DomainName string `json:"domainName"`
	Protocol   string `json:"protocol"`
	Identity   struct {
		SourceIP  string `json:"sourceIp"`
		UserAgent string `json:"userAgent"`
	} `json:"identity"`
}

// RESTHTTPResponse is the REST proxy response; every header goes in
// MultiValueHeaders, so repeated values (Set-Cookie included) survive.
type RESTHTTPResponse struct {
	StatusCode        int                 `json:"statusCode"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// Request converts ev into an *http.Request carrying ctx.
func (ev RESTHTTPEvent) Request(ctx context.Context) (*http.Request, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	hdr := make(http.Header, len(ev.Headers))
	for k, v := range ev.Headers {
		hdr.Set(k, v)
	}
	for k, vs := range ev.MultiValueHeaders {
		hdr[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	q := make(url.Values)
	for k, v := range ev.QueryStringParameters {
		q.Set(k, v)
	}
	for k, vs := range ev.MultiValueQueryStringParameters {
		q[k] = append([]string(nil), vs...)
	}
	rc := ev.RequestContext
	return buildRequest(ctx, requestParts{
		method: ev.HTTPMethod, path: ev.Path, rawQuery: q.Encode(), header: hdr,
		body: body, proto: rc.Protocol, sourceIP: rc.Identity.SourceIP, domain: rc.DomainName,
	})
}

// restResponse converts a finished recorder into a REST proxy response.
func restResponse(rec *recorder) RESTHTTPResponse {
	body, b64 := rec.encodedBody()
	var mv map[string][]string
	if len(rec.header) > 0 {
		mv = rec.header.Clone()
	}
	return RESTHTTPResponse{
		StatusCode: rec.status, MultiValueHeaders: mv, Body: body, IsBase64Encoded: b64,
	}
}

// HTTPResponse returns the status (200 when unset), header and decoded
// body a harness should answer the client with; Cookies become Set-Cookie
// headers. A body that claims base64 but is not yields an error wrapping
// ErrMalformedEvent.
func (resp LambdaHTTPResponse) HTTPResponse() (status int, header http.Header, body []byte,
	err error) {
	fc := FCHTTPResponse{StatusCode: resp.StatusCode, Headers: resp.Headers,
		IsBase64Encoded: resp.IsBase64Encoded, Body: resp.Body}
	status, header, body, err = fc.HTTPResponse()
	if err != nil {
		return 0, nil, nil, err
	}
	for _, c := range resp.Cookies {
		header.Add("Set-Cookie", c)
	}
	return status, header, body, nil
}
