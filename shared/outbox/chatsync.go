package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// ErrNoChat is what a ChatSource returns for a chat key that should have no
// chat (a project without members in its own organization): the sync is
// dropped.
var ErrNoChat = errors.New("no chat wanted")

// ChatSpec is what a kept chat should look like. Owner must be a member.
type ChatSpec struct {
	Name    string
	Owner   string
	Members []string // userids of the chat's organization
}

// ChatSource tells a Drainer what the chats of KindChatSync rows should look
// like, and hears their chat ids. Both are called when a sync runs.
type ChatSource interface {
	// ChatSpec returns the wanted state of key's chat in corp, or ErrNoChat.
	ChatSpec(ctx context.Context, corp, key string) (ChatSpec, error)
	// ChatCreated records chatID as key's chat; it is called after every
	// sync, so it must be idempotent.
	ChatCreated(ctx context.Context, corp, key, chatID string) error
}

// Columns of a chat registry row (msg_id "c/<hash of the chat key>"), outside
// the notification range.
const (
	chatPrefix   = "c/"
	colChatID    = "chat_id"
	colMembers   = "members" // JSON []userid as last applied
	colPending   = "pending" // JSON []userid being applied under the lock
	colLockTill  = "lock_ms" // absent when nobody holds the lock
	colLockBy    = "lock_by"
	colChatOwner = "chat_owner"
	lockRetry    = 2 * time.Second
)

func chatRegKey(corp, key string) tables.Key { return regKey(chatPrefix, corp, key) }

// regKey is the registry row of key: prefix and a hash of the key, outside
// the notification range.
func regKey(prefix, corp, key string) tables.Key {
	sum := sha256.Sum256([]byte(key))
	return tables.Key{tables.TenantKey(corp), prefix + hex.EncodeToString(sum[:16])}
}

// ChatID returns the chat id the outbox created for key in corp, or "" when
// there is none yet.
func ChatID(ctx context.Context, store *tables.Store, corp, key string) (string, error) {
	row, err := store.Get(ctx, tables.Outbox.Name, chatRegKey(corp, key))
	switch {
	case errors.Is(err, tables.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("outbox: chat %q: %w", key, err)
	}
	return row.String(colChatID), nil
}

// resolveChat fills m.Chat from m.ChatKey's registry row.
func (d *Drainer) resolveChat(ctx context.Context, m *Message) error {
	if m.Chat != "" {
		return nil
	}
	id, err := ChatID(ctx, d.store, m.Corp, m.ChatKey)
	if err == nil && id == "" {
		err = fmt.Errorf("outbox: chat %q: not created yet", m.ChatKey)
	}
	m.Chat = id
	return err
}

// chatLock is a held registry lock.
type chatLock struct {
	key      tables.Key
	row      *tables.Row // as read before locking; nil for a new registry row
	takeover bool        // an earlier holder died with the lock or failed
}

// syncChat brings key's chat to its ChatSpec under the registry row's lock,
// which serializes the syncs of one chat across workers and drainers, and
// then posts the sync's announcement, if it has one (a failed post makes
// the whole sync run again, which changes nothing the second time).
//
// TODO(#6): chat/create has no idempotency key: a drainer that dies between
// DingTalk's answer and the registry write leaves a chat the next sync does
// not know, and creates a second one.
func (d *Drainer) syncChat(ctx context.Context, s *sender, r *tables.Row, m Message) outcome {
	if d.cfg.Chats == nil {
		return outcome{err: fmt.Errorf("outbox: chat %q: %w: the drainer has no chat source",
			m.ChatKey, ErrInvalid), final: true}
	}
	spec, err := d.cfg.Chats.ChatSpec(ctx, s.corp, m.ChatKey)
	switch {
	case errors.Is(err, ErrNoChat):
		return outcome{state: StateDropped, reason: "no chat wanted for " + m.ChatKey}
	case err != nil:
		return outcome{err: err}
	}
	spec.Members = sortedSet(spec.Members)
	lk, wait, err := d.lockReg(ctx, chatRegKey(s.corp, m.ChatKey), m.ChatKey, spec.Members)
	if err != nil || wait > 0 {
		return outcome{err: err, wait: wait}
	}
	chatID, err := d.applyChat(ctx, s, lk, spec)
	if err != nil {
		d.unlockChat(ctx, lk, nil)
		return outcome{err: err, final: permanent(err)}
	}
	if err := d.cfg.Chats.ChatCreated(ctx, s.corp, m.ChatKey, chatID); err != nil {
		return outcome{err: err}
	}
	if m.Body != "" { // the sync's announcement, after the change it tells of
		m.Chat = chatID
		if o := d.postChat(ctx, s, r, m); o.err != nil || o.reason != "" {
			return o
		}
	}
	return outcome{state: StateSent, taskID: chatID}
}

// lockReg takes the lock of registry row rk (for key), or says how long to
// wait for it.
func (d *Drainer) lockReg(ctx context.Context, rk tables.Key, key string, pending []string) (
	chatLock, time.Duration, error) {
	now := d.now()
	lk := chatLock{key: rk}
	set := tables.Cols{colLockTill: now.Add(d.cfg.Lease).UnixMilli(), colLockBy: d.cfg.ID,
		colPending: jsonList(pending)}
	row, err := d.store.Get(ctx, tables.Outbox.Name, lk.key)
	if errors.Is(err, tables.ErrNotFound) {
		set[colChatKey], set[colMembers] = key, "[]"
		_, err := d.store.Create(ctx, tables.Outbox.Name, lk.key, set)
		if errors.Is(err, tables.ErrExists) {
			return lk, lockRetry, chatBusy(key)
		}
		return lk, 0, err
	}
	if err != nil {
		return lk, 0, fmt.Errorf("outbox: chat %q: %w", key, err)
	}
	if till := row.Int(colLockTill); row.Has(colLockTill) {
		if till > now.UnixMilli() {
			left := time.Duration(till-now.UnixMilli()) * time.Millisecond
			return lk, min(left, lockRetry), chatBusy(key)
		}
		// An earlier holder died or failed: what it may have applied stays
		// pending until a sync succeeds.
		lk.takeover = true
		var old []string
		_ = json.Unmarshal([]byte(row.String(colPending)), &old)
		set[colPending] = jsonList(sortedSet(append(old, pending...)))
	}
	lk.row = row
	_, err = d.store.Update(ctx, tables.Outbox.Name, lk.key, row.Ver(),
		tables.Change{Set: set})
	if _, lost := tables.Current(err); lost || errors.Is(err, tables.ErrConflict) {
		return lk, lockRetry, chatBusy(key)
	}
	return lk, 0, err
}

func chatBusy(key string) error {
	return fmt.Errorf("outbox: %q: %w: another sync holds it", key, dingtalk.ErrThrottled)
}

// applyChat creates the chat or changes its members toward spec, and
// records the applied state while releasing the lock.
func (d *Drainer) applyChat(ctx context.Context, s *sender, lk chatLock, spec ChatSpec) (
	string, error) {
	var chatID, owner string
	var members, pending []string
	if lk.row != nil {
		chatID, owner = lk.row.String(colChatID), lk.row.String(colChatOwner)
		_ = json.Unmarshal([]byte(lk.row.String(colMembers)), &members)
		_ = json.Unmarshal([]byte(lk.row.String(colPending)), &pending)
	}
	if chatID == "" {
		id, err := s.notice.CreateChat(ctx, dingtalk.Chat{Name: spec.Name, Owner: spec.Owner,
			UserIDs: spec.Members})
		if err != nil {
			return "", err
		}
		return id, d.recordCreated(ctx, lk, tables.Cols{colChatID: id,
			colChatOwner: spec.Owner, colMembers: jsonList(spec.Members)})
	}
	base := members
	add := minus(spec.Members, members)
	if lk.takeover { // the dead holder may have applied pending in part
		base, add = sortedSet(append(slices.Clone(members), pending...)), spec.Members
	}
	ch := dingtalk.ChatChange{ChatID: chatID, Add: add, Del: minus(base, spec.Members)}
	if spec.Owner != owner {
		ch.Owner = spec.Owner
	}
	if len(ch.Add)+len(ch.Del) > 0 || ch.Owner != "" {
		if err := s.notice.UpdateChat(ctx, ch); err != nil {
			return "", err
		}
	}
	return chatID, d.unlockChat(ctx, lk, tables.Cols{colChatOwner: spec.Owner,
		colMembers: jsonList(spec.Members)})
}

// recordCreated writes what DingTalk created onto the registry row, trying a
// few times: a lost write means a second create later.
func (d *Drainer) recordCreated(ctx context.Context, lk chatLock, set tables.Cols) error {
	var err error
	for range 3 {
		if err = d.unlockChat(ctx, lk, maps.Clone(set)); err == nil {
			return nil
		}
	}
	return err
}

// unlockChat releases lk after a success, writing set with it; with set
// nil (a failure) it only expires the lock, keeping what was pending for the
// next holder, which takes it over.
func (d *Drainer) unlockChat(ctx context.Context, lk chatLock, set tables.Cols) error {
	ch := tables.Change{Set: set, Delete: []string{colLockTill, colPending}}
	if set == nil {
		ch = tables.Change{Set: tables.Cols{colLockTill: int64(0)}}
	}
	ch.Set[colLockBy] = ""
	row, err := d.store.Get(ctx, tables.Outbox.Name, lk.key)
	if err == nil && row.String(colLockBy) != d.cfg.ID {
		err = fmt.Errorf("outbox: chat registry %v: lock lost", lk.key)
	}
	if err == nil {
		_, err = d.store.Update(context.WithoutCancel(ctx), tables.Outbox.Name, lk.key,
			row.Ver(), ch)
	}
	if err != nil {
		return fmt.Errorf("outbox: chat unlock: %w", err)
	}
	return nil
}

func jsonList(l []string) string {
	b, _ := json.Marshal(nonNilList(l))
	return string(b)
}

func nonNilList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func sortedSet(l []string) []string {
	out := slices.Clone(l)
	slices.Sort(out)
	return slices.Compact(out)
}

// minus returns the members of a not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
