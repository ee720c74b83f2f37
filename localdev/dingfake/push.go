package dingfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/xietong/xietong/shared/dingtalk/callback"
)

// ErrPush means an event was not accepted after every retry; it is then in the
// corp's failed list (GET /call_back/get_call_back_failed_result).
var ErrPush = errors.New("dingfake: push not delivered")

// Push sends one event to callbackURL as DingTalk's HTTP push does: the legacy
// envelope {"EventType","CorpId","TimeStamp",...fields} encrypted with the corp's
// first app that has callback credentials, signature, timestamp and nonce in the
// query, and the reply checked for a signed, encrypted "success". A failed or
// late answer is retried after each of Config.RetryDelays (DingTalk: 10 s, then
// 30 s); after the last, the event joins the failed list and Push returns ErrPush.
//
// TODO(#5): only the legacy PascalCase envelope is emitted; the documented
// camelCase one (eventId, userId, deptId) would be a second mode.
func (f *Fake) Push(ctx context.Context, callbackURL, corpID, eventType string,
	fields map[string]any) error {
	cr, err := f.pushCrypto(corpID)
	if err != nil {
		return err
	}
	event := map[string]any{"EventType": eventType, "CorpId": corpID,
		"TimeStamp": strconv.FormatInt(f.cfg.Now().UnixMilli(), 10)}
	for k, v := range fields {
		event[k] = v
	}
	msg, err := json.Marshal(event)
	if err != nil {
		return fmt.Errorf("dingfake: push %q: encode: %w", eventType, err)
	}
	var last error
	for attempt := 0; ; attempt++ {
		if last = f.pushOnce(ctx, cr, callbackURL, msg); last == nil {
			return nil
		}
		if ctx.Err() != nil || attempt == len(f.cfg.RetryDelays) {
			break
		}
		if err := wait(ctx, f.cfg.RetryDelays[attempt]); err != nil {
			break
		}
	}
	f.recordFailed(corpID, eventType, fields, f.cfg.Now())
	return fmt.Errorf("%w: %s to %s after %d attempts: %v", ErrPush, eventType,
		callbackURL, len(f.cfg.RetryDelays)+1, last)
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
