// Command fchello is the smallest useful fc.Start binary: it answers every event with a
// fixed HTTP response. localdev's benchmarks compare the functions' cold start with it.
package main

import (
	"context"
	"encoding/json"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

func hello(ctx context.Context, ev json.RawMessage) (events.HTTPTriggerResponse, error) {
	return events.HTTPTriggerResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "text/plain"},
		Body:       "hello",
	}, nil
}

func main() {
	fc.Start(hello)
}
