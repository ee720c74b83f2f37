// Package httpapitest builds and sends the JSON requests the API tests of
// the functions make.
package httpapitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Request returns a request of method to url. body is sent as JSON, a
// string as it is (for malformed bodies), nil not at all; token, when not
// empty, is sent as a bearer token, and header holds more name, value pairs.
func Request(t testing.TB, method, url string, body any, token string,
	header ...string) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// Do sends req with c (http.DefaultClient when nil) and returns the
// response, whose body is read and closed, and the body.
func Do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}
