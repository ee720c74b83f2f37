package ledgerstore

import "sync"

// recentMaxBytes bounds the entry bytes a Sequencer keeps in recent.
const recentMaxBytes = 16 << 20

// recent holds the batch rows a Sequencer wrote lately, by start, so that
// Sequenced in the same process (the ledger function's timer, in the
// instance that took the submissions) need not read them back from
// Tablestore. Batch rows never change once written, so a row held here is
// the row at its start for good; positions not held are read as before.
// Rows leave when integrated past, or oldest first beyond recentMaxBytes.
type recent struct {
	mu     sync.Mutex
	starts map[uint64]*batch // by start
	ends   map[uint64]uint64 // start of the held row ending at each key
	order  []uint64          // starts, oldest first
	bytes  int
}

// add holds b, whose entries must not be changed by anyone after.
func (r *recent) add(b *batch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.starts == nil {
		r.starts, r.ends = make(map[uint64]*batch), make(map[uint64]uint64)
	}
	if _, ok := r.starts[b.start]; ok {
		return
	}
	r.starts[b.start], r.ends[b.end()] = b, b.start
	r.order = append(r.order, b.start)
	r.bytes += b.size()
	for r.bytes > recentMaxBytes && len(r.order) > 0 {
		r.drop(r.order[0])
		r.order = r.order[1:]
	}
}

// at returns the held row starting at pos, if any.
func (r *recent) at(pos uint64) *batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.starts[pos]
}

// endsAt reports whether a held row ends at pos: pos is then a chain
// position, since batch rows are only written at chain positions.
func (r *recent) endsAt(pos uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ends[pos]
	return ok
}

// forget drops the rows that end at or before size, except the one ending
// at size itself, which tells Sequenced where the next row starts.
func (r *recent) forget(size uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.order[:0]
	for _, start := range r.order {
		if b := r.starts[start]; b.end() < size {
			r.drop(start)
		} else {
			kept = append(kept, start)
		}
	}
	r.order = kept
}

// drop removes the row starting at start; r.mu is held.
func (r *recent) drop(start uint64) {
	b := r.starts[start]
	if b == nil {
		return
	}
	delete(r.starts, start)
	if r.ends[b.end()] == start {
		delete(r.ends, b.end())
	}
	r.bytes -= b.size()
}
