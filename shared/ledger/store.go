package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Sentinel errors returned by the log and its storage interfaces; test for
// them with errors.Is.
var (
	// ErrNotFound means an object, entry or sequenced batch does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a write lost a race or would change an immutable object.
	ErrConflict = errors.New("conflict")
	// ErrCorrupt means stored data does not have the shape the layout requires.
	ErrCorrupt = errors.New("corrupt")
	// ErrTooLarge means an entry exceeds MaxEntrySize.
	ErrTooLarge = errors.New("entry too large")
	// ErrFork means publishing would sign a checkpoint inconsistent with the
	// one already published.
	ErrFork = errors.New("checkpoint would fork the log")
)

// ObjectStore holds the log's tiles, entry bundles and checkpoint (OSS in
// production). Implementations are safe for concurrent use.
type ObjectStore interface {
	// Put stores data at path. An immutable object is written once: putting
	// byte-identical data again succeeds, different data fails with
	// ErrConflict. A mutable object is overwritten.
	Put(ctx context.Context, path string, data []byte, immutable bool) error
	// Get returns the object at path, or an error wrapping ErrNotFound.
	Get(ctx context.Context, path string) ([]byte, error)
}

// MemStore is an in-memory ObjectStore. The zero value is ready to use.
type MemStore struct {
	mu      sync.Mutex
	objects map[string][]byte
}

var _ ObjectStore = (*MemStore)(nil)

// Put implements ObjectStore.
func (m *MemStore) Put(ctx context.Context, path string, data []byte, immutable bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objects == nil {
		m.objects = make(map[string][]byte)
	}
	if old, ok := m.objects[path]; ok && immutable && !bytes.Equal(old, data) {
		return fmt.Errorf("ledger: put %q: %w", path, ErrConflict)
	}
	m.objects[path] = bytes.Clone(data)
	return nil
}

// Get implements ObjectStore.
func (m *MemStore) Get(ctx context.Context, path string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.objects[path]
	if !ok {
		return nil, fmt.Errorf("ledger: get %q: %w", path, ErrNotFound)
	}
	return bytes.Clone(data), nil
}

// Paths returns the stored paths in sorted order.
func (m *MemStore) Paths() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.objects))
}

// Delete removes the object at path; it exists for tests that damage a log.
func (m *MemStore) Delete(path string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, path)
}

// Errors of checkpoint and receipt verification.
var (
	// ErrSignature means a checkpoint is not validly signed by the log key,
	// or a known key's signature on it is invalid.
	ErrSignature = errors.New("bad signature")
	// ErrOrigin means a checkpoint names another log.
	ErrOrigin = errors.New("wrong origin")
	// ErrInclusion means an entry and inclusion proof do not lead to the
	// checkpoint's root.
	ErrInclusion = errors.New("inclusion proof does not match")
)
