package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
)

// ossError is an error the emulator answers with: an OSS error code, its HTTP
// status and the XML body fields the SDK decodes into oss.ServiceError.
type ossError struct {
	status  int
	code    string
	message string
	ec      string

	// Debugging aids that real OSS also returns for signature mismatches.
	stringToSign     string
	canonicalRequest string
}

// Error returns the OSS code and message.
func (e *ossError) Error() string {
	return fmt.Sprintf("ossemu: %s (%d): %s", e.code, e.status, e.message)
}

// errorKind holds the fixed part of an error code.
type errorKind struct {
	status int
	ec     string
}

// ecUnknown marks error codes whose real EC value the reference notes do not
// confirm. TODO(#4): fill in the real EC values once confirmed against OSS.
const ecUnknown = "0000-00000000"

var errorKinds = map[string]errorKind{
	"AccessDenied":                 {http.StatusForbidden, ecUnknown},
	"AccessForbidden":              {http.StatusForbidden, ecUnknown},
	"BadRequest":                   {http.StatusBadRequest, ecUnknown},
	"EntityTooLarge":               {http.StatusBadRequest, ecUnknown},
	"EntityTooSmall":               {http.StatusBadRequest, ecUnknown},
	"FileAlreadyExists":            {http.StatusConflict, ecUnknown},
	"IncompleteBody":               {http.StatusBadRequest, ecUnknown},
	"InternalError":                {http.StatusInternalServerError, ecUnknown},
	"InvalidAccessKeyId":           {http.StatusForbidden, ecUnknown},
	"InvalidArgument":              {http.StatusBadRequest, ecUnknown},
	"InvalidDigest":                {http.StatusBadRequest, "0017-00000503"},
	"InvalidEncryptionAlgorithm":   {http.StatusBadRequest, ecUnknown},
	"InvalidObjectName":            {http.StatusBadRequest, ecUnknown},
	"InvalidPart":                  {http.StatusBadRequest, ecUnknown},
	"InvalidPartOrder":             {http.StatusBadRequest, ecUnknown},
	"InvalidPolicyDocument":        {http.StatusBadRequest, ecUnknown},
	"InvalidRange":                 {http.StatusRequestedRangeNotSatisfiable, ecUnknown},
	"InvalidTag":                   {http.StatusBadRequest, ecUnknown},
	"MalformedXML":                 {http.StatusBadRequest, ecUnknown},
	"MethodNotAllowed":             {http.StatusMethodNotAllowed, ecUnknown},
	"MissingContentLength":         {http.StatusLengthRequired, ecUnknown},
	"NoSuchBucket":                 {http.StatusNotFound, "0015-00000101"},
	"NoSuchKey":                    {http.StatusNotFound, "0026-00000001"},
	"NoSuchUpload":                 {http.StatusNotFound, ecUnknown},
	"NotImplemented":               {http.StatusNotImplemented, ecUnknown},
	"PreconditionFailed":           {http.StatusPreconditionFailed, ecUnknown},
	"RequestIsNotMultiPartContent": {http.StatusBadRequest, ecUnknown},
	"RequestTimeTooSkewed":         {http.StatusForbidden, ecUnknown},
	"ServiceUnavailable":           {http.StatusServiceUnavailable, ecUnknown},
	"SignatureDoesNotMatch":        {http.StatusForbidden, "0002-00000040"},
}

// newError returns the error for code with a formatted message. A code
// missing from errorKinds is a programming error and becomes InternalError.
func newError(code, format string, args ...any) *ossError {
	kind, ok := errorKinds[code]
	if !ok {
		code, kind = "InternalError", errorKinds["InternalError"]
	}
	return &ossError{
		status:  kind.status,
		code:    code,
		message: fmt.Sprintf(format, args...),
		ec:      kind.ec,
	}
}

// Common errors with fixed messages.
func errNoSuchKey() *ossError {
	return newError("NoSuchKey", "The specified key does not exist.")
}

func errNoSuchUpload() *ossError {
	return newError("NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, "+
			"or the upload may have been aborted or completed.")
}

func errInvalidArgument(format string, args ...any) *ossError {
	return newError("InvalidArgument", format, args...)
}

func errMalformedXML() *ossError {
	return newError("MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published "+
			"schema.")
}

func errFileExists() *ossError {
	return newError("FileAlreadyExists",
		"The object you specified already exists and can not be overwritten.")
}

// errorBody is the XML document of an error response.
type errorBody struct {
	XMLName          xml.Name `xml:"Error"`
	Code             string   `xml:"Code"`
	Message          string   `xml:"Message"`
	RequestID        string   `xml:"RequestId"`
	HostID           string   `xml:"HostId"`
	StringToSign     string   `xml:"StringToSign,omitempty"`
	CanonicalRequest string   `xml:"CanonicalRequest,omitempty"`
	EC               string   `xml:"EC"`
}

// writeError answers with e. HEAD responses carry no body, so the XML goes
// base64-encoded into x-oss-err, where the SDK looks for it.
func writeError(w http.ResponseWriter, r *http.Request, requestID string, e *ossError) {
	body, err := xml.Marshal(errorBody{
		Code:             e.code,
		Message:          e.message,
		RequestID:        requestID,
		HostID:           r.Host,
		StringToSign:     e.stringToSign,
		CanonicalRequest: e.canonicalRequest,
		EC:               e.ec,
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	doc := append([]byte(xml.Header), body...)
	h := w.Header()
	h.Set("x-oss-ec", e.ec)
	if r.Method == http.MethodHead {
		h.Set("x-oss-err", base64.StdEncoding.EncodeToString(doc))
		w.WriteHeader(e.status)
		return
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(doc)))
	w.WriteHeader(e.status)
	w.Write(doc)
}
