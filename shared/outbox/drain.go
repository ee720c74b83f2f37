package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// Defaults of a Drainer.
const (
	DefaultLease       = 2 * time.Minute
	DefaultMaxAttempts = 10
	DefaultBackoff     = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultWorkers     = 8
	DefaultPageSize    = 200
	// sendTimeout bounds the delivery of one row; a drain stops claiming
	// rows when its context has less than stopMargin left.
	sendTimeout = 15 * time.Second
	stopMargin  = sendTimeout + 5*time.Second
)

// Config sets up a Drainer. Zero fields take the defaults above.
type Config struct {
	// Store holds tables.Outbox and tables.NoticeBudget.
	Store *tables.Store
	// Apps are the organizations' DingTalk apps; the first app of a corp
	// sends its notifications.
	Apps []dingtalk.App
	// Options configure the DingTalk clients (endpoints, HTTP client, QPS,
	// retries); their Now defaults to Config.Now and their Budget is
	// replaced by a TableBudget per organization.
	Options dingtalk.Options
	// Budget sets the per-user and per-robot limits.
	Budget BudgetConfig
	// Lease is how long a claimed row stays with its drainer; after it, the
	// row may be claimed again.
	Lease time.Duration
	// MaxAttempts turns a row that keeps failing into dropped.
	MaxAttempts int
	// Backoff is the wait after a first failed attempt, doubling up to
	// MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Workers deliver rows concurrently; PageSize rows are read at a time.
	Workers, PageSize int
	// Now is the clock of leases, retries and DingTalk days; nil means
	// time.Now.
	Now func() time.Time
	// ID names this drainer in the rows it claims; empty means random.
	ID string
	// Chats answers for the chats of KindChatSync rows; without it they are
	// dropped.
	Chats ChatSource
	// Events answers for the calendar events of KindCalendar rows; without
	// it they are dropped.
	Events EventSource
}

// sender is what a Drainer holds per organization.
type sender struct {
	corp   string
	app    dingtalk.App
	notice *dingtalk.Client // budget without the digest slots
	digest *dingtalk.Client // budget with them
	budget *TableBudget
}

// Drainer delivers the Outbox's notifications to DingTalk. Several drainers
// (instances of the notify function) may drain the same tables at once:
// each row is claimed by one of them at a time. It is safe for concurrent
// use.
//
// Over-budget rule: a notice that a user's TableBudget refuses for the day
// is not dropped but listed in that user's digest of the day (one row per
// user and DingTalk day, msg_id "n/d/<day>/<userid>"). The digest falls due
// at the start of the next DingTalk day (00:00 UTC+8) and goes out as one
// markdown notice through the slot every day keeps for it (DigestSlots); a
// notice refused after its day's digest has gone joins the next day's.
type Drainer struct {
	cfg     Config
	store   *tables.Store
	now     func() time.Time
	senders map[string]*sender
	corps   []string
}

// NewDrainer returns a Drainer for cfg, with a DingTalk client per app.
func NewDrainer(cfg Config) (*Drainer, error) {
	if cfg.Store == nil {
		return nil, errors.New("outbox: new drainer: a store is required")
	}
	cfg = withDefaults(cfg)
	d := &Drainer{cfg: cfg, store: cfg.Store, now: cfg.Now, senders: map[string]*sender{}}
	for _, app := range cfg.Apps {
		if _, dup := d.senders[app.CorpID]; dup {
			continue
		}
		s, err := newSender(cfg, app)
		if err != nil {
			return nil, err
		}
		d.senders[app.CorpID] = s
		d.corps = append(d.corps, app.CorpID)
	}
	slices.Sort(d.corps)
	return d, nil
}

func withDefaults(cfg Config) Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.MaxAttempts, DefaultMaxAttempts)
	def(&cfg.Workers, DefaultWorkers)
	def(&cfg.PageSize, DefaultPageSize)
	defDur(&cfg.Lease, DefaultLease)
	defDur(&cfg.Backoff, DefaultBackoff)
	defDur(&cfg.MaxBackoff, DefaultMaxBackoff)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		cfg.ID = "drainer-" + hex.EncodeToString(b[:])
	}
	return cfg
}

func newSender(cfg Config, app dingtalk.App) (*sender, error) {
	s := &sender{corp: app.CorpID, app: app,
		budget: NewTableBudget(cfg.Store, app.CorpID, cfg.Budget)}
	opts := cfg.Options
	if opts.Now == nil {
		opts.Now = cfg.Now
	}
	var err error
	opts.Budget = prepaidRobots{s.budget}
	if s.notice, err = dingtalk.New(app, opts); err != nil {
		return nil, fmt.Errorf("outbox: new drainer %q: %w", app.CorpID, err)
	}
	opts.Budget = prepaidRobots{s.budget.Digests()}
	if s.digest, err = dingtalk.New(app, opts); err != nil {
		return nil, fmt.Errorf("outbox: new drainer %q: %w", app.CorpID, err)
	}
	return s, nil
}

// prepaidRobots is the Budget the drainer's clients use: robot messages are
// admitted by the drainer before it sends them, so that a busy robot
// reschedules its row instead of holding a worker.
type prepaidRobots struct{ *TableBudget }

// AdmitRobot admits every robot message: the drainer paces robots itself.
func (prepaidRobots) AdmitRobot(context.Context, string, time.Time) (time.Duration, error) {
	return 0, nil
}

// Corps returns the organizations the drainer serves, sorted.
func (d *Drainer) Corps() []string { return slices.Clone(d.corps) }

// Store returns the store the drainer reads and writes.
func (d *Drainer) Store() *tables.Store { return d.store }

// Report counts what a drain did.
type Report struct {
	Claimed  int `json:"claimed"`  // rows this drainer took
	Sent     int `json:"sent"`     // rows delivered (some recipients may be in digests)
	Digests  int `json:"digests"`  // digest notices delivered
	Digested int `json:"digested"` // rows whose every recipient went to a digest
	Dropped  int `json:"dropped"`  // rows given up, with the reason on the row
	Retried  int `json:"retried"`  // rows that failed and wait for their next attempt
	// Contended counts rows another drainer claimed first.
	Contended int `json:"contended"`
	// Unsettled counts rows whose claim or record could not be confirmed;
	// they are taken again when their lease ends.
	Unsettled int `json:"unsettled"`
}

func (r *Report) add(o Report) {
	r.Claimed += o.Claimed
	r.Sent += o.Sent
	r.Digests += o.Digests
	r.Digested += o.Digested
	r.Dropped += o.Dropped
	r.Retried += o.Retried
	r.Contended += o.Contended
	r.Unsettled += o.Unsettled
}

// Drain makes one pass over the due rows of every organization. It returns
// the counts and the errors of reading the outbox, joined; a row that fails
// to deliver is recorded on the row, not returned.
func (d *Drainer) Drain(ctx context.Context) (Report, error) {
	var total Report
	var errs []error
	for _, corp := range d.corps {
		rep, err := d.DrainCorp(ctx, corp)
		total.add(rep)
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// DrainCorp makes one pass over corp's due rows, in key order, until the end
// of its rows or until ctx has too little time left to deliver another.
func (d *Drainer) DrainCorp(ctx context.Context, corp string) (Report, error) {
	s, ok := d.senders[corp]
	if !ok {
		return Report{}, fmt.Errorf("outbox: drain %q: %w: no app for this corp", corp,
			ErrInvalid)
	}
	tid := tables.TenantKey(corp)
	start, end := tables.Key{tid, msgPrefix}, tables.Key{tid, rangeEnd}
	var rep Report
	for !stopping(ctx) {
		// TODO(#6): final rows stay in the range and are read (and filtered
		// out server-side) by every pass; a due-time index would bound it.
		rows, next, err := d.store.Page(ctx, tables.Outbox.Name, tables.Range{Start: start,
			End: end, Limit: d.cfg.PageSize, Filter: dueBy(d.now().UnixMilli())})
		if err != nil {
			return rep, fmt.Errorf("outbox: drain %q: %w", corp, err)
		}
		rep.add(d.deliverAll(ctx, s, rows))
		if next == nil {
			break
		}
		start = next
	}
	return rep, nil
}

// stopping reports whether ctx is done or too close to its deadline to
// start delivering another row.
func stopping(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < stopMargin
}

// dueBy selects rows whose due_ms is at most now; final rows have none.
func dueBy(now int64) tablestore.ColumnFilter {
	c := tablestore.NewSingleColumnCondition(colDue, tablestore.CT_LESS_EQUAL, now)
	c.FilterIfMissing = true
	c.LatestVersionOnly = true
	return c
}

// deliverAll handles rows with the drainer's workers.
func (d *Drainer) deliverAll(ctx context.Context, s *sender, rows []*tables.Row) Report {
	var (
		mu  sync.Mutex
		rep Report
		wg  sync.WaitGroup
	)
	work := make(chan *tables.Row)
	for range min(d.cfg.Workers, len(rows)) {
		wg.Go(func() {
			for r := range work {
				o := d.handle(ctx, s, r)
				mu.Lock()
				rep.add(o)
				mu.Unlock()
			}
		})
	}
	for _, r := range rows {
		if stopping(ctx) {
			break
		}
		work <- r
	}
	close(work)
	wg.Wait()
	return rep
}

// handle claims one row, delivers it and records the outcome.
func (d *Drainer) handle(ctx context.Context, s *sender, r *tables.Row) Report {
	attempt := r.Int(colAttempt) + 1
	ver, err := d.store.Update(ctx, tables.Outbox.Name, r.Key, r.Ver(), tables.Change{
		Set: tables.Cols{colState: StateSending, colOwner: d.cfg.ID, colAttempt: attempt,
			colDue: d.now().Add(d.cfg.Lease).UnixMilli()}})
	switch {
	case errors.Is(err, tables.ErrConflict), errors.Is(err, tables.ErrNotFound):
		return Report{Contended: 1}
	case err != nil:
		return Report{Unsettled: 1}
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	out := d.deliver(sctx, s, r, attempt)
	cancel()
	return d.record(context.WithoutCancel(ctx), r, ver, attempt, out)
}

// outcome is the result of one delivery attempt of a row.
type outcome struct {
	results map[string]string // recipient → outcome, including earlier attempts'
	taskID  string
	state   string // final state when err is nil
	reason  string
	err     error         // the attempt failed
	final   bool          // with err: retrying cannot help
	wait    time.Duration // with err: retry after this, not counting the attempt
}

// record writes o onto the row claimed at ver.
func (d *Drainer) record(ctx context.Context, r *tables.Row, ver, attempt int64,
	o outcome) Report {
	now := d.now()
	set := tables.Cols{colOwner: ""}
	if o.results != nil {
		set[colResults] = encodeResults(o.results)
	}
	ch := tables.Change{Set: set}
	var rep Report
	switch {
	case o.err == nil || o.final || (attempt >= int64(d.cfg.MaxAttempts) && o.wait == 0):
		state, reason := o.state, o.reason
		if o.err != nil {
			state, reason = StateDropped, o.err.Error()
			if !o.final {
				reason = fmt.Sprintf("gave up after %d attempts: %v", attempt, o.err)
			}
		}
		set[colState], set[colReason], set[colDone] = state, reason, now.UnixMilli()
		set[colTaskID] = o.taskID
		ch.Delete = []string{colDue}
		rep = finalReport(r, state)
	default:
		next := now.Add(d.backoff(attempt))
		if o.wait > 0 {
			next, set[colAttempt] = now.Add(o.wait), attempt-1
		}
		set[colState], set[colReason], set[colDue] = StateFailed, o.err.Error(),
			next.UnixMilli()
		rep = Report{Retried: 1}
	}
	rep.Claimed = 1
	if _, err := d.store.Update(ctx, tables.Outbox.Name, r.Key, ver, ch); err != nil {
		return Report{Claimed: 1, Unsettled: 1}
	}
	return rep
}

func finalReport(r *tables.Row, state string) Report {
	switch {
	case state == StateSent && r.String(colType) == string(kindDigest):
		return Report{Digests: 1}
	case state == StateSent:
		return Report{Sent: 1}
	case state == StateDigested:
		return Report{Digested: 1}
	}
	return Report{Dropped: 1}
}

// backoff is the wait after failed attempt n: Backoff doubled n-1 times, at
// most MaxBackoff, plus up to a tenth of jitter.
func (d *Drainer) backoff(n int64) time.Duration {
	b := d.cfg.Backoff
	for i := int64(1); i < n && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.cfg.MaxBackoff)
	return b + time.Duration(mrand.Int64N(int64(b)/10+1))
}
