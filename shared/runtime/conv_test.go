package runtime

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reqView is what conversion tests compare about an *http.Request.
type reqView struct {
	Method, Path, EscapedPath, RawQuery, Host, Proto, RemoteAddr string
	Query                                                        map[string][]string
	Header                                                       http.Header
	Cookies                                                      []string
	Body                                                         string
	ContentLength                                                int64
}

func viewRequest(t *testing.T, r *http.Request) reqView {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	v := reqView{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery, Host: r.Host, Proto: r.Proto, RemoteAddr: r.RemoteAddr,
		Query: r.URL.Query(), Header: r.Header, Body: string(b), ContentLength: r.ContentLength,
	}
	for _, c := range r.Cookies() {
		v.Cookies = append(v.Cookies, c.Name+"="+c.Value)
	}
	return v
}

func fcEvent(method, rawPath, path string) FCHTTPEvent {
	return FCHTTPEvent{
		Version: "v1", RawPath: rawPath,
		RequestContext: FCRequestContext{
			DomainName: "t.cn-hangzhou.fcapp.run",
			HTTP: HTTPDetail{Method: method, Path: path, Protocol: "HTTP/1.1",
				SourceIP: "10.0.0.7"},
		},
	}
}

func TestFCHTTPEventRequest(t *testing.T) {
	binary := []byte{0xff, 0x00, 0x10, 0x80}
	base := reqView{
		Method: "GET", Path: "/", EscapedPath: "/", Host: "t.cn-hangzhou.fcapp.run",
		Proto: "HTTP/1.1", RemoteAddr: "10.0.0.7:0", Query: map[string][]string{},
		Header: http.Header{},
	}
	tests := []struct {
		name string
		ev   func() FCHTTPEvent
		want func(v *reqView)
	}{{
		name: "method and lower-case method",
		ev:   func() FCHTTPEvent { return fcEvent("delete", "/", "/") },
		want: func(v *reqView) { v.Method = "DELETE" },
	}, {
		name: "raw path keeps encoding, path is decoded",
		ev:   func() FCHTTPEvent { return fcEvent("GET", "/files/a%2Fb/c%20d", "/files/a/b/c d") },
		want: func(v *reqView) { v.Path, v.EscapedPath = "/files/a/b/c d", "/files/a%2Fb/c%20d" },
	}, {
		name: "decoded path only",
		ev:   func() FCHTTPEvent { return fcEvent("GET", "", "/x y") },
		want: func(v *reqView) { v.Path, v.EscapedPath = "/x y", "/x%20y" },
	}, {
		name: "comma-joined headers stay one value",
		ev: func() FCHTTPEvent {
			ev := fcEvent("GET", "/", "/")
			ev.Headers = map[string]string{"accept": "a/b,c/d", "X-Trace": "1",
				"Host": "api.example"}
			return ev
		},
		want: func(v *reqView) {
			v.Header = http.Header{"Accept": {"a/b,c/d"}, "X-Trace": {"1"}}
			v.Host = "api.example"
		},
	}, {
		name: "comma-joined query stays one value",
		ev: func() FCHTTPEvent {
			ev := fcEvent("GET", "/", "/")
			ev.QueryParameters = map[string]string{"tag": "a,b", "q": "x y&z"}
			return ev
		},
		want: func(v *reqView) {
			v.Query = map[string][]string{"tag": {"a,b"}, "q": {"x y&z"}}
			v.RawQuery = "q=x+y%26z&tag=a%2Cb"
		},
	}, {
		name: "cookies from the Cookie header",
		ev: func() FCHTTPEvent {
			ev := fcEvent("GET", "/", "/")
			ev.Headers = map[string]string{"Cookie": "sid=abc; theme=dark"}
			return ev
		},
		want: func(v *reqView) {
			v.Header = http.Header{"Cookie": {"sid=abc; theme=dark"}}
			v.Cookies = []string{"sid=abc", "theme=dark"}
		},
	}, {
		name: "text body",
		ev: func() FCHTTPEvent {
			ev := fcEvent("POST", "/", "/")
			ev.Body = `{"a":1}`
			return ev
		},
		want: func(v *reqView) { v.Method, v.Body, v.ContentLength = "POST", `{"a":1}`, 7 },
	}, {
		name: "base64 binary body",
		ev: func() FCHTTPEvent {
			ev := fcEvent("PUT", "/", "/")
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(binary), true
			return ev
		},
		want: func(v *reqView) { v.Method, v.Body, v.ContentLength = "PUT", string(binary), 4 },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.ev().Request(context.Background())
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			want := base
			want.Header = http.Header{}
			tt.want(&want)
			if diff := cmp.Diff(want, viewRequest(t, r)); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPEventRequestErrors(t *testing.T) {
	badB64 := fcEvent("POST", "/", "/")
	badB64.Body, badB64.IsBase64Encoded = "not base64!", true
	badPath := fcEvent("GET", "no-slash", "")
	lambdaB64 := LambdaHTTPEvent{Version: "2.0", RawPath: "/", Body: "%%%", IsBase64Encoded: true}
	tests := []struct {
		name string
		ev   httpEvent
	}{
		{"fc bad base64", badB64},
		{"fc relative path", badPath},
		{"lambda bad base64", lambdaB64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.ev.Request(context.Background())
			if !errorIs(err, ErrMalformedEvent) {
				t.Errorf("Request() error = %v, want ErrMalformedEvent", err)
			}
		})
	}
}

func TestLambdaHTTPEventRequest(t *testing.T) {
	ev := LambdaHTTPEvent{
		Version: "2.0", RawPath: "/v1/a%2Fb", RawQueryString: "id=1&id=2&q=x%20y",
		Cookies: []string{"sid=abc", "theme=dark"},
		Headers: map[string]string{"accept": "a/b,c/d", "host": "u.lambda-url.on.aws",
			"content-type": "application/octet-stream"},
		QueryStringParameters: map[string]string{"id": "1,2", "q": "x y"},
		Body:                  base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xfe}),
		IsBase64Encoded:       true,
		RequestContext: LambdaRequestContext{
			DomainName: "u.lambda-url.on.aws",
			HTTP: HTTPDetail{Method: "POST", Path: "/v1/a/b", Protocol: "HTTP/1.1",
				SourceIP: "2001:db8::1"},
		},
	}
	r, err := ev.Request(context.Background())
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	want := reqView{
		Method: "POST", Path: "/v1/a/b", EscapedPath: "/v1/a%2Fb",
		RawQuery: "id=1&id=2&q=x%20y", Host: "u.lambda-url.on.aws", Proto: "HTTP/1.1",
		RemoteAddr: "[2001:db8::1]:0",
		Query:      map[string][]string{"id": {"1", "2"}, "q": {"x y"}},
		Header: http.Header{"Accept": {"a/b,c/d"}, "Cookie": {"sid=abc; theme=dark"},
			"Content-Type": {"application/octet-stream"}},
		Cookies: []string{"sid=abc", "theme=dark"},
		Body:    string([]byte{0, 1, 2, 0xfe}), ContentLength: 4,
	}
	if diff := cmp.Diff(want, viewRequest(t, r)); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestLambdaHTTPEventRequestQueryFallback(t *testing.T) {
	ev := LambdaHTTPEvent{Version: "2.0", RawPath: "/",
		QueryStringParameters: map[string]string{"a": "1"}}
	r, err := ev.Request(context.Background())
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	if got := r.URL.RawQuery; got != "a=1" {
		t.Errorf("RawQuery = %q, want %q", got, "a=1")
	}
}

func TestRESTHTTPEventRequest(t *testing.T) {
	ev := RESTHTTPEvent{
		Path: "/orders/a b", HTTPMethod: "PATCH",
		Headers:                         map[string]string{"X-One": "1", "Accept": "ignored"},
		MultiValueHeaders:               map[string][]string{"accept": {"a/b", "c/d"}},
		QueryStringParameters:           map[string]string{"page": "2", "id": "9"},
		MultiValueQueryStringParameters: map[string][]string{"id": {"1", "2"}},
		Body:                            "hello",
	}
	ev.RequestContext.Identity.SourceIP = "192.0.2.1"
	ev.RequestContext.Protocol = "HTTP/1.1"
	r, err := ev.Request(context.Background())
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	want := reqView{
		Method: "PATCH", Path: "/orders/a b", EscapedPath: "/orders/a%20b",
		RawQuery: "id=1&id=2&page=2", Proto: "HTTP/1.1", RemoteAddr: "192.0.2.1:0",
		Query:  map[string][]string{"id": {"1", "2"}, "page": {"2"}},
		Header: http.Header{"X-One": {"1"}, "Accept": {"a/b", "c/d"}},
		Body:   "hello", ContentLength: 5,
	}
	if diff := cmp.Diff(want, viewRequest(t, r)); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

// respCase is one handler output and its expected conversions.
type respCase struct {
	name    string
	handler http.HandlerFunc
	fc      FCHTTPResponse
	lambda  LambdaHTTPResponse
	rest    RESTHTTPResponse
}

func responseCases() []respCase {
	png := []byte{0x89, 'P', 'N', 'G', 0, 0xff}
	latin1 := []byte("caf\xe9")
	return []respCase{{
		name: "status and no body",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		},
		fc:     FCHTTPResponse{StatusCode: 204},
		lambda: LambdaHTTPResponse{StatusCode: 204},
		rest:   RESTHTTPResponse{StatusCode: 204},
	}, {
		name: "text body with detected content type",
		handler: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hello")
		},
		fc: FCHTTPResponse{StatusCode: 200, Body: "hello",
			Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		lambda: LambdaHTTPResponse{StatusCode: 200, Body: "hello",
			Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		rest: RESTHTTPResponse{StatusCode: 200, Body: "hello",
			MultiValueHeaders: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}}},
	}, {
		name: "repeated headers and cookies",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", "Origin")
			w.Header().Add("Vary", "Accept")
			w.Header().Set("Content-Type", "application/json")
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
			http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", HttpOnly: true})
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"ok":true}`)
		},
		fc: FCHTTPResponse{StatusCode: 201, Body: `{"ok":true}`, Headers: map[string]string{
			"Vary": "Origin, Accept", "Content-Type": "application/json",
			"Set-Cookie": "a=1, b=2; HttpOnly"}},
		lambda: LambdaHTTPResponse{StatusCode: 201, Body: `{"ok":true}`,
			Headers: map[string]string{"Vary": "Origin,Accept",
				"Content-Type": "application/json"},
			Cookies: []string{"a=1", "b=2; HttpOnly"}},
		rest: RESTHTTPResponse{StatusCode: 201, Body: `{"ok":true}`,
			MultiValueHeaders: map[string][]string{"Vary": {"Origin", "Accept"},
				"Content-Type": {"application/json"}, "Set-Cookie": {"a=1", "b=2; HttpOnly"}}},
	}, {
		name: "binary content type is base64",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		},
		fc: FCHTTPResponse{StatusCode: 200, IsBase64Encoded: true,
			Body:    base64.StdEncoding.EncodeToString(png),
			Headers: map[string]string{"Content-Type": "image/png"}},
		lambda: LambdaHTTPResponse{StatusCode: 200, IsBase64Encoded: true,
			Body:    base64.StdEncoding.EncodeToString(png),
			Headers: map[string]string{"Content-Type": "image/png"}},
		rest: RESTHTTPResponse{StatusCode: 200, IsBase64Encoded: true,
			Body:              base64.StdEncoding.EncodeToString(png),
			MultiValueHeaders: map[string][]string{"Content-Type": {"image/png"}}},
	}, {
		name: "binary type with ascii bytes is still base64",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			io.WriteString(w, "abc")
		},
		fc: FCHTTPResponse{StatusCode: 200, IsBase64Encoded: true, Body: "YWJj",
			Headers: map[string]string{"Content-Type": "application/octet-stream"}},
		lambda: LambdaHTTPResponse{StatusCode: 200, IsBase64Encoded: true, Body: "YWJj",
			Headers: map[string]string{"Content-Type": "application/octet-stream"}},
		rest: RESTHTTPResponse{StatusCode: 200, IsBase64Encoded: true, Body: "YWJj",
			MultiValueHeaders: map[string][]string{"Content-Type": {"application/octet-stream"}}},
	}, {
		name: "text type with invalid utf-8 is base64",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			w.Write(latin1)
		},
		fc: FCHTTPResponse{StatusCode: 400, IsBase64Encoded: true,
			Body:    base64.StdEncoding.EncodeToString(latin1),
			Headers: map[string]string{"Content-Type": "text/plain"}},
		lambda: LambdaHTTPResponse{StatusCode: 400, IsBase64Encoded: true,
			Body:    base64.StdEncoding.EncodeToString(latin1),
			Headers: map[string]string{"Content-Type": "text/plain"}},
		rest: RESTHTTPResponse{StatusCode: 400, IsBase64Encoded: true,
			Body:              base64.StdEncoding.EncodeToString(latin1),
			MultiValueHeaders: map[string][]string{"Content-Type": {"text/plain"}}},
	}}
}

func TestHTTPResponseConversion(t *testing.T) {
	for _, tt := range responseCases() {
		t.Run(tt.name, func(t *testing.T) {
			f := Function{Name: "t", HTTP: tt.handler, Logger: discardLogger()}
			if diff := cmp.Diff(tt.fc, dispatchFC(t, f, fcEvent("GET", "/", "/"))); diff != "" {
				t.Errorf("FC response (-want +got):\n%s", diff)
			}
			lev := LambdaHTTPEvent{Version: "2.0", RawPath: "/",
				RequestContext: LambdaRequestContext{HTTP: HTTPDetail{Method: "GET"}}}
			if diff := cmp.Diff(tt.lambda, dispatchLambda(t, f, lev)); diff != "" {
				t.Errorf("Lambda response (-want +got):\n%s", diff)
			}
			rev := RESTHTTPEvent{HTTPMethod: "GET", Path: "/"}
			got, err := f.Dispatch(context.Background(), mustJSON(t, rev))
			if err != nil {
				t.Fatalf("Dispatch REST: %v", err)
			}
			if diff := cmp.Diff(tt.rest, got); diff != "" {
				t.Errorf("REST response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFCHTTPResponseHTTPResponse(t *testing.T) {
	resp := FCHTTPResponse{StatusCode: 0, IsBase64Encoded: true, Body: "AAH/",
		Headers: map[string]string{"content-type": "image/png"}}
	status, hdr, body, err := resp.HTTPResponse()
	if err != nil {
		t.Fatalf("HTTPResponse: %v", err)
	}
	if status != 200 || hdr.Get("Content-Type") != "image/png" ||
		string(body) != "\x00\x01\xff" {
		t.Errorf("HTTPResponse() = %d, %v, %q; want 200, image/png, \\x00\\x01\\xff",
			status, hdr, body)
	}
	resp.Body = "!"
	if _, _, _, err := resp.HTTPResponse(); !errorIs(err, ErrMalformedEvent) {
		t.Errorf("HTTPResponse(bad base64) error = %v, want ErrMalformedEvent", err)
	}
}

func TestLambdaHTTPResponseHTTPResponse(t *testing.T) {
	resp := LambdaHTTPResponse{StatusCode: 302, Headers: map[string]string{"location": "/x"},
		Cookies: []string{"a=1", "b=2; Path=/"}, Body: "moved"}
	status, hdr, body, err := resp.HTTPResponse()
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{"Location": {"/x"}, "Set-Cookie": {"a=1", "b=2; Path=/"}}
	if diff := cmp.Diff(want, hdr); diff != "" || status != 302 || string(body) != "moved" {
		t.Errorf("HTTPResponse() = %d %q, header (-want +got):\n%s", status, body, diff)
	}
	resp.IsBase64Encoded = true
	if _, _, _, err := resp.HTTPResponse(); !errorIs(err, ErrMalformedEvent) {
		t.Errorf("HTTPResponse(bad base64) error = %v, want ErrMalformedEvent", err)
	}
}
