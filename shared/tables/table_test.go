package tables

import (
	"strings"
	"testing"
)

func TestTenantKey(t *testing.T) {
	for _, tc := range []struct{ corp, want string }{
		{"ding123", "53c9:ding123"}, // md5("ding123") = 53c9...
		{"", "d41d:"},               // md5("") = d41d8cd9...
	} {
		if got := TenantKey(tc.corp); got != tc.want {
			t.Errorf("TenantKey(%q) = %q, want %q", tc.corp, got, tc.want)
		}
	}
}

func TestAllTablesValid(t *testing.T) {
	seen := map[string]bool{}
	for _, tb := range All {
		if err := tb.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v", tb.Name, err)
		}
		if tb.Doc == "" {
			t.Errorf("table %s has no Doc", tb.Name)
		}
		if first := tb.PrimaryKey[0]; first.Type != String {
			t.Errorf("table %s leads with %s %v, want a salted String key", tb.Name,
				first.Name, first.Type)
		}
		for _, n := range append([]string{tb.Name}, indexNames(tb)...) {
			if seen[n] {
				t.Errorf("name %s used twice", n)
			}
			seen[n] = true
		}
	}
	if len(seen) > 64 {
		t.Errorf("%d tables and indexes, Tablestore allows 64 per instance", len(seen))
	}
	for _, tb := range []Table{Idem, Dedupe} {
		if tb.TTL < 86400 {
			t.Errorf("%s TTL = %d, want >= 86400", tb.Name, tb.TTL)
		}
	}
}

func indexNames(t Table) []string {
	var out []string
	for _, ix := range t.Indexes {
		out = append(out, ix.Name)
	}
	return out
}

func TestValidate(t *testing.T) {
	base := func() Table {
		return Table{Name: "t", TTL: Forever, MaxVersions: 1,
			PrimaryKey: []PKColumn{{Name: "a", Type: String}, {Name: "b", Type: Integer}},
			Defined:    []Column{{Name: "c", Type: String}, {Name: "d", Type: Double}}}
	}
	for _, tc := range []struct {
		name   string
		change func(*Table)
		want   string // "" = valid
	}{
		{"ok", func(*Table) {}, ""},
		{"bad name", func(t *Table) { t.Name = "1t" }, "invalid name"},
		{"no key", func(t *Table) { t.PrimaryKey = nil }, "want 1 to 4"},
		{"five keys", func(t *Table) {
			t.PrimaryKey = append(t.PrimaryKey, PKColumn{"x", String, false},
				PKColumn{"y", String, false}, PKColumn{"z", String, false})
		}, "want 1 to 4"},
		{"double key", func(t *Table) { t.PrimaryKey[1].Type = Double }, "type"},
		{"auto first", func(t *Table) { t.PrimaryKey[0] = PKColumn{"a", Integer, true} },
			"auto-increment"},
		{"auto string", func(t *Table) { t.PrimaryKey[1] = PKColumn{"b", String, true} },
			"auto-increment"},
		{"auto ok", func(t *Table) { t.PrimaryKey[1].AutoIncrement = true }, ""},
		{"short ttl", func(t *Table) { t.TTL = 3600 }, "ttl"},
		{"no versions", func(t *Table) { t.MaxVersions = 0 }, "max versions"},
		{"dup column", func(t *Table) { t.Defined[0].Name = "a" }, "defined column"},
		{"index ok", func(t *Table) { t.Indexes = []Index{{"ix", []string{"c"}, []string{"d"}}} },
			""},
		{"index on double", func(t *Table) { t.Indexes = []Index{{"ix", []string{"d"}, nil}} },
			"not a key or defined"},
		{"index unknown", func(t *Table) { t.Indexes = []Index{{"ix", []string{"zz"}, nil}} },
			"not a key or defined"},
		{"index with versions", func(t *Table) {
			t.MaxVersions = 2
			t.Indexes = []Index{{"ix", []string{"c"}, nil}}
		}, "max versions 1"},
		{"index with ttl", func(t *Table) {
			t.TTL = 86400
			t.Indexes = []Index{{"ix", []string{"c"}, nil}}
		}, "ttl -1"},
	} {
		tb := base()
		tc.change(&tb)
		err := tb.Validate()
		if (err == nil) != (tc.want == "") ||
			(err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestIndexTable(t *testing.T) {
	it, ok := Member.IndexTable("member_by_user")
	if !ok {
		t.Fatal("IndexTable(member_by_user) not found")
	}
	var got []string
	for _, pk := range it.PrimaryKey {
		got = append(got, pk.Name)
	}
	if want := "uidh tid project_id uid"; strings.Join(got, " ") != want {
		t.Errorf("member_by_user key = %v, want %s", got, want)
	}
	if _, ok := Member.IndexTable("nope"); ok {
		t.Errorf("IndexTable(nope) ok = true")
	}
}

func TestBounds(t *testing.T) {
	tb := &Table{PrimaryKey: []PKColumn{{"a", String, false}, {"b", Integer, false},
		{"c", String, false}}}
	for _, tc := range []struct {
		r          Range
		start, end string
	}{
		{Range{}, "-inf/-inf/-inf", "+inf/+inf/+inf"},
		{Range{Prefix: Key{"x"}}, "x/-inf/-inf", "x/+inf/+inf"},
		{Range{Prefix: Key{"x"}, Backward: true}, "x/+inf/+inf", "x/-inf/-inf"},
		{Range{Prefix: Key{"x"}, Start: Key{"x", 5}}, "x/5/-inf", "x/+inf/+inf"},
		{Range{Start: Key{"x", 5}, End: Key{"x", 9}}, "x/5/-inf", "x/9/-inf"},
		{Range{Start: Key{"x", 9}, End: Key{"x", 5}, Backward: true}, "x/9/+inf", "x/5/+inf"},
	} {
		start, end, err := bounds(tb, tc.r)
		if err != nil || start.String() != tc.start || end.String() != tc.end {
			t.Errorf("bounds(%+v) = %v, %v, %v; want %s, %s", tc.r, start, end, err,
				tc.start, tc.end)
		}
	}
	if _, _, err := bounds(tb, Range{Prefix: Key{1, 2, 3, 4}}); err == nil {
		t.Errorf("bounds(4-part prefix on 3-part key) = nil error")
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"TABLESTORE_ENDPOINT": "http://127.0.0.1:1",
		"TABLESTORE_INSTANCE": "xietong", "ALIBABA_CLOUD_ACCESS_KEY_ID": "ak"}
	_, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "ALIBABA_CLOUD_ACCESS_KEY_SECRET") {
		t.Errorf("ConfigFromEnv(no secret) = %v, want it to name the variable", err)
	}
	env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "sk"
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || cfg.Instance != "xietong" || cfg.AccessKeySecret != "sk" {
		t.Errorf("ConfigFromEnv = %+v, %v", cfg, err)
	}
}

func TestValidName(t *testing.T) {
	long := strings.Repeat("a", 255)
	tests := []struct {
		name string
		want bool
	}{
		{"task", true}, {"_x9", true}, {"Ab_1", true}, {long, true},
		{"", false}, {"9lives", false}, {"a-b", false}, {"表", false}, {long + "a", false},
	}
	for _, tt := range tests {
		if got := validName(tt.name); got != tt.want {
			t.Errorf("validName(%.20q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
