package tables

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

func TestMapErr(t *testing.T) {
	ots := func(code string, status int) error {
		return &tablestore.OtsError{Code: code, Message: "m", HttpStatusCode: status}
	}
	for _, tc := range []struct {
		in   error
		want error
	}{
		{ots("OTSConditionCheckFail", 403), ErrConflict},
		{ots("OTSObjectNotExist", 404), ErrNotFound},
		{ots("OTSObjectAlreadyExist", 409), ErrExists},
		{ots("OTSParameterInvalid", 400), ErrInvalid},
		{ots("OTSRequestBodyTooLarge", 413), ErrInvalid},
		{ots("OTSServerBusy", 503), ErrThrottled},
		{ots("OTSRowOperationConflict", 409), ErrThrottled},
		{ots("OTSNotEnoughCapacityUnit", 403), ErrThrottled},
		{ots("OTSQuotaExhausted", 403), ErrThrottled},
		{ots("OTSTimeout", 503), ErrUnavailable},
		{ots("OTSInternalServerError", 500), ErrUnavailable},
		{ots("OTSSomethingNew", 502), ErrUnavailable},
		{ots("OTSAuthFailed", 403), ErrDenied},
		{ots("OTSSomethingNew", 400), ErrInvalid},
		{fmt.Errorf("Post \"http://x/PutRow\": %w", io.EOF), ErrUnavailable},
		{errors.New("[tablestore] invalid input"), ErrInvalid},
	} {
		got := mapErr("put", "task/k", tc.in)
		if !errors.Is(got, tc.want) || !errors.Is(got, tc.in) {
			t.Errorf("mapErr(%v) = %v, want it to wrap %v and the cause", tc.in, got, tc.want)
		}
		if !strings.HasPrefix(got.Error(), `tables: put "task/k": `+tc.want.Error()) {
			t.Errorf("mapErr(%v) = %q, want prefix %q", tc.in, got,
				`tables: put "task/k": `+tc.want.Error())
		}
	}
	if err := mapErr("put", "task/k", nil); err != nil {
		t.Errorf("mapErr(nil) = %v, want nil", err)
	}
}

func TestMayHaveLanded(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&tablestore.OtsError{Code: "OTSServerBusy"}, false},
		{&tablestore.OtsError{Code: "OTSNotEnoughCapacityUnit"}, false},
		{&tablestore.OtsError{Code: "OTSTimeout"}, true},
		{io.EOF, true},
	} {
		if got := mayHaveLanded(tc.err); got != tc.want {
			t.Errorf("mayHaveLanded(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestCurrent(t *testing.T) {
	row := &Row{Cols: Cols{"ver": int64(3)}}
	err := fmt.Errorf("wrapped: %w", &conflictError{row: row,
		err: withCause("update", "t/k", ErrConflict, "")})
	if got, ok := Current(err); !ok || got != row || !errors.Is(err, ErrConflict) {
		t.Errorf("Current(%v) = %v, %v; want the row", err, got, ok)
	}
	if _, ok := Current(ErrNotFound); ok {
		t.Errorf("Current(ErrNotFound) ok = true, want false")
	}
}
