package runtime

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// FCHTTPEvent is the Function Compute 3.0 HTTP trigger event (version "v1")
// delivered to built-in runtimes. Repeated headers and query keys arrive
// joined with commas; header keys are canonicalised; RawPath is URL-encoded
// while RequestContext.HTTP.Path is decoded; TimeEpoch is a string.
type FCHTTPEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryParameters"`
	RequestContext  FCRequestContext  `json:"requestContext"`
}

// FCRequestContext is the requestContext object of an FCHTTPEvent.
type FCRequestContext struct {
	AccountID    string     `json:"accountId"`
	DomainName   string     `json:"domainName"`
	DomainPrefix string     `json:"domainPrefix"`
	HTTP         HTTPDetail `json:"http"`
	RequestID    string     `json:"requestId"`
	Time         string     `json:"time"`
	TimeEpoch    string     `json:"timeEpoch"`
	TriggerID    string     `json:"triggerId,omitempty"`
}

// HTTPDetail is the requestContext.http object shared by the FC v1 and the
// Lambda 2.0 HTTP events.
type HTTPDetail struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// FCHTTPResponse is what an FC function returns for an HTTP trigger event.
// Headers hold one string per name: repeated values are joined with ", ".
//
// TODO(#2): several Set-Cookie values are joined with ", " too, which a
// browser cannot split reliably (Expires contains a comma); until FC's rule
// for repeated response headers is known, send one cookie per response.
type FCHTTPResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

// Request converts ev into an *http.Request carrying ctx. Comma-joined
// query values are kept as one value, because FC cannot tell "a,b" sent once
// from "a" and "b" sent twice; handlers that accept repeated keys should also
// split on commas.
func (ev FCHTTPEvent) Request(ctx context.Context) (*http.Request, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	q := make(url.Values, len(ev.QueryParameters))
	for k, v := range ev.QueryParameters {
		q.Set(k, v)
	}
	hdr := make(http.Header, len(ev.Headers))
	for k, v := range ev.Headers {
		hdr.Set(k, v)
	}
	rc := ev.RequestContext
	return buildRequest(ctx, requestParts{
		method: rc.HTTP.Method, rawPath: ev.RawPath, path: rc.HTTP.Path,
		rawQuery: q.Encode(), header: hdr, body: body, proto: rc.HTTP.Protocol,
		sourceIP: rc.HTTP.SourceIP, domain: rc.DomainName,
	})
}

// NewFCHTTPEvent converts r into an FC HTTP trigger event, joining repeated
// headers and query values with commas as FC does. body is r's body, read
// by the caller. It is the inverse of FCHTTPEvent.Request, for harnesses.
func NewFCHTTPEvent(r *http.Request, body []byte) FCHTTPEvent {
	ev := FCHTTPEvent{
		Version: "v1", RawPath: r.URL.EscapedPath(),
		Headers:         joinHeader(r.Header, r.Host, ","),
		QueryParameters: make(map[string]string),
	}
	for k, vs := range r.URL.Query() {
		ev.QueryParameters[k] = strings.Join(vs, ",")
	}
	ev.Body, ev.IsBase64Encoded = encodeRequestBody(body, r.Header.Get("Content-Type"))
	ev.RequestContext = FCRequestContext{
		DomainName: r.Host,
		HTTP: HTTPDetail{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto,
			SourceIP: hostOnly(r.RemoteAddr), UserAgent: r.UserAgent()},
	}
	return ev
}

// fcResponse converts a finished recorder into an FC HTTP response.
func fcResponse(rec *recorder) FCHTTPResponse {
	body, b64 := rec.encodedBody()
	return FCHTTPResponse{
		StatusCode: rec.status, Headers: joinHeader(rec.header, "", ", "),
		IsBase64Encoded: b64, Body: body,
	}
}

// HTTPResponse returns the status (200 when unset), header and decoded
// body a harness should answer the client with. A body that claims base64
// but is not yields an error wrapping ErrMalformedEvent.
func (resp FCHTTPResponse) HTTPResponse() (status int, header http.Header, body []byte, err error) {
	body, err = decodeBody(resp.Body, resp.IsBase64Encoded)
	if err != nil {
		return 0, nil, nil, err
	}
	header = make(http.Header, len(resp.Headers))
	for k, v := range resp.Headers {
		header.Set(k, v)
	}
	status = resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	return status, header, body, nil
}
