package dingtalk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// Limits DingTalk applies, and the defaults kept below them.
const (
	// DingTalkNoticeLimit is DingTalk's cap of work notices per user per app per
	// day; over it, sends "succeed" and vanish.
	DingTalkNoticeLimit = 500
	// DefaultNoticeBudget is the daily per-user budget a MemoryBudget allows.
	DefaultNoticeBudget = 450
	// RobotPerMinute is DingTalk's cap per robot; over it the robot is muted
	// for ten minutes.
	RobotPerMinute = 20
)

// chinaTime is the zone of DingTalk's "day" (UTC+8, no daylight saving).
var chinaTime = time.FixedZone("CST", 8*3600)

// Day returns the DingTalk calendar day of t, as 2006-01-02 in UTC+8.
func Day(t time.Time) string { return t.In(chinaTime).Format(time.DateOnly) }

// ContentHash returns the hash that identifies "the same content" for the
// silent-drop rule: SHA-256 of the encoded msg.
func ContentHash(encodedMsg []byte) string {
	sum := sha256.Sum256(encodedMsg)
	return hex.EncodeToString(sum[:16])
}

// NoticeKey names one work notice to one user.
type NoticeKey struct {
	AppKey string
	UserID string
	Day    string // from Day
	Hash   string // from ContentHash
}

// Verdict is a Budget's decision on one notice.
type Verdict int

// Verdicts.
const (
	// Admit means send it; the budget has counted it.
	Admit Verdict = iota
	// DropRepeat means the same content already went to the user today:
	// DingTalk would drop it silently.
	DropRepeat
	// DropOverBudget means the user's daily budget is spent.
	DropOverBudget
)

// String names v.
func (v Verdict) String() string {
	switch v {
	case Admit:
		return "admit"
	case DropRepeat:
		return "repeat"
	case DropOverBudget:
		return "over_budget"
	}
	return "unknown"
}

// Budget applies DingTalk's silent limits before a send. A MemoryBudget serves
// one process; the notify function backs it with a table so that every
// instance shares one count.
type Budget interface {
	// AdmitNotice decides on one notice and, on Admit, counts it and records
	// its hash for the day.
	AdmitNotice(ctx context.Context, k NoticeKey) (Verdict, error)
	// RefundNotice undoes an Admit whose send failed, so that a retry of the
	// same content is not taken for a repeat.
	RefundNotice(ctx context.Context, k NoticeKey) error
	// AdmitRobot returns zero and counts a message if robot may send at now;
	// otherwise it returns how long to wait and counts nothing.
	AdmitRobot(ctx context.Context, robot string, now time.Time) (time.Duration, error)
}

// BudgetConfig sets a MemoryBudget's limits.
type BudgetConfig struct {
	// NoticesPerDay is the per-user, per-app daily budget; zero means
	// DefaultNoticeBudget.
	NoticesPerDay int
	// RobotPerMinute is the per-robot cap in any 60 s window; zero means
	// RobotPerMinute.
	RobotPerMinute int
}

// MemoryBudget is a Budget held in memory, safe for concurrent use. Its
// counts are per process and lost on restart, which suits tests and a
// client that sends little; the notify function, which sends nearly every
// notice, passes outbox.TableBudget (Options.Budget), whose counts live in
// Tablestore and are shared by all instances.
type MemoryBudget struct {
	perDay int
	perMin int
	mu     sync.Mutex
	day    string                 // the day counts and hashes belong to
	counts map[[2]string]int      // {app, user} → notices today
	hashes map[[3]string]bool     // {app, user, hash} → sent today
	robots map[string][]time.Time // robot → send times in the last minute
}

var _ Budget = (*MemoryBudget)(nil)

// NewMemoryBudget returns an empty MemoryBudget.
func NewMemoryBudget(cfg BudgetConfig) *MemoryBudget {
	b := &MemoryBudget{perDay: cfg.NoticesPerDay, perMin: cfg.RobotPerMinute,
		robots: map[string][]time.Time{}}
	if b.perDay <= 0 {
		b.perDay = DefaultNoticeBudget
	}
	if b.perMin <= 0 {
		b.perMin = RobotPerMinute
	}
	b.reset("")
	return b
}

func (b *MemoryBudget) reset(day string) {
	b.day = day
	b.counts = map[[2]string]int{}
	b.hashes = map[[3]string]bool{}
}

// AdmitNotice implements Budget. Keys of a day older than the latest seen are
// judged against a fresh day, since their counts are gone.
func (b *MemoryBudget) AdmitNotice(_ context.Context, k NoticeKey) (Verdict, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k.Day > b.day {
		b.reset(k.Day)
	}
	u, h := [2]string{k.AppKey, k.UserID}, [3]string{k.AppKey, k.UserID, k.Hash}
	switch {
	case b.hashes[h]:
		return DropRepeat, nil
	case b.counts[u] >= b.perDay:
		return DropOverBudget, nil
	}
	b.counts[u]++
	b.hashes[h] = true
	return Admit, nil
}

// RefundNotice implements Budget.
func (b *MemoryBudget) RefundNotice(_ context.Context, k NoticeKey) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := [3]string{k.AppKey, k.UserID, k.Hash}
	if k.Day != b.day || !b.hashes[h] {
		return nil
	}
	delete(b.hashes, h)
	b.counts[[2]string{k.AppKey, k.UserID}]--
	return nil
}

// AdmitRobot implements Budget with a sliding 60 s window.
func (b *MemoryBudget) AdmitRobot(_ context.Context, robot string,
	now time.Time) (time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sent := b.robots[robot]
	i := 0
	for i < len(sent) && now.Sub(sent[i]) >= time.Minute {
		i++
	}
	sent = sent[i:]
	if len(sent) >= b.perMin {
		b.robots[robot] = sent
		return sent[0].Add(time.Minute).Sub(now), nil
	}
	b.robots[robot] = append(sent, now)
	return 0, nil
}
