// Package timers fires FC timer triggers on their cron expressions.
//
// Expressions are FC's: six fields with seconds ("0 0 4 * * *") in UTC unless prefixed
// with CRON_TZ=<zone>, or a descriptor such as "@every 4m". Each firing calls a function
// with the FC timer event {"triggerTime","triggerName","payload"}.
package timers

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one timer trigger.
type Job struct {
	Function string
	Trigger  string
	Cron     string
	Payload  string
}

// FireFunc runs one firing; it gets the event payload to deliver.
type FireFunc func(ctx context.Context, j Job, event []byte)

var parser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom |
	cron.Month | cron.Dow | cron.Descriptor)

// Parse parses an FC cron expression.
func Parse(expr string) (cron.Schedule, error) {
	s, err := parser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("timers: parse %q: %w", expr, err)
	}
	return s, nil
}

// Event returns the FC timer event for j fired at t.
func Event(j Job, t time.Time) []byte {
	b, _ := json.Marshal(struct {
		TriggerTime string `json:"triggerTime"`
		TriggerName string `json:"triggerName"`
		Payload     string `json:"payload"`
	}{t.UTC().Format(time.RFC3339), j.Trigger, j.Payload})
	return b
}

// Scheduler runs jobs on their schedules until Stop.
type Scheduler struct {
	c    *cron.Cron
	fire FireFunc
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	ids  map[cron.EntryID]Job
}

// New parses every job's expression and returns a stopped scheduler.
func New(jobs []Job, fire FireFunc) (*Scheduler, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		c:    cron.New(cron.WithParser(parser), cron.WithLocation(time.UTC)),
		fire: fire,
		ctx:  ctx,
		stop: cancel,
		ids:  map[cron.EntryID]Job{},
	}
	for _, j := range jobs {
		sched, err := Parse(j.Cron)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("timers: job %s/%s: %w", j.Function, j.Trigger, err)
		}
		id := s.c.Schedule(sched, cron.FuncJob(func() { s.run(j, time.Now()) }))
		s.ids[id] = j
	}
	return s, nil
}

func (s *Scheduler) run(j Job, t time.Time) {
	s.wg.Add(1)
	defer s.wg.Done()
	s.fire(s.ctx, j, Event(j, t.Truncate(time.Second)))
}

// Start begins firing jobs.
func (s *Scheduler) Start() { s.c.Start() }

// Stop stops the schedule, cancels running firings' context and waits for them.
func (s *Scheduler) Stop() {
	s.stop()
	<-s.c.Stop().Done()
	s.wg.Wait()
}

// Next returns when each job fires next, keyed "function/trigger".
func (s *Scheduler) Next() map[string]time.Time {
	out := map[string]time.Time{}
	for _, e := range s.c.Entries() {
		j := s.ids[e.ID]
		out[j.Function+"/"+j.Trigger] = e.Next
	}
	return out
}
