package dingfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/dingtalk/callback"
)

// ErrPush means an event was not accepted after every retry; it is then in the
// corp's failed list (GET /call_back/get_call_back_failed_result).
var ErrPush = errors.New("dingfake: push not delivered")

// Envelope is the shape of the event JSON the pusher encrypts.
type Envelope int

const (
	// EnvelopeLegacy is what real pushes logged in public code carry:
	// {"EventType","CorpId","TimeStamp":"<ms>",...} with the fields as given
	// (UserId, DeptId) and no eventId.
	EnvelopeLegacy Envelope = iota
	// EnvelopeDocumented is the current documents' shape: EventType,
	// EventTime, CorpId and BizId, with camelCase eventId, timeStamp, userId
	// and deptId. Every Push gets a fresh eventId; its retries keep it.
	EnvelopeDocumented
)

// Push sends one event to callbackURL as DingTalk's HTTP push does, in the
// envelope of Config.Envelope: encrypted with the corp's first app that has
// callback credentials, signature, timestamp and nonce in the query, and the
// reply checked for a signed, encrypted "success". A failed or late answer is
// retried after each of Config.RetryDelays (DingTalk: 10 s, then 30 s); after
// the last, the event joins the failed list and Push returns ErrPush.
func (f *Fake) Push(ctx context.Context, callbackURL, corpID, eventType string,
	fields map[string]any) error {
	f.mu.Lock()
	env := f.cfg.Envelope
	f.mu.Unlock()
	return f.PushAs(ctx, env, callbackURL, corpID, eventType, fields)
}

// PushDocumented is Push in EnvelopeDocumented.
func (f *Fake) PushDocumented(ctx context.Context, callbackURL, corpID, eventType string,
	fields map[string]any) error {
	return f.PushAs(ctx, EnvelopeDocumented, callbackURL, corpID, eventType, fields)
}

// PushAs is Push in envelope env.
func (f *Fake) PushAs(ctx context.Context, env Envelope, callbackURL, corpID,
	eventType string, fields map[string]any) error {
	cr, err := f.pushCrypto(corpID)
	if err != nil {
		return err
	}
	msg, err := json.Marshal(f.envelope(env, corpID, eventType, fields))
	if err != nil {
		return fmt.Errorf("dingfake: push %q: encode: %w", eventType, err)
	}
	delays := f.retryDelays()
	var last error
	for attempt := 0; ; attempt++ {
		if last = f.pushOnce(ctx, cr, callbackURL, msg); last == nil {
			return nil
		}
		if ctx.Err() != nil || attempt == len(delays) {
			break
		}
		if err := wait(ctx, delays[attempt]); err != nil {
			break
		}
	}
	f.recordFailed(corpID, eventType, fields, f.cfg.Now())
	return fmt.Errorf("%w: %s to %s after %d attempts: %v", ErrPush, eventType,
		callbackURL, len(delays)+1, last)
}

// envelope builds the event object of one push.
func (f *Fake) envelope(env Envelope, corpID, eventType string,
	fields map[string]any) map[string]any {
	now := f.cfg.Now().UnixMilli()
	ms := strconv.FormatInt(now, 10)
	if env != EnvelopeDocumented {
		event := map[string]any{"EventType": eventType, "CorpId": corpID, "TimeStamp": ms}
		for k, v := range fields {
			event[k] = v
		}
		return event
	}
	id := randomID("", 16)
	event := map[string]any{"EventType": eventType, "EventTime": now, "CorpId": corpID,
		"BizId": id, "eventId": id, "timeStamp": ms}
	for k, v := range fields {
		switch strings.ToLower(k) {
		case "userid":
			k = "userId"
		case "deptid":
			k = "deptId"
		}
		event[k] = v
	}
	return event
}

// SetEnvelope switches the envelope of the pushes that start afterwards.
func (f *Fake) SetEnvelope(env Envelope) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg.Envelope = env
}

// SetRetryDelays replaces the pusher's waits before each retry (Config.RetryDelays)
// for the pushes that start afterwards; no delays means a single attempt.
func (f *Fake) SetRetryDelays(d ...time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg.RetryDelays = slices.Clone(d)
}

// RetryDelays returns the pusher's current waits before each retry.
func (f *Fake) RetryDelays() []time.Duration { return f.retryDelays() }

func (f *Fake) retryDelays() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cfg.RetryDelays)
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PushCrypto returns the callback crypto of corpID's pushing app, so that a test
// receiver can answer with the same keys.
func (f *Fake) PushCrypto(corpID string, window time.Duration) (*callback.Crypto, error) {
	a, err := f.pushApp(corpID)
	if err != nil {
		return nil, err
	}
	return callback.New(callback.Config{Token: a.CallbackToken, EncodingAESKey: a.AESKey,
		OwnerKey: ownerKey(a), Window: window, Now: f.cfg.Now})
}

func ownerKey(a App) string {
	if a.OwnerKey != "" {
		return a.OwnerKey
	}
	return a.AppKey
}

func (f *Fake) pushApp(corpID string) (App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orgs[corpID]
	if o == nil {
		return App{}, fmt.Errorf("dingfake: push: unknown corp %q", corpID)
	}
	for _, a := range o.Apps {
		if a.CallbackToken != "" && a.AESKey != "" {
			return a, nil
		}
	}
	return App{}, fmt.Errorf("dingfake: push: corp %q has no app with callback keys", corpID)
}

func (f *Fake) pushCrypto(corpID string) (*callback.Crypto, error) {
	return f.PushCrypto(corpID, -1)
}

// pushOnce makes one delivery attempt.
func (f *Fake) pushOnce(ctx context.Context, cr *callback.Crypto, target string,
	msg []byte) error {
	sealed, err := cr.Seal(msg)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(callback.Body{Encrypt: sealed.Encrypt})
	ctx, cancel := context.WithTimeout(ctx, f.cfg.ReplyTimeout)
	defer cancel()
	u := target + "?" + sealed.Query().Values().Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("dingfake: push: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("dingfake: push: %w", err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("dingfake: push: reading reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("dingfake: push: reply status %d", resp.StatusCode)
	}
	if err := cr.CheckReply(reply); err != nil {
		return fmt.Errorf("dingfake: push: HTTP请求结果校验返回字段值失败: %w", err)
	}
	return nil
}
