package dingtalk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/dingtalk"
)

// TestNoWaitFailsInsteadOfPacing shows that under NoWait a call that finds
// the QPS limiter empty fails at once with ErrWouldWait and sends nothing.
// The limiter refills once in 1,000 s, so the test does not depend on speed.
func TestNoWaitFailsInsteadOfPacing(t *testing.T) {
	e := start(t, dingfake.Config{}, dingtalk.Options{QPS: 0.001})
	ctx := context.Background()
	if _, err := e.client.Token(ctx); err != nil { // fetching takes the one token
		t.Fatal(err)
	}
	nw := dingtalk.NoWait(ctx)
	_, err := e.client.User(nw, "u-dev-1")
	if !errors.Is(err, dingtalk.ErrWouldWait) || !errors.Is(err, dingtalk.ErrThrottled) {
		t.Fatalf("User under NoWait with no token free = %v, want ErrWouldWait", err)
	}
	if n := e.fake.Calls("/topapi/v2/user/get"); n != 0 {
		t.Errorf("user/get reached the fake %d times, want 0", n)
	}
}

// TestNoWaitSkipsBackoff shows that under NoWait a throttled answer is
// returned at once rather than slept on and retried.
func TestNoWaitSkipsBackoff(t *testing.T) {
	const userPath = "/topapi/v2/user/get"
	e := start(t, dingfake.Config{}, dingtalk.Options{})
	ctx := dingtalk.NoWait(context.Background())
	if _, err := e.client.Token(ctx); err != nil {
		t.Fatalf("Token under NoWait: %v", err)
	}
	e.fake.FailOAPI(userPath, 1, 90018)
	_, err := e.client.User(ctx, "u-dev-1")
	if !errors.Is(err, dingtalk.ErrWouldWait) || !errors.Is(err, dingtalk.ErrThrottled) {
		t.Fatalf("throttled User under NoWait = %v, want ErrWouldWait", err)
	}
	if n := e.fake.Calls(userPath); n != 1 {
		t.Errorf("user/get called %d times, want 1", n)
	}
	checkWaits(t, e.sleeper.Waits(), 0)
	if _, err := e.client.User(ctx, "u-dev-1"); err != nil {
		t.Fatalf("User after the fault: %v", err)
	}
}
