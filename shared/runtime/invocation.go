package runtime

import (
	"context"
	"log/slog"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
)

// Invocation is the host-independent metadata of one invocation.
type Invocation struct {
	// RequestID is the host's invocation id (FC x-fc-request-id, Lambda
	// Lambda-Runtime-Aws-Request-Id, or a random UUID locally).
	RequestID string
	// FunctionName is the name of the function being invoked.
	FunctionName string
}

type invocationKey struct{}

type loggerKey struct{}

// WithInvocation returns a copy of ctx carrying inv. Dispatch prefers it to
// the host's own context, so tests use it to fix the request id and name.
func WithInvocation(ctx context.Context, inv Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// InvocationFrom returns the invocation carried by ctx, and whether there was one.
func InvocationFrom(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(Invocation)
	return inv, ok
}

// RequestID returns the request id of the invocation in ctx, or "".
func RequestID(ctx context.Context) string {
	inv, _ := InvocationFrom(ctx)
	return inv.RequestID
}

// FunctionName returns the function name of the invocation in ctx, or "".
func FunctionName(ctx context.Context) string {
	inv, _ := InvocationFrom(ctx)
	return inv.FunctionName
}

// Logger returns the invocation's logger, a child of Function.Logger with
// request_id and function attributes. Outside an invocation it returns
// slog.Default with whatever of those attributes ctx carries.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	inv, ok := InvocationFrom(ctx)
	if !ok {
		return slog.Default()
	}
	return slog.Default().With("request_id", inv.RequestID, "function", inv.FunctionName)
}

// begin resolves the invocation for one event and returns a context that
// carries it and its child logger.
func (f Function) begin(ctx context.Context) (context.Context, *slog.Logger) {
	inv := f.resolveInvocation(ctx)
	l := f.logger().With("request_id", inv.RequestID, "function", inv.FunctionName)
	ctx = WithInvocation(ctx, inv)
	return context.WithValue(ctx, loggerKey{}, l), l
}

// resolveInvocation merges an explicit Invocation, the host context and f.Name.
func (f Function) resolveInvocation(ctx context.Context) Invocation {
	inv, _ := InvocationFrom(ctx)
	hostID, hostName := hostInvocation(ctx)
	if inv.RequestID == "" {
		inv.RequestID = hostID
	}
	if inv.RequestID == "" {
		inv.RequestID = uuid.NewString()
	}
	if inv.FunctionName == "" {
		inv.FunctionName = f.Name
	}
	if inv.FunctionName == "" {
		inv.FunctionName = hostName
	}
	return inv
}

// hostInvocation reads the request id and function name the SDKs put in ctx.
func hostInvocation(ctx context.Context) (id, name string) {
	if fc, ok := fccontext.FromContext(ctx); ok {
		return fc.RequestID, fc.Function.Name
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID, lambdacontext.FunctionName
	}
	return "", ""
}
