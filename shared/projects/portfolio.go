package projects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/tables"
)

// The portfolio of an organization is kept beside its project rows, so that
// the executive view reads a fixed number of rows however many projects
// there are: portfolioShards rows of the portfolio table (tid, shard
// 0..15), each holding the summaries of the projects that hash to it
// (column entries, JSON) and the day the shard was last rebuilt (column
// day). Every summary write updates its project's entry; the first view of
// a day rebuilds every shard from the project rows, which also repairs
// entries a failed write left behind.
const (
	portfolioShards = 16
	colEntries      = "entries"
	colDay          = "day"
	maxShardRaces   = 32
)

// entry is one project in a portfolio shard.
type entry struct {
	Summary plan.Summary `json:"s"`
	On      plan.Date    `json:"d"` // the day Summary was computed for
	At      int64        `json:"t"` // when it was computed, ms; later wins
}

func portfolioKey(corp string, shard int) tables.Key {
	return tables.Key{tenant(corp), int64(shard)}
}

func shardOf(project string) int {
	h := fnv.New32a()
	h.Write([]byte(project))
	return int(h.Sum32() % portfolioShards)
}

// shard is one portfolio row as read.
type shard struct {
	entries map[string]entry
	day     plan.Date
	ver     int64 // 0 when the row does not exist
}

func shardFrom(row *tables.Row) (shard, error) {
	sh := shard{entries: map[string]entry{}}
	if row == nil {
		return sh, nil
	}
	sh.ver = row.Ver()
	sh.day, _ = plan.ParseDate(row.String(colDay))
	if js := row.String(colEntries); js != "" {
		if err := json.Unmarshal([]byte(js), &sh.entries); err != nil {
			return sh, fmt.Errorf("projects: portfolio shard %q: %w", row.Key.String(), err)
		}
	}
	return sh, nil
}

// Portfolio returns the summaries kept for corp, and whether every shard
// was rebuilt on day (otherwise the caller rebuilds: RebuildPortfolio). It
// is one batch read.
//
// TODO(#6): decoding every shard's JSON is most of an executive view's CPU
// (about 20 µs a project); keep the decoded entries of each shard by ver in
// the Store and decode only shards whose ver moved.
func (s *Store) Portfolio(ctx context.Context, corp string,
	day plan.Date) ([]plan.Summary, bool, error) {
	keys := make([]tables.Key, portfolioShards)
	for i := range keys {
		keys[i] = portfolioKey(corp, i)
	}
	res, err := s.db.BatchGet(ctx, tables.Portfolio.Name, keys)
	if err != nil {
		return nil, false, err
	}
	var out []plan.Summary
	complete := true
	for _, r := range res {
		sh, err := shardFrom(r.Row)
		if err != nil {
			return nil, false, err
		}
		complete = complete && sh.ver > 0 && sh.day == day
		for _, e := range sh.entries {
			out = append(out, e.Summary)
		}
	}
	slices.SortFunc(out,
		func(a, b plan.Summary) int { return strings.Compare(a.Project, b.Project) })
	return out, complete, nil
}

// putEntries merges es (by project) into shard i of corp, keeping the later
// of two entries for a project, and sets the shard's day when day is not
// zero. A lost race is retried against the row that won.
func (s *Store) putEntries(ctx context.Context, corp string, i int, es map[string]entry,
	day plan.Date) error {
	key := portfolioKey(corp, i)
	for range maxShardRaces {
		row, err := s.db.Get(ctx, tables.Portfolio.Name, key)
		if err != nil && !errors.Is(err, tables.ErrNotFound) {
			return err
		}
		sh, err := shardFrom(row)
		if err != nil {
			return err
		}
		if !merge(sh.entries, es) && (day == 0 || sh.day == day) {
			return nil
		}
		if day != 0 {
			sh.day = day
		}
		js, err := json.Marshal(sh.entries)
		if err != nil {
			return fmt.Errorf("projects: portfolio shard %q: %w", key.String(), err)
		}
		cols := tables.Cols{colEntries: string(js), colDay: sh.day.String()}
		if sh.ver == 0 {
			_, err = s.db.Create(ctx, tables.Portfolio.Name, key, cols)
		} else {
			_, err = s.db.Update(ctx, tables.Portfolio.Name, key, sh.ver, tables.Change{Set: cols})
		}
		if !errors.Is(err, tables.ErrConflict) && !errors.Is(err, tables.ErrExists) {
			return err
		}
	}
	return fmt.Errorf("projects: portfolio shard %q: %w: lost %d races", key.String(),
		tables.ErrConflict, maxShardRaces)
}

// merge puts each of es into dst unless dst holds a later entry; it reports
// whether dst changed.
func merge(dst, es map[string]entry) bool {
	changed := false
	for id, e := range es {
		if old, ok := dst[id]; ok && (old.At > e.At || old == e) {
			continue
		}
		dst[id] = e
		changed = true
	}
	return changed
}

// RebuildPortfolio stores sums (every project of corp, computed on day from
// rows read after since) as corp's portfolio, marking each shard rebuilt on
// day. Entries written after since are kept.
func (s *Store) RebuildPortfolio(ctx context.Context, corp string, sums []plan.Summary,
	day plan.Date, since time.Time) error {
	at := since.UnixMilli()
	byShard := make([]map[string]entry, portfolioShards)
	for i := range byShard {
		byShard[i] = map[string]entry{}
	}
	for _, sum := range sums {
		byShard[shardOf(sum.Project)][sum.Project] = entry{Summary: sum, On: day, At: at}
	}
	for i, es := range byShard {
		if err := s.putEntries(ctx, corp, i, es, day); err != nil {
			return err
		}
	}
	return nil
}

// putSummary keeps project id's entry of corp's portfolio up to date.
func (s *Store) putSummary(ctx context.Context, corp, id string, sum plan.Summary,
	day plan.Date) error {
	e := entry{Summary: sum, On: day, At: time.Now().UnixMilli()}
	return s.putEntries(ctx, corp, shardOf(id), map[string]entry{id: e}, 0)
}
