package ledger

import (
	"bytes"
	"context"
	"fmt"
	"sync"
)

// TreeState is the integrated state of the tree: its size and root hash.
type TreeState struct {
	Size uint64
	Root []byte
}

// Sequencer orders entries and records integration progress (Tablestore in
// production). Implementations are safe for concurrent use by many processes.
type Sequencer interface {
	// Assign durably stores entries as one batch at the contiguous indexes
	// [first, first+len(entries)) and returns first. Indexes are never
	// reused or skipped.
	Assign(ctx context.Context, entries [][]byte) (first uint64, err error)
	// Sequenced returns up to max sequenced entries starting at index from;
	// an empty result means none are waiting. It may fail with ErrConflict
	// when from is below an integrated size recorded since the caller read
	// the state.
	Sequenced(ctx context.Context, from uint64, max int) ([][]byte, error)
	// State returns the integrated tree state; a new log has size 0.
	State(ctx context.Context) (TreeState, error)
	// SetState records next as the integrated state if the current state is
	// still old, and fails with ErrConflict otherwise. Entries below next.Size
	// may then be forgotten.
	SetState(ctx context.Context, old, next TreeState) error
	// RaisePublished records raw, a checkpoint of size, as the latest
	// published unless a larger one is recorded, atomically, and returns
	// the one recorded afterwards (raw itself, or the larger one). One of
	// the same size is replaced: a later Publish of a size adds
	// cosignatures. Publish relies on it so that two publishers racing
	// never leave the smaller checkpoint as the latest.
	RaisePublished(ctx context.Context, size uint64, raw []byte) ([]byte, error)
	// Published returns the checkpoint recorded last, or nil if none is.
	Published(ctx context.Context) ([]byte, error)
}

// MemSequencer is an in-memory Sequencer. The zero value is ready to use.
type MemSequencer struct {
	mu      sync.Mutex
	base    uint64 // index of pending[0]
	pending [][]byte
	state   TreeState
	pubSize uint64
	pub     []byte // the latest published checkpoint
}

var _ Sequencer = (*MemSequencer)(nil)

// RaisePublished implements Sequencer.
func (m *MemSequencer) RaisePublished(_ context.Context, size uint64, raw []byte) ([]byte,
	error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pub == nil || size >= m.pubSize {
		m.pubSize, m.pub = size, bytes.Clone(raw)
	}
	return bytes.Clone(m.pub), nil
}

// Published implements Sequencer.
func (m *MemSequencer) Published(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.pub), nil
}

// Assign implements Sequencer.
func (m *MemSequencer) Assign(ctx context.Context, entries [][]byte) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	first := m.base + uint64(len(m.pending))
	for _, e := range entries {
		m.pending = append(m.pending, bytes.Clone(e))
	}
	return first, nil
}

// Sequenced implements Sequencer.
func (m *MemSequencer) Sequenced(ctx context.Context, from uint64, max int) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if from < m.base {
		return nil, fmt.Errorf("ledger: sequenced %d: already integrated to %d: %w",
			from, m.base, ErrConflict)
	}
	off := from - m.base
	if off >= uint64(len(m.pending)) {
		return nil, nil
	}
	end := min(off+uint64(max), uint64(len(m.pending)))
	out := make([][]byte, 0, end-off)
	for _, e := range m.pending[off:end] {
		out = append(out, bytes.Clone(e))
	}
	return out, nil
}

// State implements Sequencer.
func (m *MemSequencer) State(ctx context.Context) (TreeState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return TreeState{Size: m.state.Size, Root: bytes.Clone(m.state.Root)}, nil
}

// SetState implements Sequencer.
func (m *MemSequencer) SetState(ctx context.Context, old, next TreeState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state.Size != old.Size || !bytes.Equal(m.state.Root, old.Root) {
		return fmt.Errorf("ledger: set state %d: %w", next.Size, ErrConflict)
	}
	if next.Size < old.Size || next.Size > m.base+uint64(len(m.pending)) {
		return fmt.Errorf("ledger: set state %d: size out of range: %w", next.Size, ErrConflict)
	}
	drop := next.Size - m.base
	m.pending = append([][]byte(nil), m.pending[drop:]...)
	m.base = next.Size
	m.state = TreeState{Size: next.Size, Root: bytes.Clone(next.Root)}
	return nil
}
