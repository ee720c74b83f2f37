package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// Per-recipient outcomes recorded in a row's results column.
const (
	resultSent   = "sent"
	resultRepeat = "repeat"  // the same content reached the user today already
	resultDigest = "digest:" // + the day of the digest that lists it
	resultFailed = "failed:" // + DingTalk's reason (DINGs)
)

// deliver makes one delivery attempt of a claimed row.
func (d *Drainer) deliver(ctx context.Context, s *sender, r *tables.Row,
	attempt int64) outcome {
	m, err := messageOf(s.corp, r)
	if err != nil {
		return outcome{err: fmt.Errorf("outbox: row %q: %w", r.Key.String(), err), final: true}
	}
	switch m.Kind {
	case KindText, KindMarkdown, KindActionCard:
		return d.sendNotice(ctx, s, s.notice, r, m, attempt)
	case kindDigest:
		return d.sendDigest(ctx, s, r, m, attempt)
	case KindDing:
		return sendOnce(ctx, s, r, func() outcome { return sendDing(ctx, s, m) })
	case KindRobot:
		return d.sendRobot(ctx, s, r, m)
	case KindChat:
		return d.sendChat(ctx, s, r, m)
	case KindChatSync:
		return d.syncChat(ctx, s, r, m)
	case KindCalendar:
		return d.syncEvent(ctx, s, m)
	}
	return outcome{err: fmt.Errorf("outbox: row %q: unknown type %q", r.Key.String(), m.Kind),
		final: true}
}

// sendNotice sends a work notice to the recipients not yet resolved by an
// earlier attempt, and puts over-budget recipients into their digests.
func (d *Drainer) sendNotice(ctx context.Context, s *sender, c *dingtalk.Client,
	r *tables.Row, m Message, attempt int64) outcome {
	results := decodeResults(r.String(colResults))
	var todo []string
	for _, u := range m.Users {
		if results[u] == "" {
			todo = append(todo, u)
		}
	}
	o := outcome{results: results, taskID: r.String(colTaskID)}
	if len(todo) > 0 {
		res, err := c.SendNotice(ctx, dingtalk.Notice{UserIDs: todo, Msg: m.notice()})
		if err != nil {
			o.err, o.final = err, permanent(err)
			return o
		}
		if res.TaskID != 0 {
			o.taskID = strconv.FormatInt(res.TaskID, 10)
		}
		for _, u := range res.Sent {
			results[u] = resultSent
		}
		o.err = d.resolveDropped(ctx, s, r, m, res.Dropped, results)
		if o.err != nil {
			return o
		}
	}
	o.state, o.reason = noticeState(results, attempt)
	return o
}

// resolveDropped records repeats and lists over-budget recipients in their
// digests; a digest that cannot be written leaves its recipient unresolved.
func (d *Drainer) resolveDropped(ctx context.Context, s *sender, r *tables.Row, m Message,
	dropped map[string]dingtalk.Verdict, results map[string]string) error {
	var errs []error
	for u, v := range dropped {
		if v == dingtalk.DropRepeat {
			results[u] = resultRepeat
			continue
		}
		day, err := d.addToDigest(ctx, s, u, digestItem{ID: r.Key[1].(string),
			Title: itemTitle(m), Link: m.Link})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results[u] = resultDigest + day
	}
	return errors.Join(errs...)
}

// noticeState is the final state of a notice whose recipients are all
// resolved. A repeat on a later attempt is taken for this row's own earlier
// delivery whose record was lost.
//
// TODO(#6): if that earlier send failed and its refund failed too, the
// marker is stale and the notice is recorded sent without reaching the user.
func noticeState(results map[string]string, attempt int64) (string, string) {
	var sent, digest bool
	for _, v := range results {
		sent = sent || v == resultSent
		digest = digest || strings.HasPrefix(v, resultDigest)
	}
	switch {
	case sent:
		return StateSent, ""
	case digest:
		return StateDigested, "over the daily budget"
	case attempt > 1:
		return StateSent, "already delivered by an earlier attempt"
	}
	return StateDropped, "duplicate_content: the same content reached the user today"
}

// sendDing sends a DING as the app's robot (for an internal app, robotCode is
// its AppKey). It runs under sendOnce: a drainer that dies between the send
// and the record leaves a marker, and the next one records the row instead
// of DINGing again.
func sendDing(ctx context.Context, s *sender, m Message) outcome {
	res, err := s.notice.SendDing(ctx, m.ding(s.app.AppKey))
	if err != nil {
		return outcome{err: err, final: permanent(err)}
	}
	results := map[string]string{}
	for _, u := range m.Users {
		results[u] = resultSent
	}
	for reason, users := range res.Failed {
		for _, u := range users {
			results[u] = resultFailed + reason
		}
	}
	return outcome{results: results, taskID: res.OpenDingID, state: StateSent}
}

// sendRobot posts a robot message once the robot's window has room; a full
// window reschedules the row without spending an attempt.
func (d *Drainer) sendRobot(ctx context.Context, s *sender, r *tables.Row, m Message) outcome {
	robot, err := pickRobot(s.app, m.Robot)
	if err != nil {
		return outcome{err: err, final: true}
	}
	key := "robot:" + dingtalk.ContentHash([]byte(robot.Token))
	wait, err := s.budget.AdmitRobot(ctx, key, d.now())
	switch {
	case err != nil:
		return outcome{err: err}
	case wait > 0:
		return outcome{err: fmt.Errorf("outbox: robot %q: %w: next slot in %s", m.Robot,
			dingtalk.ErrThrottled, wait), wait: wait}
	}
	err = s.notice.SendRobot(ctx, robot, m.robotMessage(r.Key[1].(string)))
	switch {
	case errors.Is(err, dingtalk.ErrThrottled):
		return outcome{err: err, wait: 10 * time.Minute} // DingTalk mutes the robot
	case err != nil:
		return outcome{err: err, final: permanent(err)}
	}
	return outcome{state: StateSent}
}

func pickRobot(app dingtalk.App, name string) (dingtalk.Robot, error) {
	if name == "" && len(app.Robots) == 1 {
		for _, rb := range app.Robots {
			return rb, nil
		}
	}
	rb, ok := app.Robots[name]
	if !ok {
		return rb, fmt.Errorf("outbox: robot %q: not configured for corp %q", name, app.CorpID)
	}
	return rb, nil
}

// permanent reports whether DingTalk refused for a reason a retry cannot cure.
func permanent(err error) bool {
	return errors.Is(err, dingtalk.ErrInvalid) || errors.Is(err, dingtalk.ErrNotFound) ||
		errors.Is(err, dingtalk.ErrPermission)
}

func encodeResults(r map[string]string) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func decodeResults(s string) map[string]string {
	r := map[string]string{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &r) // a damaged column resends to everyone
	}
	return r
}

// Results returns the per-recipient outcomes recorded on row: "sent",
// "repeat", "digest:<day>" or "failed:<reason>".
func Results(row *tables.Row) map[string]string {
	return decodeResults(row.String(colResults))
}
