package plan

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error returned by this package is an *Error that
// wraps exactly one of them; test with errors.Is.
var (
	// ErrInvalid means the input breaks a validation rule; Error.Field names
	// the input field when there is one.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound means a named object does not exist in the plan.
	ErrNotFound = errors.New("not found")
	// ErrExists means the object to add is already there.
	ErrExists = errors.New("already exists")
	// ErrForbidden means the actor's project role does not allow the change.
	ErrForbidden = errors.New("forbidden")
	// ErrCycle means the change would make decomposition or dependencies
	// circular; Error.Cycle lists the task ids around the loop.
	ErrCycle = errors.New("cycle")
	// ErrTransition means the status change is not in the workflow for the
	// actor's role, or the task is not ready for it.
	ErrTransition = errors.New("transition not allowed")
	// ErrIncomplete means a milestone cannot be accepted because some of its
	// tasks are still open and no override reason was given.
	ErrIncomplete = errors.New("incomplete")
)

// Error describes a refused operation: `plan: op "key": field: detail`.
type Error struct {
	Op     string   // the operation, e.g. "move task"
	Key    string   // the object operated on, e.g. "T-42"; may be empty
	Field  string   // the offending input field, if any
	Detail string   // what is wrong; the sentinel's text when empty
	Cycle  []string // for ErrCycle, the ids around the loop, first = last
	Err    error    // one of the sentinels
}

// Error renders the error as `plan: op "key": field: detail`, leaving out
// the key and field when empty.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("plan: ")
	b.WriteString(e.Op)
	if e.Key != "" {
		b.WriteString(" ")
		b.WriteString(strconv.Quote(e.Key))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Detail != "" {
		b.WriteString(e.Detail)
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// op names an operation on one object and builds its errors.
type op struct{ name, key string }

func (o op) fail(sentinel error, detail string) *Error {
	return &Error{Op: o.name, Key: o.key, Detail: detail, Err: sentinel}
}

func (o op) invalid(field, detail string) *Error {
	return &Error{Op: o.name, Key: o.key, Field: field, Detail: detail, Err: ErrInvalid}
}

func (o op) notFound(kind, id string) *Error {
	return o.fail(ErrNotFound, kind+" "+strconv.Quote(id)+" not found")
}

func (o op) forbidden(detail string) *Error { return o.fail(ErrForbidden, detail) }

func (o op) cycle(ids []string) *Error {
	e := o.fail(ErrCycle, "would create a cycle "+strings.Join(ids, " → "))
	e.Cycle = ids
	return e
}
