package tablestest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/xietong/xietong/shared/tables"
)

func (s *suite) creates(p string, from, to int) []tables.Write {
	var ws []tables.Write
	for i := from; i < to; i++ {
		ws = append(ws, tables.Write{Op: tables.OpCreate, Table: s.schema.kv,
			Key: tables.Key{p, fmt.Sprintf("r%04d", i)}, Cols: tables.Cols{"i": int64(i)}})
	}
	return ws
}

// testBatchWrite writes 450 rows (three requests) and then a batch whose rows
// fail independently: creates of existing rows, stale and missing updates.
func (s *suite) testBatchWrite(t *testing.T) {
	p := part(t)
	errs, err := s.store.BatchWrite(s.ctx, s.creates(p, 0, 450))
	if err != nil {
		t.Fatalf("BatchWrite(450 creates) = %v", err)
	}
	if len(errs) != 450 {
		t.Fatalf("BatchWrite returned %d results, want 450", len(errs))
	}
	mixed := s.creates(p, 445, 455) // 445..449 exist
	mixed = append(mixed,
		tables.Write{Op: tables.OpUpdate, Table: s.schema.kv, Key: tables.Key{p, "r0001"},
			Ver: 1, Cols: tables.Cols{"i": int64(-1)}},
		tables.Write{Op: tables.OpUpdate, Table: s.schema.kv, Key: tables.Key{p, "r0002"},
			Ver: 5, Cols: tables.Cols{"i": int64(-1)}},
		tables.Write{Op: tables.OpUpdate, Table: s.schema.kv, Key: tables.Key{p, "none"},
			Ver: 1},
		tables.Write{Op: tables.OpDelete, Table: s.schema.kv, Key: tables.Key{p, "r0003"},
			Ver: 1},
		tables.Write{Op: tables.OpDelete, Table: s.schema.kv, Key: tables.Key{p, "r0004"},
			Ver: 9},
		tables.Write{Op: tables.OpPut, Table: s.schema.rng, Key: tables.Key{p, int64(1)}},
	)
	errs, err = s.store.BatchWrite(s.ctx, mixed)
	if err == nil {
		t.Fatalf("BatchWrite(mixed) error = nil, want a summary of failed rows")
	}
	want := []error{tables.ErrExists, tables.ErrExists, tables.ErrExists, tables.ErrExists,
		tables.ErrExists, nil, nil, nil, nil, nil,
		nil, tables.ErrConflict, tables.ErrNotFound, nil, tables.ErrConflict, nil}
	for i, w := range want {
		if (w == nil) != (errs[i] == nil) || (w != nil && !errors.Is(errs[i], w)) {
			t.Errorf("BatchWrite(mixed)[%d] %v %v = %v, want %v", i, mixed[i].Op,
				mixed[i].Key, errs[i], w)
		}
	}
	if row, err := s.store.Get(s.ctx, s.schema.kv, tables.Key{p, "r0001"}); err != nil ||
		row.Int("i") != -1 || row.Ver() != 2 {
		t.Errorf("row r0001 after batch update = %v, %v; want i -1, ver 2", row, err)
	}
	_, err = s.store.Get(s.ctx, s.schema.kv, tables.Key{p, "r0003"})
	wantErr(t, "Get(batch-deleted row)", err, tables.ErrNotFound, "")
}

func (s *suite) testBatchGet(t *testing.T) {
	p := part(t)
	if _, err := s.store.BatchWrite(s.ctx, s.creates(p, 0, 240)); err != nil {
		t.Fatalf("BatchWrite = %v", err)
	}
	var keys []tables.Key
	for i := 0; i < 250; i++ { // 240..249 do not exist
		keys = append(keys, tables.Key{p, fmt.Sprintf("r%04d", i)})
	}
	keys = append(keys, tables.Key{p}) // malformed: one part
	res, err := s.store.BatchGet(s.ctx, s.schema.kv, keys)
	if err == nil || !errors.Is(err, tables.ErrInvalid) {
		t.Errorf("BatchGet error = %v, want a summary wrapping ErrInvalid", err)
	}
	for i, r := range res[:250] {
		switch {
		case r.Err != nil:
			t.Errorf("BatchGet[%d] = %v", i, r.Err)
		case i < 240 && (r.Row == nil || r.Row.Int("i") != int64(i)):
			t.Errorf("BatchGet[%d] = %v, want row with i %d", i, r.Row, i)
		case i >= 240 && r.Row != nil:
			t.Errorf("BatchGet[%d] = %v, want nil (missing)", i, r.Row)
		}
	}
	if !errors.Is(res[250].Err, tables.ErrInvalid) {
		t.Errorf("BatchGet[malformed] = %v, want ErrInvalid", res[250].Err)
	}
}

// testBatchFaults runs batches while a third of requests are throttled and
// some writes drop their connection after committing: every row must land
// exactly once with no false failure, which shows that only the failed rows
// were sent again and that resent rows recognise their own earlier success.
func (s *suite) testBatchFaults(t *testing.T) {
	f := s.faults(t)
	p := part(t)
	f.SetThrottleRate(0.3)
	f.SetDropAfterCommitRate(0.2)
	errs, err := s.store.BatchWrite(s.ctx, s.creates(p, 0, 300))
	if err != nil {
		t.Fatalf("BatchWrite(300 creates, faults) = %v", err)
	}
	var ups []tables.Write
	for i := 0; i < 300; i += 3 {
		ups = append(ups, tables.Write{Op: tables.OpUpdate, Table: s.schema.kv,
			Key: tables.Key{p, fmt.Sprintf("r%04d", i)}, Ver: 1, Cols: tables.Cols{"u": true}})
	}
	if errs, err = s.store.BatchWrite(s.ctx, ups); err != nil {
		t.Fatalf("BatchWrite(100 updates, faults) = %v (%d results)", err, len(errs))
	}
	var keys []tables.Key
	for i := 0; i < 300; i++ {
		keys = append(keys, tables.Key{p, fmt.Sprintf("r%04d", i)})
	}
	res, err := s.store.BatchGet(s.ctx, s.schema.kv, keys)
	if err != nil {
		t.Fatalf("BatchGet(faults) = %v", err)
	}
	f.Reset()
	for i, r := range res {
		wantVer := int64(1)
		if i%3 == 0 {
			wantVer = 2
		}
		if r.Row == nil || r.Row.Ver() != wantVer || r.Row.Int("i") != int64(i) {
			t.Errorf("row %d after faulty batches = %v, want ver %d", i, r.Row, wantVer)
		}
	}
}
