package tables

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// Sentinel errors. Every error returned by a Store wraps exactly one of them;
// test with errors.Is.
var (
	// ErrNotFound: the row (or the table) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a condition failed; for versioned writes, another writer
	// won the race. The caller re-reads and retries or reports 409.
	ErrConflict = errors.New("conflict")
	// ErrExists: a create found the row (or table) already there.
	ErrExists = errors.New("already exists")
	// ErrThrottled: Tablestore refused for load or quota after the SDK's own
	// retries; retrying later is safe.
	ErrThrottled = errors.New("throttled")
	// ErrInvalid: the request breaks a schema rule or a documented limit; the
	// message carries Tablestore's error code. Retrying will not help.
	ErrInvalid = errors.New("invalid")
	// ErrDenied: the credentials or instance were refused.
	ErrDenied = errors.New("denied")
	// ErrUnavailable: the service or network failed, or the outcome of a
	// write could not be determined.
	ErrUnavailable = errors.New("unavailable")
)

// Tablestore error codes this package branches on.
const (
	codeConditionFail = "OTSConditionCheckFail"
	codeNotExist      = "OTSObjectNotExist"
	codeAlreadyExist  = "OTSObjectAlreadyExist"
)

var throttleCodes = map[string]bool{
	"OTSRowOperationConflict":  true,
	"OTSNotEnoughCapacityUnit": true,
	"OTSTableNotReady":         true,
	"OTSPartitionUnavailable":  true,
	"OTSServerBusy":            true,
	"OTSStorageServerBusy":     true,
	"OTSQuotaExhausted":        true,
	"OTSCapacityUnitExhausted": true,
}

var serverCodes = map[string]bool{
	"OTSTimeout":             true,
	"OTSInternalServerError": true,
	"OTSServerUnavailable":   true,
}

var deniedCodes = map[string]bool{
	"OTSAuthFailed":          true,
	"OTSNoPermissionAccess":  true,
	"OTSInvalidInstanceName": true,
	"OTSUnauthorized":        true,
}

// mapErr is the one place that turns an SDK error into this package's error
// for operation op on ref ("table/key"): `tables: put "task/…": conflict`.
// The sentinel and, when there is one, the SDK's *tablestore.OtsError are
// both wrapped.
func mapErr(op, ref string, err error) error {
	if err == nil {
		return nil
	}
	var oe *tablestore.OtsError
	if errors.As(err, &oe) {
		return fmt.Errorf("tables: %s %q: %w: %w", op, ref, sentinelFor(oe), err)
	}
	return fmt.Errorf("tables: %s %q: %w: %w", op, ref, transportSentinel(err), err)
}

func sentinelFor(oe *tablestore.OtsError) error {
	switch {
	case oe.Code == codeConditionFail:
		return ErrConflict
	case oe.Code == codeNotExist:
		return ErrNotFound
	case oe.Code == codeAlreadyExist:
		return ErrExists
	case throttleCodes[oe.Code]:
		return ErrThrottled
	case serverCodes[oe.Code]:
		return ErrUnavailable
	case deniedCodes[oe.Code]:
		return ErrDenied
	case oe.HttpStatusCode >= 500:
		return ErrUnavailable
	case oe.HttpStatusCode == 403:
		return ErrDenied
	}
	return ErrInvalid
}

// transportSentinel classifies errors that carry no Tablestore code: the
// SDK's client-side validation, context ends, and network failures.
func transportSentinel(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ErrUnavailable
	case errors.As(err, &ne):
		return ErrUnavailable
	case strings.HasPrefix(err.Error(), "[tablestore]"):
		return ErrInvalid
	case strings.Contains(err.Error(), "EOF"), strings.Contains(err.Error(), "connection"):
		return ErrUnavailable
	}
	return ErrUnavailable
}

// rowErr converts a per-row error of a batch response into an OtsError, so
// batch rows go through mapErr like single-row calls.
func rowErr(e tablestore.Error) *tablestore.OtsError {
	status := 400
	switch {
	case e.Code == codeConditionFail:
		status = 403
	case throttleCodes[e.Code], serverCodes[e.Code]:
		status = 503
	}
	return &tablestore.OtsError{Code: e.Code, Message: e.Message, HttpStatusCode: status}
}

// retryable reports whether a row-level or request-level error may succeed
// when sent again: throttling and server-side failures.
func retryable(err error) bool {
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrUnavailable)
}

func isCode(err error, code string) bool {
	var oe *tablestore.OtsError
	return errors.As(err, &oe) && oe.Code == code
}

// withCause rewrites the sentinel of a mapped error: a failed condition that
// a read-back showed to be "row missing" or "row exists" reports that.
func withCause(op, ref string, sentinel error, detail string) error {
	if detail == "" {
		return fmt.Errorf("tables: %s %q: %w", op, ref, sentinel)
	}
	return fmt.Errorf("tables: %s %q: %w: %s", op, ref, sentinel, detail)
}

// MapErr maps an error of a direct SDK call (through Store.Client) the same
// way the Store maps its own: `tables: op "ref": sentinel: cause`.
func MapErr(op, ref string, err error) error { return mapErr(op, ref, err) }

// conflictError is a lost optimistic-concurrency race that carries the row
// as it was read right after the race.
type conflictError struct {
	err error
	row *Row
}

// Error returns the conflict's message.
func (e *conflictError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error, which wraps ErrConflict.
func (e *conflictError) Unwrap() error { return e.err }

// Current returns the row as it stood when a versioned Update or Delete lost
// its race (err wraps ErrConflict), so the caller can retry or answer 409
// with the current version without reading again. ok is false for any other
// error.
func Current(err error) (row *Row, ok bool) {
	var ce *conflictError
	if errors.As(err, &ce) {
		return ce.row, true
	}
	return nil, false
}
