package runtime

import (
	"context"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

// startFC serves Function Compute through fc-runtime-go-sdk. It does not
// return: the SDK exits the process if its loop fails.
func (h *host) startFC() error {
	fc.RegisterInitializerFunction(func(ctx context.Context) {
		if err := h.ensureInit(ctx); err != nil {
			// The SDK's only failure signal for a lifecycle hook is a panic,
			// which it reports on the runtime API's error route.
			panic(err)
		}
	})
	fc.RegisterPreStopFunction(h.preStop)
	fc.Start(h.dispatch)
	return nil
}
