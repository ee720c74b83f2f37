package witness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// ErrStale means a state update was based on an old checkpoint that is no
// longer the latest.
var ErrStale = errors.New("stale state")

// Latest is the latest checkpoint a witness cosigned for one log.
type Latest struct {
	Size uint64 `json:"size"`
	Root []byte `json:"root"`
}

// State keeps the latest cosigned checkpoint per log origin.
// Implementations are safe for concurrent use.
type State interface {
	// Latest returns the latest checkpoint for origin, and ok false when the
	// witness has never seen it.
	Latest(origin string) (l Latest, ok bool, err error)
	// Advance records next for origin if the stored latest is still prev
	// (zero Latest with ok false for a new origin), and fails with ErrStale
	// otherwise.
	Advance(origin string, prev, next Latest) error
}

// MemState is an in-memory State. The zero value is ready to use.
type MemState struct {
	mu   sync.Mutex
	logs map[string]Latest
}

var _ State = (*MemState)(nil)

// Latest implements State.
func (m *MemState) Latest(origin string) (Latest, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.logs[origin]
	return l, ok, nil
}

// Advance implements State.
func (m *MemState) Advance(origin string, prev, next Latest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logs == nil {
		m.logs = make(map[string]Latest)
	}
	if err := checkPrev(origin, m.logs, prev); err != nil {
		return err
	}
	m.logs[origin] = next
	return nil
}

func checkPrev(origin string, logs map[string]Latest, prev Latest) error {
	cur := logs[origin]
	if cur.Size != prev.Size || !bytes.Equal(cur.Root, prev.Root) {
		return fmt.Errorf("witness: advance %q: %w", origin, ErrStale)
	}
	return nil
}

// FileState is a State kept in one JSON file, rewritten atomically (temp file,
// fsync, rename) on every change. It is safe for concurrent use within one
// process; two processes must not share a file.
type FileState struct {
	path string
	mu   sync.Mutex
	logs map[string]Latest
}

var _ State = (*FileState)(nil)

// OpenFileState loads the state file at path, or starts empty if it does not
// exist.
func OpenFileState(path string) (*FileState, error) {
	fs := &FileState{path: path, logs: make(map[string]Latest)}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness: open state %q: %w", path, err)
	}
	if err := json.Unmarshal(data, &fs.logs); err != nil {
		return nil, fmt.Errorf("witness: open state %q: %w", path, err)
	}
	return fs, nil
}

// Latest implements State.
func (f *FileState) Latest(origin string) (Latest, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.logs[origin]
	return l, ok, nil
}

// Advance implements State.
func (f *FileState) Advance(origin string, prev, next Latest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := checkPrev(origin, f.logs, prev); err != nil {
		return err
	}
	old, had := f.logs[origin]
	f.logs[origin] = next
	if err := f.save(); err != nil {
		if had {
			f.logs[origin] = old
		} else {
			delete(f.logs, origin)
		}
		return fmt.Errorf("witness: advance %q: %w", origin, err)
	}
	return nil
}

func (f *FileState) save() error {
	data, err := json.MarshalIndent(f.logs, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".witness-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}
