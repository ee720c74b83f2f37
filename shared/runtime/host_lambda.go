package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// lambdaHandler adapts a host to lambda.Handler so the raw payload reaches
// Dispatch undecoded.
type lambdaHandler struct{ h *host }

var _ lambda.Handler = lambdaHandler{}

// Invoke dispatches one Lambda invocation and marshals its result.
func (lh lambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	res, err := lh.h.dispatch(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// startLambda serves AWS Lambda through aws-lambda-go. Init runs first; if
// it fails, the error goes to the runtime API's init/error route and Start
// returns it. Otherwise it does not return.
func (h *host) startLambda(api string) error {
	if err := h.ensureInit(context.Background()); err != nil {
		if rerr := postInitError(api, err); rerr != nil {
			return fmt.Errorf("%w (report: %v)", err, rerr)
		}
		return err
	}
	var opts []lambda.Option
	if h.f.PreStop != nil {
		opts = append(opts, lambda.WithEnableSIGTERM(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			h.preStop(ctx)
		}))
	}
	lambda.StartWithOptions(lambdaHandler{h}, opts...)
	return nil
}

// postInitError reports an initialisation failure as the Runtime API specifies.
func postInitError(api string, initErr error) error {
	body, _ := json.Marshal(map[string]any{
		"errorMessage": initErr.Error(),
		"errorType":    reflect.TypeOf(initErr).String(),
	})
	url := "http://" + api + "/2018-06-01/runtime/init/error"
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("runtime: init error report: status %d", resp.StatusCode)
	}
	return nil
}
