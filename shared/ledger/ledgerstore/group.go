package ledgerstore

import (
	"context"
	"sync"
	"time"
)

// committer merges concurrent AssignOnce calls of one process into shared
// batch rows. One caller at a time leads: it takes what is queued (within
// the batch limits), places it and hands the lead to the next caller still
// waiting.
//
// Under load a leader lingers: when the last batch had several callers, it
// waits while callers keep arriving (each within lingerGap of the last, at
// most maxLinger in all) until the queue holds a full batch, so that
// callers coming back right after a batch do not split the next one into a
// small and a large row. A lone caller never waits.
type committer struct {
	mu      sync.Mutex
	queue   []*waiter
	queued  int // entries in queue
	bytes   int // their encoded size
	leading bool
	busy    bool          // the last batch had more than one caller
	full    chan struct{} // signalled when the queue holds a full batch
	last    time.Time     // when the latest caller joined the queue
}

// Bounds of a leader's linger. Callers released by a batch come back within
// a millisecond or two on a busy 2-core instance; a gap of 1 ms cut about
// one batch in sixteen short, and each short batch costs a whole commit.
const (
	maxLinger = 5 * time.Millisecond
	lingerGap = 2 * time.Millisecond
)

type waiter struct {
	m    *member
	size int
	done chan struct{}
	lead chan struct{}
}

// assign queues m and returns its first index once a leader (this caller,
// or another) has placed it with place.
func (c *committer) assign(ctx context.Context, m *member,
	place func(context.Context, []*member)) (uint64, error) {
	w := &waiter{m: m, size: batchSize(m.entries),
		done: make(chan struct{}), lead: make(chan struct{}, 1)}
	c.mu.Lock()
	if c.full == nil {
		c.full = make(chan struct{}, 1)
	}
	c.queue = append(c.queue, w)
	c.queued, c.bytes = c.queued+len(m.entries), c.bytes+w.size
	c.last = time.Now()
	if c.isFull() {
		signal(c.full)
	}
	if !c.leading {
		c.leading = true
		w.lead <- struct{}{}
	}
	c.mu.Unlock()
	for {
		select {
		case <-w.done:
			return m.first, m.err
		case <-w.lead:
			c.flush(ctx, place)
		}
	}
}

// isFull reports whether the queue holds a full batch; c.mu is held.
func (c *committer) isFull() bool {
	return c.queued >= MaxBatchEntries || c.bytes >= MaxBatchBytes
}

// signal wakes whoever waits on ch, if it is not signalled already.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// linger waits, if the committer is busy, until a full batch is queued, no
// caller has joined for lingerGap, maxLinger passes or ctx ends. Callers do
// not wake the leader as they join: it sleeps until lingerGap after the
// latest arrival it knows of and then looks again, so a burst of callers
// costs it a few wake-ups, not one each.
func (c *committer) linger(ctx context.Context) {
	c.mu.Lock()
	wait, last := c.busy && !c.isFull(), c.last
	c.mu.Unlock()
	if !wait {
		return
	}
	end := time.Now().Add(maxLinger)
	t := time.NewTimer(min(time.Until(last.Add(lingerGap)), time.Until(end)))
	defer t.Stop()
	for {
		select {
		case <-c.full:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		last = c.last
		c.mu.Unlock()
		next := min(time.Until(last.Add(lingerGap)), time.Until(end))
		if next <= 0 {
			return
		}
		t.Reset(next)
	}
}

// flush places one batch from the head of the queue, then passes the lead.
func (c *committer) flush(ctx context.Context, place func(context.Context, []*member)) {
	c.linger(ctx)
	c.mu.Lock()
	select {
	case <-c.full: // Drained: a stale signal must not cut the next linger short.
	default:
	}
	n, count, size := 0, 0, 0
	for n < len(c.queue) {
		q := c.queue[n]
		if n > 0 && (count+len(q.m.entries) > MaxBatchEntries || size+q.size > MaxBatchBytes) {
			break
		}
		count, size = count+len(q.m.entries), size+q.size
		n++
	}
	group := c.queue[:n:n]
	c.queue = c.queue[n:]
	c.queued, c.bytes = c.queued-count, c.bytes-size
	c.busy = n > 1 || len(c.queue) > 0
	c.mu.Unlock()

	ms := make([]*member, len(group))
	for i, q := range group {
		ms[i] = q.m
	}
	place(context.WithoutCancel(ctx), ms)
	for _, q := range group {
		close(q.done)
	}

	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].lead <- struct{}{}
	} else {
		c.leading = false
	}
	c.mu.Unlock()
}

// batchSize is the encoded size of entries in a batch row.
func batchSize(entries [][]byte) int {
	n := 0
	for _, e := range entries {
		n += 2 + len(e)
	}
	return n
}
