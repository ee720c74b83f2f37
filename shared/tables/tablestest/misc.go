package tablestest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/tables"
)

func (s *suite) testMaxVersions(t *testing.T) {
	key := tables.Key{part(t), "v"}
	if _, err := s.store.Create(s.ctx, s.schema.multi, key,
		tables.Cols{"c": int64(0)}); err != nil {
		t.Fatalf("Create = %v", err)
	}
	for v := int64(1); v <= 4; v++ {
		time.Sleep(2 * time.Millisecond) // distinct millisecond versions
		if _, err := s.store.Update(s.ctx, s.schema.multi, key, v,
			tables.Change{Set: tables.Cols{"c": v}}); err != nil {
			t.Fatalf("Update(ver %d) = %v", v, err)
		}
	}
	row, err := s.store.Get(s.ctx, s.schema.multi, key, tables.MaxVersions(10))
	if err != nil {
		t.Fatalf("Get(MaxVersions 10) = %v", err)
	}
	cells := row.Versions["c"]
	if len(cells) != 3 {
		t.Fatalf("versions of c = %v, want the 3 the table keeps", cells)
	}
	for i, want := range []int64{4, 3, 2} {
		if cells[i].Value != want {
			t.Errorf("version %d of c = %v, want %d (newest first)", i, cells[i].Value, want)
		}
	}
	if row.Int("c") != 4 || row.Ver() != 5 {
		t.Errorf("latest c, ver = %d, %d; want 4, 5", row.Int("c"), row.Ver())
	}
}

func (s *suite) testTTL(t *testing.T) {
	key := tables.Key{part(t), "ttl"}
	if _, err := s.store.Create(s.ctx, s.schema.ttl, key, tables.Cols{"c": "x"}); err != nil {
		t.Fatalf("Create = %v", err)
	}
	if _, err := s.store.Get(s.ctx, s.schema.ttl, key); err != nil {
		t.Fatalf("Get(fresh) = %v", err)
	}
	if s.env.Advance == nil {
		t.Skip("expiry needs a controllable server clock, which only the emulator offers")
	}
	s.env.Advance(86400*time.Second - time.Minute)
	if row, err := s.store.Get(s.ctx, s.schema.ttl, key); err != nil || row.String("c") != "x" {
		t.Errorf("Get(just before ttl) = %v, %v; want the row", row, err)
	}
	s.env.Advance(2 * time.Minute)
	row, err := s.store.Get(s.ctx, s.schema.ttl, key)
	if err == nil && len(row.Cols) > 0 {
		t.Errorf("Get(after ttl) = %v, want no live columns", row.Cols)
	}
}

func (s *suite) testGlobalIndex(t *testing.T) {
	p := part(t)
	owner := "owner-" + p
	var ws []tables.Write
	for i, rank := range []int64{30, 10, 20} {
		ws = append(ws, tables.Write{Op: tables.OpCreate, Table: s.schema.gsi,
			Key:  tables.Key{p, fmt.Sprint("id", i)},
			Cols: tables.Cols{"owner": owner, "rank": rank, "title": fmt.Sprint("t", rank)}})
	}
	ws = append(ws, tables.Write{Op: tables.OpCreate, Table: s.schema.gsi,
		Key: tables.Key{p, "other"}, Cols: tables.Cols{"owner": owner + "x", "rank": int64(1)}})
	if _, err := s.store.BatchWrite(s.ctx, ws); err != nil {
		t.Fatalf("BatchWrite = %v", err)
	}
	deadline := time.Now().Add(s.env.Eventual)
	for {
		rows, _, err := s.store.Page(s.ctx, s.schema.gsiIndex,
			tables.Range{Prefix: tables.Key{owner}})
		if err != nil && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond) // a new index refuses reads while building
			continue
		}
		if err != nil {
			t.Fatalf("Page(index) = %v", err)
		}
		if len(rows) == 3 || time.Now().After(deadline) {
			var got []string
			for _, r := range rows {
				got = append(got, fmt.Sprintf("%v:%s", r.Key[1], r.String("title")))
			}
			if want := "10:t10 20:t20 30:t30"; strings.Join(got, " ") != want {
				t.Errorf("index rows = %v, want %s (by rank, with the projected title)", got, want)
			}
			if len(rows) > 0 && (len(rows[0].Key) != 4 || rows[0].Key[2] != p) {
				t.Errorf("index key = %v, want (owner, rank, part, id)", rows[0].Key)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *suite) testAutoIncrement(t *testing.T) {
	p := part(t)
	var prev int64 = -1 << 62
	var keys []tables.Key
	for i := range 5 {
		key, err := s.store.Create(s.ctx, s.schema.auto, tables.Key{p, tables.AutoInc},
			tables.Cols{"i": int64(i)})
		if err != nil {
			t.Fatalf("Create(auto) = %v", err)
		}
		seq, ok := key[1].(int64)
		if len(key) != 2 || key[0] != p || !ok || seq <= prev {
			t.Fatalf("Create(auto) key = %v, want (%s, seq > %d)", key, p, prev)
		}
		prev = seq
		keys = append(keys, key)
	}
	rows, _, err := s.store.Page(s.ctx, s.schema.auto, tables.Range{Prefix: tables.Key{p}})
	if err != nil || len(rows) != 5 {
		t.Fatalf("Page(auto) = %d rows, %v; want 5", len(rows), err)
	}
	for i, r := range rows {
		if r.Key[1] != keys[i][1] || r.Int("i") != int64(i) {
			t.Errorf("row %d = %v %v, want key %v in creation order", i, r.Key, r.Cols, keys[i])
		}
	}
	_, err = s.store.BatchWrite(s.ctx, []tables.Write{{Op: tables.OpPut, Table: s.schema.auto,
		Key: tables.Key{p, tables.AutoInc}}})
	wantErr(t, "BatchWrite(auto key)", err, tables.ErrInvalid, "auto-increment")
}

func (s *suite) testIdempotency(t *testing.T) {
	now := s.env.Now()
	clock := func() time.Time { return now }
	store, err := tables.New(s.env.Client, s.schema.all, tables.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	idem, key := s.schema.idem, tables.Key{part(t), "k1"}
	claim := func(hash string) (tables.Claim, error) {
		return store.Claim(s.ctx, idem, key, hash, time.Hour)
	}
	if c, err := claim("h1"); err != nil || !c.Fresh {
		t.Fatalf("Claim(new) = %+v, %v; want fresh", c, err)
	}
	if c, err := claim("h1"); err != nil || c.Fresh || c.State != tables.StatePending {
		t.Errorf("Claim(replay while pending) = %+v, %v; want pending replay", c, err)
	}
	_, err = claim("h2")
	wantErr(t, "Claim(other request, same key)", err, tables.ErrConflict, "different request")
	if err := store.Complete(s.ctx, idem, key, "h1", []byte("result-1")); err != nil {
		t.Fatalf("Complete = %v", err)
	}
	if err := store.Complete(s.ctx, idem, key, "h1", []byte("result-1")); err != nil {
		t.Errorf("Complete(again) = %v, want nil", err)
	}
	wantErr(t, "Complete(other hash)", store.Complete(s.ctx, idem, key, "h2", nil),
		tables.ErrConflict, "")
	c, err := claim("h1")
	if err != nil || c.Fresh || c.State != tables.StateDone || string(c.Result) != "result-1" {
		t.Errorf("Claim(replay after done) = %+v, %v; want done with result-1", c, err)
	}
	if err := store.Release(s.ctx, idem, key, "h1"); err != nil {
		t.Errorf("Release(done) = %v", err)
	}
	if c, _ := claim("h1"); c.State != tables.StateDone {
		t.Errorf("Release of a done key removed it: %+v", c)
	}
	now = now.Add(2 * time.Hour)
	if c, err := claim("h2"); err != nil || !c.Fresh {
		t.Errorf("Claim(after expiry) = %+v, %v; want fresh", c, err)
	}
	if err := store.Release(s.ctx, idem, key, "h2"); err != nil {
		t.Errorf("Release(pending) = %v", err)
	}
	if c, err := claim("h3"); err != nil || !c.Fresh {
		t.Errorf("Claim(after release) = %+v, %v; want fresh", c, err)
	}
}

// testRetriedWrites drops half the connections after the write committed, so
// the SDK resends requests that had landed: creates, updates, claims and
// deletes must still report success, and each update must apply once.
func (s *suite) testRetriedWrites(t *testing.T) {
	f := s.faults(t)
	p := part(t)
	f.SetDropAfterCommitRate(0.5)
	for i := range 20 {
		key := tables.Key{p, fmt.Sprint("w", i)}
		if _, err := s.store.Create(s.ctx, s.schema.kv, key,
			tables.Cols{"n": int64(0)}); err != nil {
			t.Fatalf("Create(dropped) #%d = %v, want nil", i, err)
		}
		for v := int64(1); v <= 3; v++ {
			if _, err := s.store.Update(s.ctx, s.schema.kv, key, v,
				tables.Change{Set: tables.Cols{"n": v}}); err != nil {
				t.Fatalf("Update(dropped, ver %d) #%d = %v, want nil", v, i, err)
			}
		}
		c, err := s.store.Claim(s.ctx, s.schema.idem, key, "h", time.Hour)
		if err != nil || !c.Fresh {
			t.Fatalf("Claim(dropped) #%d = %+v, %v; want fresh", i, c, err)
		}
		if err := s.store.Delete(s.ctx, s.schema.kv, key, 4); err != nil {
			t.Fatalf("Delete(dropped) #%d = %v, want nil", i, err)
		}
	}
	var created []any
	for i := range 20 {
		key, err := s.store.Create(s.ctx, s.schema.auto, tables.Key{p, tables.AutoInc},
			tables.Cols{"i": int64(i)})
		if err != nil {
			t.Fatalf("Create(auto, dropped) #%d = %v", i, err)
		}
		created = append(created, key[1])
	}
	f.Reset()
	rows, _, err := s.store.Page(s.ctx, s.schema.auto, tables.Range{Prefix: tables.Key{p}})
	if err != nil || len(rows) != len(created) {
		t.Fatalf("auto-increment rows after dropped creates = %d, %v; want %d", len(rows), err,
			len(created))
	}
	for i, r := range rows {
		if r.Key[1] != created[i] {
			t.Errorf("auto row %d key %v, want %v", i, r.Key[1], created[i])
		}
	}
}

// testLimits checks that each documented limit is enforced with
// Tablestore's error code, mapped to ErrInvalid.
func (s *suite) testLimits(t *testing.T) {
	p, kv, c := part(t), s.schema.kv, s.env.Client
	many := func(n int) tables.Cols {
		cols := tables.Cols{}
		for i := range n {
			cols[fmt.Sprint("c", i)] = int64(i)
		}
		return cols
	}
	names := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprint("c", i))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"primary-key string over 1 KB", func() error {
			return s.store.Put(s.ctx, kv, tables.Key{p, strings.Repeat("k", 1025)}, nil)
		}},
		{"attribute value over 2 MB", func() error {
			return s.store.Put(s.ctx, kv, tables.Key{p, "big"},
				tables.Cols{"v": strings.Repeat("v", 2<<20+1)})
		}},
		{"over 1024 columns in one write", func() error {
			return s.store.Put(s.ctx, kv, tables.Key{p, "wide"}, many(1025))
		}},
		{"row change over 4 MB", func() error {
			return s.store.Put(s.ctx, kv, tables.Key{p, "huge"}, tables.Cols{
				"a": strings.Repeat("a", 2<<20-64), "b": strings.Repeat("b", 2<<20-64),
				"c": strings.Repeat("c", 1024)})
		}},
		{"over 128 columns to get", func() error {
			_, err := s.store.Get(s.ctx, kv, tables.Key{p, "x"}, tables.Columns(names(129)...))
			return err
		}},
		{"primary-key type mismatch", func() error {
			return s.store.Put(s.ctx, s.schema.rng, tables.Key{p, "not-a-number"}, nil)
		}},
		{"over 200 rows in BatchWriteRow", func() error {
			return rawBatchWrite(c, kv, p, 201, false)
		}},
		{"duplicate key in BatchWriteRow", func() error {
			return rawBatchWrite(c, kv, p, 2, true)
		}},
		{"over 100 rows in BatchGetRow", func() error {
			return rawBatchGet(c, kv, p, 101)
		}},
		{"missing table", func() error {
			_, err := c.DescribeTable(&tablestore.DescribeTableRequest{TableName: "nope"})
			return tables.MapErr("describe", "nope", err)
		}},
	} {
		err := tc.do()
		if tc.name == "missing table" {
			wantErr(t, tc.name, err, tables.ErrNotFound, "OTSObjectNotExist")
			continue
		}
		wantErr(t, tc.name, err, tables.ErrInvalid, "OTS")
		t.Logf("%s: %v", tc.name, firstLine(err))
	}
}

func rawBatchWrite(c *tablestore.TableStoreClient, table, p string, n int, dup bool) error {
	req := &tablestore.BatchWriteRowRequest{}
	for i := range n {
		id := fmt.Sprint("b", i)
		if dup {
			id = "same"
		}
		ch := &tablestore.PutRowChange{TableName: table, PrimaryKey: pk(p, id)}
		ch.AddColumn("i", int64(i))
		ch.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
		req.AddRowChange(ch)
	}
	_, err := c.BatchWriteRow(req)
	return tables.MapErr("batch write", table, err)
}

func rawBatchGet(c *tablestore.TableStoreClient, table, p string, n int) error {
	q := &tablestore.MultiRowQueryCriteria{TableName: table, MaxVersion: 1}
	for i := range n {
		q.AddRow(pk(p, fmt.Sprint("g", i)))
	}
	_, err := c.BatchGetRow(&tablestore.BatchGetRowRequest{
		MultiRowQueryCriteria: []*tablestore.MultiRowQueryCriteria{q}})
	return tables.MapErr("batch get", table, err)
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// testCapacityUnits checks billing the way Tablestore charges: a write of up
// to 4 KB costs 1 write unit, 5 KB costs 2, a read of a 1 KB row 1 read unit.
func (s *suite) testCapacityUnits(t *testing.T) {
	if s.env.Usage == nil {
		t.Skip("capacity accounting is exposed only by the emulator")
	}
	kv, p := s.schema.kv, part(t)
	measure := func(what string, do func() error) (int64, int64) {
		t.Helper()
		r0, w0 := s.env.Usage(kv)
		if err := do(); err != nil {
			t.Fatalf("%s = %v", what, err)
		}
		r1, w1 := s.env.Usage(kv)
		return r1 - r0, w1 - w0
	}
	for _, tc := range []struct {
		name        string
		do          func() error
		read, write int64
	}{
		{"put 1 KB", func() error {
			return s.store.Put(s.ctx, kv, tables.Key{p, "1k"},
				tables.Cols{"v": strings.Repeat("x", 1000)})
		}, 0, 1},
		{"put 5 KB", func() error {
			return s.store.Put(s.ctx, kv, tables.Key{p, "5k"},
				tables.Cols{"v": strings.Repeat("x", 5000)})
		}, 0, 2},
		{"get 1 KB", func() error {
			_, err := s.store.Get(s.ctx, kv, tables.Key{p, "1k"})
			return err
		}, 1, 0},
		{"get 5 KB", func() error {
			_, err := s.store.Get(s.ctx, kv, tables.Key{p, "5k"})
			return err
		}, 2, 0},
	} {
		r, w := measure(tc.name, tc.do)
		if r != tc.read || w != tc.write {
			t.Errorf("%s cost read %d, write %d; want %d, %d", tc.name, r, w, tc.read, tc.write)
		}
	}
	if err := s.store.Delete(s.ctx, kv, tables.Key{p, "1k"}, 0); errors.Is(err, tables.ErrInvalid) {
		t.Errorf("Delete = %v", err)
	}
}
