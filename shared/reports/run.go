package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/xietong/xietong/shared/outbox"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// Result is what one run did.
type Result struct {
	Corp       string `json:"corp"`
	Kind       Kind   `json:"kind"`
	Period     string `json:"period"`
	Recipients int    `json:"recipients"` // reports the period has
	Served     int    `json:"served"`     // reports delivered by this run
	Skipped    int    `json:"skipped"`    // reports an earlier run delivered
	Refused    int    `json:"refused"`    // reports the outbox refused as invalid
	Done       bool   `json:"done"`       // every recipient is served
	// Already is set when an earlier run had finished the period.
	Already bool `json:"already"`
	// RowsRead counts the Tablestore rows this run read.
	RowsRead int64 `json:"rowsRead"`
	// RowsByTable splits RowsRead by table, the profile of a run's reads.
	RowsByTable map[string]int64 `json:"rowsByTable,omitempty"`
	// Unreadable lists the projects left out because their rows do not
	// make a valid plan, each with the reason.
	Unreadable []string `json:"unreadable,omitempty"`
}

// Progress states.
const (
	stateRunning = "running"
	stateDone    = "done"
)

// progress is the row of one run (kind and period) of an organization.
type progress struct {
	State    string
	Cursor   string // the last recipient served, in recipient order
	Served   int64
	Attempts int64
	Started  time.Time
}

func progressKey(corp string, k Kind, period string) tables.Key {
	return tables.Key{tables.TenantKey(corp), fmt.Sprintf("r/%s/%s", k, period)}
}

func (s *Service) readProgress(ctx context.Context, corp string, k Kind,
	period string, rows *counter) (progress, error) {
	row, err := s.db.Get(ctx, tables.Report.Name, progressKey(corp, k, period))
	if errors.Is(err, tables.ErrNotFound) {
		return progress{}, nil
	}
	if err != nil {
		return progress{}, err
	}
	rows.add(tables.Report.Name, 1)
	return progress{State: row.String("state"), Cursor: row.String("cursor"),
		Served: row.Int("served"), Attempts: row.Int("attempts"),
		Started: fromMS(row.Int("started_ms"))}, nil
}

func (s *Service) saveProgress(ctx context.Context, corp string, k Kind, period string,
	p progress) error {
	return s.db.Put(ctx, tables.Report.Name, progressKey(corp, k, period), tables.Cols{
		"state": p.State, "cursor": p.Cursor, "served": p.Served, "attempts": p.Attempts,
		"started_ms": p.Started.UnixMilli(), "updated_ms": s.cfg.Now().UnixMilli()})
}

// near reports whether ctx's deadline is within the margin.
func (s *Service) near(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && dl.Sub(s.cfg.Now()) < s.cfg.Margin
}

// Run sends corp's reports of kind for the period that at falls in (see
// Period). A period already finished sends nothing; a run near its
// deadline saves its cursor and returns ErrResume with what it did.
func (s *Service) Run(ctx context.Context, corp string, k Kind, at time.Time) (Result, error) {
	if !k.Valid() {
		return Result{}, fmt.Errorf("reports: run %q: unknown kind", k)
	}
	period := Period(k, at)
	res := Result{Corp: corp, Kind: k, Period: period}
	rows := &counter{}
	defer func() { res.RowsRead = rows.n.Load() }()
	prog, err := s.readProgress(ctx, corp, k, period, rows)
	if err != nil {
		return res, err
	}
	if prog.State == stateDone {
		res.Done, res.Already, res.RowsRead = true, true, rows.n.Load()
		return res, nil
	}
	if s.near(ctx) {
		return res, ErrResume
	}
	prog.Attempts++
	if prog.Started.IsZero() {
		prog.Started = s.cfg.Now()
	}
	c, err := s.composer(ctx, corp, k, at, period, rows)
	if err != nil {
		return res, err
	}
	res.Unreadable = c.org.Unreadable
	res, err = s.serve(ctx, c, prog, res)
	res.RowsRead, res.RowsByTable = rows.n.Load(), rows.tables()
	return res, err
}

// composer loads what kind k needs of corp.
func (s *Service) composer(ctx context.Context, corp string, k Kind, at time.Time,
	period string, rows *counter) (*composer, error) {
	today := plan.DateOf(at)
	logsFrom := today + 1 // none
	if k == Weekly {
		logsFrom = today - hoursDays
	}
	l := &loader{db: s.db, store: s.store, rows: rows}
	org, err := l.load(ctx, corp, today, logsFrom)
	if err != nil {
		return nil, err
	}
	c := &composer{org: org, kind: k, period: period, appURL: s.cfg.AppURL,
		staff: &dirStaff{Managers: map[string][]string{}}}
	if k != Daily {
		if c.staff, err = l.staff(ctx, s.dir, corp); err != nil {
			return nil, err
		}
	}
	if k == Monthly {
		if org.Evaluations, err = l.evaluations(ctx, corp); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// renderers compose reports ahead of delivery, in parallel: rendering
// charts is most of a run's work. Delivery stays in recipient order, so the
// cursor keeps its meaning.
const renderers = 2

// composed is a job's draft once composed.
type composed struct {
	d   *draft
	err error
}

// serve delivers the reports after the cursor, checkpointing every
// s.cfg.Every recipients and when the deadline nears.
func (s *Service) serve(ctx context.Context, c *composer, prog progress,
	res Result) (Result, error) {
	corp, k, period := c.org.Corp, c.kind, c.period
	jobs := c.jobs()
	res.Recipients = len(jobs)
	var todo []job
	for _, j := range jobs {
		if j.recipient <= prog.Cursor {
			res.Skipped++
		} else {
			todo = append(todo, j)
		}
	}
	drafts := composeAhead(todo)
	defer drafts.stop()
	prog.State = stateRunning
	for i, j := range todo {
		if s.near(ctx) {
			err := s.saveProgress(context.WithoutCancel(ctx), corp, k, period, prog)
			return res, cmp.Or(err, ErrResume)
		}
		cd := drafts.take(i)
		if cd.err != nil {
			return res, cd.err
		}
		if _, err := s.deliver(ctx, cd.d); errors.Is(err, outbox.ErrInvalid) {
			res.Refused++ // the outbox will never take it; retrying cannot help
		} else if err != nil {
			return res, err
		}
		prog.Cursor, prog.Served = j.recipient, prog.Served+1
		res.Served++
		if res.Served%s.cfg.Every == 0 {
			if err := s.saveProgress(ctx, corp, k, period, prog); err != nil {
				return res, err
			}
		}
	}
	prog.State = stateDone
	if err := s.saveProgress(ctx, corp, k, period, prog); err != nil {
		return res, err
	}
	res.Done = true
	return res, nil
}

// ahead composes jobs on renderers goroutines, at most 2×renderers jobs
// ahead of the reader, who takes job i's draft from out[i] and then calls
// taken. stop ends the goroutines and waits for them.
type ahead struct {
	out    []chan composed
	tokens chan struct{}
	quit   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

func composeAhead(jobs []job) *ahead {
	a := &ahead{out: make([]chan composed, len(jobs)),
		tokens: make(chan struct{}, 2*renderers), quit: make(chan struct{})}
	for i := range a.out {
		a.out[i] = make(chan composed, 1)
	}
	next := make(chan int)
	for range renderers {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			for i := range next {
				d, err := jobs[i].compose()
				a.out[i] <- composed{d, err}
			}
		}()
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(next)
		for i := range jobs {
			select {
			case a.tokens <- struct{}{}:
			case <-a.quit:
				return
			}
			select {
			case next <- i:
			case <-a.quit:
				return
			}
		}
	}()
	return a
}

// take returns the draft of job i once composed.
func (a *ahead) take(i int) composed {
	cd := <-a.out[i]
	<-a.tokens
	return cd
}

func (a *ahead) stop() { a.once.Do(func() { close(a.quit); a.wg.Wait() }) }
