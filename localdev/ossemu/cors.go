package ossemu

import (
	"net/http"
	"strings"
)

// The emulator answers CORS with one permissive rule: any origin, the
// object methods, any request header, and the headers a browser upload
// needs to read exposed.
const (
	corsMethods = "GET, PUT, POST, DELETE, HEAD"
	corsExposed = "ETag, Content-Length, Content-Type, Content-MD5, x-oss-request-id, " +
		"x-oss-hash-crc64ecma, x-oss-object-type, x-oss-version-id"
	corsMaxAge = "600"
)

var corsAllowed = setOf("GET", "PUT", "POST", "DELETE", "HEAD")

// setCORSHeaders marks a response to a cross-origin request readable.
func setCORSHeaders(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", corsExposed)
	h.Add("Vary", "Origin")
}

// preflight answers a CORS preflight (OPTIONS) request, which carries no
// signature.
func preflight(rq *request) error {
	h := rq.r.Header
	if h.Get("Origin") == "" {
		return newError("BadRequest", "Insufficient information. Origin request header needed.")
	}
	method := strings.ToUpper(strings.TrimSpace(h.Get("Access-Control-Request-Method")))
	if method == "" {
		return newError("BadRequest",
			"Insufficient information. Access-Control-Request-Method header needed.")
	}
	if !corsAllowed[method] {
		return newError("AccessForbidden", "CORSResponse: This CORS request is not allowed.")
	}
	out := rq.w.Header()
	out.Set("Access-Control-Allow-Methods", corsMethods)
	if req := h.Get("Access-Control-Request-Headers"); req != "" {
		out.Set("Access-Control-Allow-Headers", req)
	}
	out.Set("Access-Control-Max-Age", corsMaxAge)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}
