package blob

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// sentinels maps OSS error codes onto the package's errors.
var sentinels = map[string]error{
	"NoSuchKey":                    ErrNotFound,
	"NoSuchBucket":                 ErrNotFound,
	"NoSuchUpload":                 ErrNotFound,
	"FileAlreadyExists":            ErrExists,
	"AccessDenied":                 ErrDenied,
	"AccessForbidden":              ErrDenied,
	"SignatureDoesNotMatch":        ErrDenied,
	"InvalidAccessKeyId":           ErrDenied,
	"RequestTimeTooSkewed":         ErrDenied,
	"SecurityTokenExpired":         ErrDenied,
	"InvalidSecurityToken":         ErrDenied,
	"EntityTooLarge":               ErrTooLarge,
	"EntityTooSmall":               ErrInvalid,
	"InvalidArgument":              ErrInvalid,
	"InvalidDigest":                ErrInvalid,
	"InvalidPart":                  ErrInvalid,
	"InvalidPartOrder":             ErrInvalid,
	"InvalidObjectName":            ErrInvalid,
	"InvalidPolicyDocument":        ErrInvalid,
	"InvalidTag":                   ErrInvalid,
	"MalformedXML":                 ErrInvalid,
	"MalformedPOSTRequest":         ErrInvalid,
	"IncompleteBody":               ErrInvalid,
	"InvalidRange":                 ErrInvalid,
	"RequestIsNotMultiPartContent": ErrInvalid,
}

// sentinelFor picks the sentinel of an OSS error by code, then by status.
func sentinelFor(code string, status int) error {
	if s, ok := sentinels[code]; ok {
		return s
	}
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrExists
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return ErrDenied
	case status == http.StatusRequestEntityTooLarge:
		return ErrTooLarge
	case status >= 400 && status < 500:
		return ErrInvalid
	}
	return nil
}

// wrap is the one place OSS errors become the package's: it names the
// operation and key and, for a service error, adds the matching sentinel
// while keeping the oss.ServiceError reachable with errors.As.
func wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var se oss.ServiceError
	if errors.As(err, &se) {
		if s := sentinelFor(se.Code, se.StatusCode); s != nil {
			return fmt.Errorf("blob: %s %q: %w: %w", op, key, s, err)
		}
	}
	return fmt.Errorf("blob: %s %q: %w", op, key, err)
}

// ResponseError turns an OSS error response a browser-style client received
// (a PostObject or a presigned URL answered with status and body) into an
// error with the same sentinels as the Store's, or nil for a 2xx status.
func ResponseError(op, key string, status int, body []byte) error {
	if status/100 == 2 {
		return nil
	}
	se := oss.ServiceError{StatusCode: status, RawMessage: string(body)}
	if err := xml.Unmarshal(body, &se); err != nil {
		se.Code = ""
		se.Message = http.StatusText(status)
	}
	se.StatusCode = status
	return wrap(op, key, se)
}
