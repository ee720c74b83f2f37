package runtime

import (
	"context"
	"fmt"
	"sync"
)

// host wraps a Function with the per-instance state every host shares:
// Init runs once, and again after a failure.
type host struct {
	f Function

	mu     sync.Mutex
	inited bool
}

func newHost(f Function) *host { return &host{f: f} }

// ensureInit runs f.Init unless it already succeeded.
func (h *host) ensureInit(ctx context.Context) error {
	if h.f.Init == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inited {
		return nil
	}
	ctx, l := h.f.begin(ctx)
	if err := guard(l, "init", func() error { return h.f.Init(ctx) }); err != nil {
		l.Error("init", "error", err)
		return fmt.Errorf("runtime: init %q: %w", h.f.Name, err)
	}
	h.inited = true
	return nil
}

// dispatch makes sure Init has run, then dispatches payload.
func (h *host) dispatch(ctx context.Context, payload []byte) (any, error) {
	if err := h.ensureInit(ctx); err != nil {
		return nil, err
	}
	return h.f.Dispatch(ctx, payload)
}

// preStop runs f.PreStop, if any, recovering a panic.
func (h *host) preStop(ctx context.Context) {
	if h.f.PreStop == nil {
		return
	}
	ctx, l := h.f.begin(ctx)
	guard(l, "prestop", func() error { h.f.PreStop(ctx); return nil })
}
