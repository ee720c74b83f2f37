package ledgerstore

import (
	"context"
	"sync"
)

// committer merges concurrent AssignOnce calls of one process into shared
// batch rows. One caller at a time leads: it takes what is queued (within
// the batch limits), places it and hands the lead to the next caller still
// waiting.
type committer struct {
	mu      sync.Mutex
	queue   []*waiter
	leading bool
}

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
	c.queue = append(c.queue, w)
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

// flush places one batch from the head of the queue, then passes the lead.
func (c *committer) flush(ctx context.Context, place func(context.Context, []*member)) {
	c.mu.Lock()
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
