package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// Defaults of a TableBudget.
const (
	// DigestSlots is how many of a user's daily notices are kept for the
	// digest of the day before.
	DigestSlots = 1
	// DefaultRobotWindow and DefaultRobotPerWindow pace each robot in fixed
	// windows: 5 per 20 s means no 60 s span, however placed, holds more than
	// 20 messages (DingTalk mutes a robot for ten minutes over 20 a minute).
	DefaultRobotWindow    = 20 * time.Second
	DefaultRobotPerWindow = 5
	// maxRaces bounds the conditional-update retries of one counter change.
	maxRaces = 64
)

// BudgetConfig sets a TableBudget's limits. Zero fields take the defaults.
type BudgetConfig struct {
	// NoticesPerDay is each user's daily work-notice budget per app,
	// dingtalk.DefaultNoticeBudget (450, under DingTalk's 500) by default.
	NoticesPerDay int
	// RobotWindow and RobotPerWindow pace each group robot.
	RobotWindow    time.Duration
	RobotPerWindow int
}

// TableBudget is a dingtalk.Budget kept in Tablestore (tables.NoticeBudget), so
// that every notify instance shares one count per organization, user and
// DingTalk day. Each change is a conditional update on the counter row's ver.
//
// A notice to a user is admitted when no notice with the same content hash
// went to the user today (DingTalk would drop the repeat silently) and the
// user has had fewer than NoticesPerDay-DigestSlots notices today; the last
// DigestSlots notices of a day are spent only through Digests, by the digest
// of the day before. A user's day is one row, so the content marker and the
// count never disagree. It is safe for concurrent use.
type TableBudget struct {
	store     *tables.Store
	tid       string
	perDay    int64
	reserve   int64
	window    time.Duration
	perWindow int64
}

var _ dingtalk.Budget = (*TableBudget)(nil)

// NewTableBudget returns the budget of corp's app over store, which must hold
// tables.NoticeBudget.
func NewTableBudget(store *tables.Store, corp string, cfg BudgetConfig) *TableBudget {
	b := &TableBudget{store: store, tid: tables.TenantKey(corp),
		perDay: int64(cfg.NoticesPerDay), reserve: DigestSlots, window: cfg.RobotWindow,
		perWindow: int64(cfg.RobotPerWindow)}
	if b.perDay <= 0 {
		b.perDay = dingtalk.DefaultNoticeBudget
	}
	if b.window <= 0 {
		b.window = DefaultRobotWindow
	}
	if b.perWindow <= 0 {
		b.perWindow = DefaultRobotPerWindow
	}
	return b
}

// Digests returns a view of b over the same rows that may also spend the
// slots kept for digests.
func (b *TableBudget) Digests() *TableBudget {
	d := *b
	d.reserve = 0
	return &d
}

func countSlot(k dingtalk.NoticeKey) string {
	return "c/" + k.AppKey + "/" + k.UserID + "/" + k.Day
}

// hashColumn is the column of a user's day row that marks content k.Hash as
// sent: the hash itself when it is a short word, else a digest of it.
func hashColumn(k dingtalk.NoticeKey) string {
	if len(k.Hash) <= 64 && wordRE.MatchString(k.Hash) {
		return "h_" + k.Hash
	}
	sum := sha256.Sum256([]byte(k.Hash))
	return "h_" + hex.EncodeToString(sum[:16])
}

var wordRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// verdict is v, or no verdict when err is set.
func verdict(v dingtalk.Verdict, op, user string, err error) (dingtalk.Verdict, error) {
	if err != nil {
		return 0, budgetErr(op, user, err)
	}
	return v, nil
}

// AdmitNotice implements dingtalk.Budget. The user's row for the day holds
// the count and a column per content hash sent, so the repeat check, the
// count and the marker change together in one conditional update.
func (b *TableBudget) AdmitNotice(ctx context.Context, k dingtalk.NoticeKey) (
	dingtalk.Verdict, error) {
	key, hc, limit := tables.Key{b.tid, countSlot(k)}, hashColumn(k), b.perDay-b.reserve
	row, err := b.store.Get(ctx, tables.NoticeBudget.Name, key)
	for race := 0; race < maxRaces; race++ {
		if errors.Is(err, tables.ErrNotFound) {
			if limit < 1 {
				return dingtalk.DropOverBudget, nil
			}
			_, err = b.store.Create(ctx, tables.NoticeBudget.Name, key,
				tables.Cols{"n": int64(1), hc: int64(1)})
			if !errors.Is(err, tables.ErrExists) {
				return verdict(dingtalk.Admit, "admit", k.UserID, err)
			}
			row, err = b.store.Get(ctx, tables.NoticeBudget.Name, key)
			continue
		}
		switch {
		case err != nil:
			return 0, budgetErr("admit", k.UserID, err)
		case row.Has(hc):
			return dingtalk.DropRepeat, nil
		case row.Int("n") >= limit:
			return dingtalk.DropOverBudget, nil
		}
		_, err = b.store.Update(ctx, tables.NoticeBudget.Name, key, row.Ver(),
			tables.Change{Set: tables.Cols{"n": row.Int("n") + 1, hc: int64(1)}})
		if row, err = b.raced(row, err); row == nil {
			return verdict(dingtalk.Admit, "admit", k.UserID, err)
		}
	}
	return 0, budgetErr("admit", k.UserID, errContended)
}

// raced returns the winning row after a lost conditional update (and a nil
// error), or nil and err when the update did not lose a race. It pauses a
// little before the caller tries again.
func (b *TableBudget) raced(row *tables.Row, err error) (*tables.Row, error) {
	cur, lost := tables.Current(err)
	if !lost {
		return nil, err
	}
	time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
	return cur, nil
}

// RefundNotice implements dingtalk.Budget: it forgets the content and gives
// its slot back, once, however often it is called.
func (b *TableBudget) RefundNotice(ctx context.Context, k dingtalk.NoticeKey) error {
	key, hc := tables.Key{b.tid, countSlot(k)}, hashColumn(k)
	row, err := b.store.Get(ctx, tables.NoticeBudget.Name, key)
	for race := 0; race < maxRaces; race++ {
		switch {
		case errors.Is(err, tables.ErrNotFound):
			return nil
		case err != nil:
			return budgetErr("refund", k.UserID, err)
		case !row.Has(hc):
			return nil
		}
		_, err = b.store.Update(ctx, tables.NoticeBudget.Name, key, row.Ver(), tables.Change{
			Set: tables.Cols{"n": max(row.Int("n")-1, 0)}, Delete: []string{hc}})
		if row, err = b.raced(row, err); row == nil {
			return budgetErr("refund", k.UserID, err)
		}
	}
	return budgetErr("refund", k.UserID, errContended)
}

// AdmitRobot implements dingtalk.Budget with fixed windows of RobotWindow.
func (b *TableBudget) AdmitRobot(ctx context.Context, robot string, now time.Time) (
	time.Duration, error) {
	w := b.window.Milliseconds()
	idx := now.UnixMilli() / w
	ok, err := b.bump(ctx, "r/"+robot+"/"+strconv.FormatInt(idx, 10), b.perWindow)
	if err != nil {
		return 0, budgetErr("robot", robot, err)
	}
	if ok {
		return 0, nil
	}
	return time.Duration((idx+1)*w-now.UnixMilli()) * time.Millisecond, nil
}

// Used returns how many notices k's user has been counted for on k's day.
func (b *TableBudget) Used(ctx context.Context, k dingtalk.NoticeKey) (int64, error) {
	row, err := b.store.Get(ctx, tables.NoticeBudget.Name, tables.Key{b.tid, countSlot(k)})
	if errors.Is(err, tables.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, budgetErr("used", k.UserID, err)
	}
	return row.Int("n"), nil
}

var errContended = errors.New("counter contended")

// bump adds one to the counter in slot unless it has reached limit, and
// reports whether it did.
func (b *TableBudget) bump(ctx context.Context, slot string, limit int64) (bool, error) {
	key := tables.Key{b.tid, slot}
	row, err := b.store.Get(ctx, tables.NoticeBudget.Name, key)
	for race := 0; race < maxRaces; race++ {
		if errors.Is(err, tables.ErrNotFound) {
			_, err = b.store.Create(ctx, tables.NoticeBudget.Name, key, tables.Cols{"n": int64(1)})
			if !errors.Is(err, tables.ErrExists) {
				return err == nil, err
			}
			row, err = b.store.Get(ctx, tables.NoticeBudget.Name, key)
			continue
		}
		if err != nil {
			return false, err
		}
		if row.Int("n") >= limit {
			return false, nil
		}
		_, err = b.store.Update(ctx, tables.NoticeBudget.Name, key, row.Ver(),
			tables.Change{Set: tables.Cols{"n": row.Int("n") + 1}})
		if row, err = b.raced(row, err); row == nil {
			return err == nil, err
		}
	}
	return false, errContended
}

func budgetErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("outbox: budget %s %q: %w", op, key, err)
}
