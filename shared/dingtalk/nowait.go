package dingtalk

import (
	"context"
	"errors"
	"fmt"
)

// ErrWouldWait means a call made under NoWait found no QPS token free at once,
// or would have had to sleep before a retry; nothing was sent for it (or the
// last attempt's failure is joined). Errors with it also match ErrThrottled.
var ErrWouldWait = errors.New("dingtalk: would wait")

type noWaitKey struct{}

// NoWait returns a context under which the Client never waits for its QPS
// limiter or a retry backoff: a call that would wait fails at once with
// ErrWouldWait, so that a caller with a deadline of its own (the reply to a
// DingTalk push) can hand the work to a queue instead. Sharing an access
// token fetch that is already running is still waited for.
func NoWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, noWaitKey{}, true)
}

// mayWait reports whether ctx allows waiting (it was not made by NoWait).
func mayWait(ctx context.Context) bool {
	nw, _ := ctx.Value(noWaitKey{}).(bool)
	return !nw
}

// withWait undoes NoWait, for work done on behalf of several callers.
func withWait(ctx context.Context) context.Context {
	if mayWait(ctx) {
		return ctx
	}
	return context.WithValue(ctx, noWaitKey{}, false)
}

// pace takes a QPS token for cl: waiting for one, or under NoWait only if
// one is free now.
func (c *Client) pace(ctx context.Context, cl call) error {
	if mayWait(ctx) {
		if err := c.limiter.Wait(ctx); err != nil {
			return fmt.Errorf("dingtalk: %s: %w", cl.op, err)
		}
		return nil
	}
	if !c.limiter.Allow() {
		return wouldWait(cl, "no QPS token free", nil)
	}
	return nil
}

func wouldWait(cl call, why string, last error) error {
	key := ""
	if cl.key != "" {
		key = fmt.Sprintf(" %q", cl.key)
	}
	err := fmt.Errorf("dingtalk: %s%s: %s: %w: %w", cl.op, key, why, ErrWouldWait, ErrThrottled)
	if last != nil {
		err = errors.Join(err, last)
	}
	return err
}
