package reports

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xietong/xietong/shared/tables"
)

// sayings are what reports say: its lines and figures, by recipient.
type sayings map[string]struct {
	Title   string
	Lines   []string
	Figures map[string]int64
}

// composeAll composes every report of kind k at the seed's clock, and
// returns them with the rows read by table.
func (st *stack) composeAll(t *testing.T, k Kind) (sayings, map[string]int64) {
	t.Helper()
	at := start
	if k == Weekly {
		at = start.AddDate(0, 0, 4)
	}
	rows := &counter{}
	c, err := st.svc.composer(context.Background(), uni, k, at, Period(k, at), rows)
	if err != nil {
		t.Fatal(err)
	}
	out := sayings{}
	for _, j := range c.jobs() {
		d, err := j.compose()
		if err != nil {
			t.Fatalf("%s: %v", j.recipient, err)
		}
		out[j.recipient] = struct {
			Title   string
			Lines   []string
			Figures map[string]int64
		}{d.Title, d.lines, d.Figures}
	}
	return out, rows.tables()
}

// TestReportsFromRosterMatchRows composes every report three ways: from
// the member and milestone rows (every roster made stale),
// from the rosters once rebuilt, and with one roster stale again. The
// reports are the same each time, and the member and milestone rows read
// are only those of projects without a current roster.
func TestReportsFromRosterMatchRows(t *testing.T) {
	st := newStack(t, Config{})
	st.seed(t)
	ctx := context.Background()
	projectsIn := []string{"p-portal", "p-infra", "p-old"}
	rebuild := func() {
		for _, id := range projectsIn {
			if err := st.store.RebuildRoster(ctx, uni, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	stale := func(ids ...string) func() {
		return func() {
			for _, id := range ids {
				_, err := st.db.Increment(ctx, tables.Project.Name,
					tables.Key{tables.TenantKey(uni), id}, "roster_gen", 1)
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// The portal has 4 members and 2 milestones, the infra project 2 and 1,
	// the closed one 1 and 0.
	steps := []struct {
		name                string
		change              func()
		members, milestones int64
	}{
		{"rows", stale(projectsIn...), 7, 3},
		{"rosters", rebuild, 0, 0},
		{"portal roster stale", stale("p-portal"), 4, 2},
	}
	want := map[Kind]sayings{}
	for i, s := range steps {
		s.change()
		for _, k := range []Kind{Daily, Weekly, Monthly} {
			got, rows := st.composeAll(t, k)
			if i == 0 {
				want[k] = got
				if len(got) == 0 {
					t.Fatalf("%s: no reports composed", k)
				}
			} else if diff := cmp.Diff(want[k], got); diff != "" {
				t.Errorf("%s, %s: reports differ from those of the rows (-rows +now):\n%s",
					k, s.name, diff)
			}
			if rows[tables.Member.Name] != s.members ||
				rows[tables.Milestone.Name] != s.milestones {
				t.Errorf("%s, %s: read %d member and %d milestone rows, want %d and %d", k,
					s.name, rows[tables.Member.Name], rows[tables.Milestone.Name], s.members,
					s.milestones)
			}
		}
	}
	got, _ := st.composeAll(t, Weekly)
	if _, ok := got[AudienceGroup+":"+portalChat]; !ok {
		t.Errorf("weekly reports %v, want one to the portal's chat %s", keys(got), portalChat)
	}
}
