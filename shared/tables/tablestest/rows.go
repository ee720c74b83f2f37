package tablestest

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/tables"
)

func (s *suite) testVerify(t *testing.T) {
	if err := tables.Verify(s.ctx, s.env.Client, s.schema.all); err != nil {
		t.Fatalf("Verify(suite tables) = %v, want nil", err)
	}
	changed := append([]tables.Table{}, s.schema.all...)
	changed[0].TTL = 2 * 86400
	changed[4].Defined = append(changed[4].Defined[:3:3], tables.Column{Name: "extra",
		Type: tables.Integer})
	changed[4].Indexes = append(changed[4].Indexes[:1:1], tables.Index{Name: s.env.Prefix + "nope",
		PrimaryKey: []string{"owner"}})
	changed[5].PrimaryKey = []tables.PKColumn{{Name: "part", Type: tables.String},
		{Name: "n", Type: tables.String}}
	changed = append(changed, tables.Table{Name: s.env.Prefix + "absent", MaxVersions: 1,
		TTL: tables.Forever, PrimaryKey: []tables.PKColumn{{Name: "a", Type: tables.String}}})
	err := tables.Verify(s.ctx, s.env.Client, changed)
	var drift *tables.DriftError
	if !errors.As(err, &drift) {
		t.Fatalf("Verify(changed) = %v, want a *DriftError", err)
	}
	for _, want := range []string{
		s.schema.kv + ": ttl: declared 172800, live -1",
		s.schema.gsi + `: defined column "extra": missing`,
		s.schema.gsi + `: index "` + s.env.Prefix + `nope": missing`,
		s.schema.rng + ": primary key: declared (part String, n String), " +
			"live (part String, n Integer)",
		s.env.Prefix + "absent: missing",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Verify(changed) = %v\nwant a line %q", err, want)
		}
	}
	if len(drift.Diffs) != 5 {
		t.Errorf("Verify(changed) found %d differences, want 5:\n%v", len(drift.Diffs), err)
	}
	if err := tables.Create(s.ctx, s.env.Client, s.schema.all); err != nil {
		t.Errorf("Create(existing tables) = %v, want nil (idempotent)", err)
	}
}

func (s *suite) testCRUD(t *testing.T) {
	kv, p, ctx := s.schema.kv, part(t), s.ctx
	key := tables.Key{p, "a"}
	if _, err := s.store.Create(ctx, kv, key, tables.Cols{"title": "first"}); err != nil {
		t.Fatalf("Create = %v", err)
	}
	row, err := s.store.Get(ctx, kv, key)
	if err != nil || row.Ver() != 1 || row.String("title") != "first" {
		t.Fatalf("Get after Create = %+v, %v; want ver 1, title first", row, err)
	}
	_, err = s.store.Create(ctx, kv, key, tables.Cols{"title": "again"})
	wantErr(t, "Create(existing)", err, tables.ErrExists, `tables: create "`+kv+"/"+p+`/a": `)
	ver, err := s.store.Update(ctx, kv, key, 1, tables.Change{Set: tables.Cols{"title": "second",
		"n": 7}})
	if err != nil || ver != 2 {
		t.Fatalf("Update(ver 1) = %d, %v; want 2, nil", ver, err)
	}
	_, err = s.store.Update(ctx, kv, key, 1, tables.Change{Set: tables.Cols{"title": "stale"}})
	wantErr(t, "Update(stale ver)", err, tables.ErrConflict, "version 1, current 2")
	_, err = s.store.Update(ctx, kv, tables.Key{p, "missing"}, 1, tables.Change{})
	wantErr(t, "Update(missing row)", err, tables.ErrNotFound, "")
	if _, err := s.store.Update(ctx, kv, key, 2, tables.Change{Delete: []string{"n"}}); err != nil {
		t.Fatalf("Update(delete column) = %v", err)
	}
	row, _ = s.store.Get(ctx, kv, key)
	if row.Has("n") || row.String("title") != "second" || row.Ver() != 3 {
		t.Errorf("after delete column: %+v; want title second, no n, ver 3", row.Cols)
	}
	wantErr(t, "Delete(stale ver)", s.store.Delete(ctx, kv, key, 2), tables.ErrConflict, "")
	if err := s.store.Delete(ctx, kv, key, 3); err != nil {
		t.Fatalf("Delete(ver 3) = %v", err)
	}
	_, err = s.store.Get(ctx, kv, key)
	wantErr(t, "Get(deleted)", err, tables.ErrNotFound, "")
	wantErr(t, "Delete(missing, ver 3)", s.store.Delete(ctx, kv, key, 3), tables.ErrNotFound, "")
	if err := s.store.Delete(ctx, kv, key, 0); err != nil {
		t.Errorf("Delete(missing, any ver) = %v, want nil", err)
	}
	if err := s.store.Put(ctx, kv, key, tables.Cols{"title": "put"}); err != nil {
		t.Fatalf("Put = %v", err)
	}
	_, err = s.store.Update(ctx, kv, key, 1, tables.Change{Set: tables.Cols{"title": "x"}})
	wantErr(t, "Update(row without ver)", err, tables.ErrConflict, "")
}

func (s *suite) testRowTypes(t *testing.T) {
	key := tables.Key{part(t), "types"}
	in := tables.Cols{"s": "文字", "i": int64(-42), "b": []byte{0, 1, 255}, "t": true, "f": 2.5}
	if _, err := s.store.Create(s.ctx, s.schema.kv, key, in); err != nil {
		t.Fatalf("Create = %v", err)
	}
	row, err := s.store.Get(s.ctx, s.schema.kv, key)
	if err != nil {
		t.Fatalf("Get = %v", err)
	}
	if row.String("s") != "文字" || row.Int("i") != -42 || !bytes.Equal(row.Bytes("b"),
		[]byte{0, 1, 255}) || !row.Bool("t") || row.Float("f") != 2.5 {
		t.Errorf("Get = %#v, want %#v", row.Cols, in)
	}
	if len(row.Key) != 2 || row.Key[0] != key[0] || row.Key[1] != "types" {
		t.Errorf("Get key = %v, want %v", row.Key, key)
	}
	row, err = s.store.Get(s.ctx, s.schema.kv, key, tables.Columns("s"))
	if err != nil || len(row.Cols) != 1 || row.String("s") != "文字" {
		t.Errorf("Get(Columns(s)) = %v, %v; want only s", row, err)
	}
	_, err = s.store.Get(s.ctx, s.schema.kv, tables.Key{"too", "many", "parts"})
	wantErr(t, "Get(3-part key)", err, tables.ErrInvalid, "")
	_, err = s.store.Get(s.ctx, "no_such_table", key)
	wantErr(t, "Get(unknown table)", err, tables.ErrInvalid, "unknown table")
}

// testConditions checks every outcome of a row condition: each existence
// expectation against a present and an absent row, a column condition that
// passes and fails, a missing column with and without filter-if-missing, and
// latest-version-only against an older matching version.
func (s *suite) testConditions(t *testing.T) {
	c, p := s.env.Client, part(t)
	multi := s.schema.multi
	put := func(id string, ver int64) {
		ch := &tablestore.UpdateRowChange{TableName: multi, PrimaryKey: pk(p, id)}
		ch.PutColumn("ver", ver)
		ch.SetCondition(tablestore.RowExistenceExpectation_IGNORE)
		if _, err := c.UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: ch}); err != nil {
			t.Fatalf("UpdateRow(%s) = %v", id, err)
		}
		time.Sleep(2 * time.Millisecond) // distinct millisecond versions
	}
	put("present", 1)
	put("present", 2) // ver has versions 2 (latest) and 1
	cond := func(v int64, ifMissing, latest bool, col string) tablestore.ColumnFilter {
		sc := tablestore.NewSingleColumnCondition(col, tablestore.CT_EQUAL, v)
		sc.FilterIfMissing, sc.LatestVersionOnly = ifMissing, latest
		return sc
	}
	ignore, exist := tablestore.RowExistenceExpectation_IGNORE,
		tablestore.RowExistenceExpectation_EXPECT_EXIST
	notExist := tablestore.RowExistenceExpectation_EXPECT_NOT_EXIST
	for _, tc := range []struct {
		name   string
		id     string
		expect tablestore.RowExistenceExpectation
		col    tablestore.ColumnFilter
		pass   bool
	}{
		{"ignore/present", "present", ignore, nil, true},
		{"ignore/absent", "absent", ignore, nil, true},
		{"exist/present", "present", exist, nil, true},
		{"exist/absent", "absent", exist, nil, false},
		{"not-exist/present", "present", notExist, nil, false},
		{"not-exist/absent", "absent", notExist, nil, true},
		{"column equal", "present", exist, cond(2, true, true, "ver"), true},
		{"column differs", "present", exist, cond(3, true, true, "ver"), false},
		{"missing column, filter-if-missing", "present", exist, cond(2, true, true, "x"), false},
		{"missing column, pass-if-missing", "present", exist, cond(2, false, true, "x"), true},
		{"older version, latest only", "present", exist, cond(1, true, true, "ver"), false},
		{"older version, any version", "present", exist, cond(1, true, false, "ver"), true},
		{"absent row, pass-if-missing", "absent", ignore, cond(1, false, true, "ver"), true},
		{"absent row, filter-if-missing", "absent", ignore, cond(1, true, true, "ver"), false},
	} {
		ch := &tablestore.UpdateRowChange{TableName: multi, PrimaryKey: pk(p, tc.id)}
		ch.PutColumn("probe", tc.name)
		ch.SetCondition(tc.expect)
		if tc.col != nil {
			ch.SetColumnCondition(tc.col)
		}
		_, err := c.UpdateRow(&tablestore.UpdateRowRequest{UpdateRowChange: ch})
		var oe *tablestore.OtsError
		failed := errors.As(err, &oe) && oe.Code == "OTSConditionCheckFail"
		if err != nil && !failed {
			t.Errorf("%s: UpdateRow = %v, want nil or OTSConditionCheckFail", tc.name, err)
		} else if failed == tc.pass {
			t.Errorf("%s: UpdateRow = %v, want pass=%v", tc.name, err, tc.pass)
		}
		if tc.id == "absent" && err == nil {
			del := &tablestore.DeleteRowChange{TableName: multi, PrimaryKey: pk(p, "absent")}
			del.SetCondition(ignore)
			c.DeleteRow(&tablestore.DeleteRowRequest{DeleteRowChange: del})
		}
	}
}

func (s *suite) testIncrement(t *testing.T) {
	key := tables.Key{part(t), "counter"}
	for want := int64(1); want <= 3; want++ {
		got, err := s.store.Increment(s.ctx, s.schema.kv, key, "n", 1)
		if err != nil || got != want {
			t.Fatalf("Increment #%d = %d, %v; want %d", want, got, err, want)
		}
	}
	if got, err := s.store.Increment(s.ctx, s.schema.kv, key, "n", -10); err != nil || got != -7 {
		t.Errorf("Increment(-10) = %d, %v; want -7", got, err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := s.store.Increment(s.ctx, s.schema.kv, key, "n", 2); err != nil {
					t.Errorf("concurrent Increment = %v", err)
				}
			}
		}()
	}
	wg.Wait()
	row, err := s.store.Get(s.ctx, s.schema.kv, key)
	if err != nil || row.Int("n") != 93 {
		t.Errorf("after 50 concurrent +2: n = %d, %v; want 93", row.Int("n"), err)
	}
	if err := s.store.Put(s.ctx, s.schema.kv, key, tables.Cols{"n": "text"}); err != nil {
		t.Fatalf("Put = %v", err)
	}
	_, err = s.store.Increment(s.ctx, s.schema.kv, key, "n", 1)
	wantErr(t, "Increment(string column)", err, tables.ErrInvalid, "OTSParameterInvalid")
}

func pk(parts ...any) *tablestore.PrimaryKey {
	names := []string{"part", "id"}
	k := new(tablestore.PrimaryKey)
	for i, v := range parts {
		k.AddPrimaryKeyColumn(names[i], v)
	}
	return k
}

// wantErr fails t unless err wraps sentinel and its message contains text.
func wantErr(t *testing.T, what string, err, sentinel error, text string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s = %v, want %v", what, err, sentinel)
		return
	}
	if !strings.Contains(err.Error(), text) {
		t.Errorf("%s = %q, want it to contain %q", what, err, text)
	}
}
