package ots

import (
	"fmt"
	"net/http"
)

// apiError is a Tablestore error answer: HTTP status, code and message.
type apiError struct {
	status int
	code   string
	msg    string
}

// Error returns the Tablestore code and message.
func (e *apiError) Error() string { return e.code + ": " + e.msg }

// Tablestore error codes the emulator answers with.
const (
	codeAuthFailed       = "OTSAuthFailed"
	codeParameterInvalid = "OTSParameterInvalid"
	codeConditionFail    = "OTSConditionCheckFail"
	codeObjectNotExist   = "OTSObjectNotExist"
	codeObjectExist      = "OTSObjectAlreadyExist"
	codeServerBusy       = "OTSServerBusy"
	codeInternal         = "OTSInternalServerError"
	codeQuotaExhausted   = "OTSQuotaExhausted"
	codeBodyTooLarge     = "OTSRequestBodyTooLarge"
	codeMethodNotAllowed = "OTSMethodNotAllowed"
	codeUnsupported      = "OTSUnsupportOperation"
)

func invalidf(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeParameterInvalid, fmt.Sprintf(format, args...)}
}

func authFailed(msg string) *apiError {
	return &apiError{http.StatusForbidden, codeAuthFailed, msg}
}

var (
	errConditionFail = &apiError{http.StatusForbidden, codeConditionFail, "Condition check failed."}
	errTableNotExist = &apiError{http.StatusNotFound, codeObjectNotExist,
		"Requested table does not exist."}
	errTableExist = &apiError{http.StatusConflict, codeObjectExist,
		"Requested table already exists."}
	errServerBusy = &apiError{http.StatusServiceUnavailable, codeServerBusy,
		"Server is busy."}
	errInternal = &apiError{http.StatusInternalServerError, codeInternal,
		"Internal server error."}
	errBadPlainBuffer = invalidf("Invalid PlainBuffer row: bad format.")
	errBadChecksum    = invalidf("Invalid PlainBuffer row: checksum mismatch.")
)

// plainBufferError maps a decoder failure onto the answer for it.
func plainBufferError(err error) *apiError {
	if err == errChecksum {
		return errBadChecksum
	}
	return errBadPlainBuffer
}

func unsupported(action string) *apiError {
	return &apiError{http.StatusBadRequest, codeUnsupported,
		fmt.Sprintf("Unsupported operation: %s is not implemented by the local emulator.", action)}
}
