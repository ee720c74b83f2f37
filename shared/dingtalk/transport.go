package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// maxBody bounds how much of an answer is read.
const maxBody = 8 << 20

type apiStyleKind int

const (
	oapiStyle apiStyleKind = iota // errcode in a 200, token in the query
	apiStyle                      // 4xx JSON, token in a header
)

// call describes one request.
type call struct {
	op, key      string
	style        apiStyleKind
	method, path string
	query        url.Values
	body         any
	noToken      bool // the call carries its own credentials
	// unsafeRetry is false for creates that are not idempotent: they are retried
	// only after throttling, which DingTalk answers before doing anything.
	unsafeRetry bool
}

// idempotent marks calls that may be retried after an ambiguous failure.
func (cl call) idempotent() call { cl.unsafeRetry = true; return cl }

// do runs cl with pacing, the token, one token refresh and bounded backoff, and
// decodes a successful answer into out.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	refreshed := false
	for attempt := 0; ; attempt++ {
		if err := c.pace(ctx, cl); err != nil {
			return err
		}
		tok := ""
		if !cl.noToken {
			var err error
			if tok, err = c.Token(ctx); err != nil {
				return err
			}
		}
		err := c.once(ctx, cl, tok, out)
		var e *Error
		if !errors.As(err, &e) || ctx.Err() != nil {
			return err
		}
		if e.Kind == ErrToken && !cl.noToken && !refreshed {
			c.dropToken(tok)
			refreshed = true
			attempt--
			continue
		}
		if !c.shouldRetry(cl, e, attempt) {
			return err
		}
		if !mayWait(ctx) {
			return wouldWait(cl, "retry needs a backoff", err)
		}
		if err := c.sleep(ctx, c.delay(attempt)); err != nil {
			return fmt.Errorf("dingtalk: %s: %w", cl.op, err)
		}
	}
}

func (c *Client) shouldRetry(cl call, e *Error, attempt int) bool {
	if attempt >= c.retries || !e.retryable() {
		return false
	}
	return e.Kind == ErrThrottled || cl.unsafeRetry
}

// delay is the wait before retry attempt+1: Backoff doubled per attempt, capped
// at MaxBackoff, plus up to a quarter more at random so instances spread out.
func (c *Client) delay(attempt int) time.Duration {
	d := c.backoff << min(attempt, 10)
	if d > MaxBackoff || d <= 0 {
		d = MaxBackoff
	}
	return d + rand.N(d/4+1)
}

// once sends cl a single time.
func (c *Client) once(ctx context.Context, cl call, tok string, out any) error {
	req, err := c.request(ctx, cl, tok)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("dingtalk: %s: %w", cl.op, ctx.Err())
		}
		return &Error{Op: cl.op, Key: cl.key, Message: err.Error(), Kind: ErrUnavailable}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &Error{Op: cl.op, Key: cl.key, Status: resp.StatusCode,
			Message: "reading answer: " + err.Error(), Kind: ErrUnavailable}
	}
	if cl.style == oapiStyle {
		return decodeOAPI(cl, resp, data, out)
	}
	return decodeAPI(cl, resp, data, out)
}

func (c *Client) request(ctx context.Context, cl call, tok string) (*http.Request, error) {
	base := c.ends.API
	if cl.style == oapiStyle {
		base = c.ends.OAPI
	}
	q := url.Values{}
	for k, v := range cl.query {
		q[k] = v
	}
	if tok != "" && cl.style == oapiStyle {
		q.Set("access_token", tok)
	}
	u := base + cl.path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("dingtalk: %s: encode: %w", cl.op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("dingtalk: %s: %w", cl.op, err)
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" && cl.style == apiStyle {
		req.Header.Set("x-acs-dingtalk-access-token", tok)
	}
	return req, nil
}

// oapiEnvelope is the common part of every old-style answer.
type oapiEnvelope struct {
	Errcode   *int   `json:"errcode"`
	Errmsg    string `json:"errmsg"`
	SubCode   string `json:"sub_code"`
	SubMsg    string `json:"sub_msg"`
	RequestID string `json:"request_id"`
	Status    int    `json:"status"` // 1111 in a per-IP ban
}

func decodeOAPI(cl call, resp *http.Response, data []byte, out any) error {
	e := &Error{Op: cl.op, Key: cl.key, Status: resp.StatusCode}
	var env oapiEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		e.Message, e.Kind = "answer is not JSON: "+snippet(data), ErrUnavailable
		if resp.StatusCode != http.StatusOK && resp.StatusCode < 500 {
			e.Kind = apiKind(resp.StatusCode, "")
		}
		return e
	}
	e.RequestID, e.SubCode = env.RequestID, env.SubCode
	switch {
	case env.Status == 1111:
		e.Errcode, e.Message = 1111, "per-IP ban: "+snippet(data)
	case env.Errcode != nil && *env.Errcode != 0:
		e.Errcode, e.Message = *env.Errcode, env.Errmsg
		if env.SubMsg != "" {
			e.Message += ": " + env.SubMsg
		}
	case resp.StatusCode != http.StatusOK:
		e.Message, e.Kind = snippet(data), apiKind(resp.StatusCode, "")
		return e
	default:
		return decodeInto(cl, data, out)
	}
	e.Kind = oapiKind(e.Errcode, e.SubCode)
	return e
}

func decodeAPI(cl call, resp *http.Response, data []byte, out any) error {
	if resp.StatusCode/100 == 2 {
		return decodeInto(cl, data, out)
	}
	var body struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestid"`
	}
	e := &Error{Op: cl.op, Key: cl.key, Status: resp.StatusCode}
	if err := json.Unmarshal(data, &body); err != nil {
		body.Message = snippet(data)
	}
	e.Code, e.Message, e.RequestID = body.Code, body.Message, body.RequestID
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("x-acs-request-id")
	}
	e.Kind = apiKind(resp.StatusCode, body.Code)
	return e
}

func decodeInto(cl call, data []byte, out any) error {
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Op: cl.op, Key: cl.key, Status: http.StatusOK,
			Message: "decode answer: " + err.Error(), Kind: ErrAPI}
	}
	return nil
}

func snippet(b []byte) string {
	if len(b) > 120 {
		b = b[:120]
	}
	return string(b)
}
