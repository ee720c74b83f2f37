package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

func (m Message) checkChat() error {
	switch {
	case (m.Chat == "") == (m.ChatKey == ""):
		return errors.New("a chat message needs a chat or a chat key, not both")
	case m.Body == "":
		return errors.New("a chat message needs a body")
	case m.Link != "" && m.Title == "":
		return errors.New("a chat message with a link needs a title")
	}
	enc, err := jsonSize(m.chatMessage())
	if err != nil {
		return err
	}
	if enc > dingtalk.MaxChatMsgBytes {
		return fmt.Errorf("chat message of %d bytes exceeds %d", enc, dingtalk.MaxChatMsgBytes)
	}
	return nil
}

// chatMessage renders a KindChat message: an action card opening Link, or
// markdown.
func (m Message) chatMessage() dingtalk.Message {
	if m.Link != "" {
		return dingtalk.ActionCardMessage(dingtalk.ActionCard{Title: m.Title,
			Markdown: m.Body, SingleTitle: "查看详情", SingleURL: m.Link})
	}
	title := m.Title
	if title == "" {
		title = "通知"
	}
	return dingtalk.MarkdownMessage(title, m.Body)
}

// sentSlot is the NoticeBudget slot marking the row id as handed to
// DingTalk, for the kinds whose API has no idempotency key.
func sentSlot(id string) string { return "s/" + id }

// markSent records that row id is about to be sent; false means an earlier
// attempt already sent it (its record was lost).
func markSent(ctx context.Context, s *sender, id string) (bool, error) {
	_, err := s.budget.store.Create(ctx, tables.NoticeBudget.Name,
		tables.Key{s.budget.tid, sentSlot(id)}, tables.Cols{"n": int64(1)})
	switch {
	case errors.Is(err, tables.ErrExists):
		return false, nil
	case err != nil:
		return false, budgetErr("mark", id, err)
	}
	return true, nil
}

// unmarkSent forgets the marker after a send that failed, so that the
// retry sends.
func unmarkSent(ctx context.Context, s *sender, id string) {
	key := tables.Key{s.budget.tid, sentSlot(id)}
	row, err := s.budget.store.Get(ctx, tables.NoticeBudget.Name, key)
	if err == nil {
		// A marker left behind makes the retry record the row sent without
		// sending: the safe side, as with notice refunds.
		_ = s.budget.store.Delete(ctx, tables.NoticeBudget.Name, key, row.Ver())
	}
}

// sendChat posts a chat message once the chat's window has room (a full
// window reschedules the row without spending an attempt), through
// sendOnce.
//
// TODO(#6): an answer lost after DingTalk accepted the message (or a DING)
// unmarks the row and the retry sends it again; neither API has an
// idempotency key.
func (d *Drainer) sendChat(ctx context.Context, s *sender, r *tables.Row, m Message) outcome {
	if err := d.resolveChat(ctx, &m); err != nil {
		return outcome{err: err}
	}
	return d.postChat(ctx, s, r, m)
}

// postChat posts m to the chat m.Chat for row r.
func (d *Drainer) postChat(ctx context.Context, s *sender, r *tables.Row, m Message) outcome {
	wait, err := s.budget.AdmitRobot(ctx, "chat:"+dingtalk.ContentHash([]byte(m.Chat)), d.now())
	switch {
	case err != nil:
		return outcome{err: err}
	case wait > 0:
		return outcome{err: fmt.Errorf("outbox: chat %q: %w: next slot in %s", m.Chat,
			dingtalk.ErrThrottled, wait), wait: wait}
	}
	return sendOnce(ctx, s, r, func() outcome {
		msgID, err := s.notice.SendChat(ctx, m.Chat, m.chatMessage())
		switch {
		case errors.Is(err, dingtalk.ErrThrottled):
			return outcome{err: err, wait: time.Minute}
		case err != nil:
			return outcome{err: err, final: permanent(err)}
		}
		return outcome{state: StateSent, taskID: msgID}
	})
}

// sendOnce runs send, a call DingTalk cannot deduplicate, at most once per
// row: a marker written before the call makes a retry after a lost record a
// recorded repeat, and a failed call removes it so that the retry sends.
func sendOnce(ctx context.Context, s *sender, r *tables.Row, send func() outcome) outcome {
	id := r.Key[1].(string)
	fresh, err := markSent(ctx, s, id)
	switch {
	case err != nil:
		return outcome{err: err}
	case !fresh:
		return outcome{state: StateSent, reason: "already delivered by an earlier attempt"}
	}
	o := send()
	if o.err != nil {
		unmarkSent(ctx, s, id)
	}
	return o
}

func jsonSize(v any) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode: %w", err)
	}
	return len(b), nil
}
