package reports

import (
	"context"
	"slices"
	"strconv"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

// dirStaff is what a run knows of an organization's directory: its
// executives and its department managers with the departments they see.
type dirStaff struct {
	Executives []string            // uids, sorted
	Managers   map[string][]string // uid → department ids (managed and below)
	Names      map[string]string   // uid → name
}

func (l *loader) staff(ctx context.Context, dir *directory.Directory,
	corp string) (*dirStaff, error) {
	overrides := map[string]string{}
	rg := tenantRange(corp)
	rg.Columns = []string{directory.ColOrgRole}
	err := l.scan(ctx, tables.User.Name, rg, func(r *tables.Row) error {
		overrides[keyPart(r.Key, 1)] = r.String(directory.ColOrgRole)
		return nil
	})
	if err != nil {
		return nil, err
	}
	depts, err := dir.Depts(ctx, corp)
	if err != nil {
		return nil, err
	}
	l.rows.add(tables.Dept.Name, len(depts))
	kids := map[int64][]int64{}
	for _, d := range depts {
		if d.Active {
			kids[d.ParentID] = append(kids[d.ParentID], d.ID)
		}
	}
	st := &dirStaff{Managers: map[string][]string{}, Names: map[string]string{}}
	for u, err := range dir.Users(ctx, corp) {
		if err != nil {
			return nil, err
		}
		l.rows.add(tables.User.Name, 1)
		if !u.Active || u.Kind == directory.KindExternal {
			continue
		}
		st.Names[u.UID()] = u.Name
		role := u.OrgRole(overrides[u.UserID])
		if role == access.Executive {
			st.Executives = append(st.Executives, u.UID())
		}
		if (role == access.Executive || role == access.DeptManager) && u.Manager() {
			st.Managers[u.UID()] = subtree(u.LeaderOf, kids)
		}
	}
	slices.Sort(st.Executives)
	return st, nil
}

// subtree lists roots and every department below them, as decimal ids.
func subtree(roots []int64, kids map[int64][]int64) []string {
	seen := map[int64]bool{}
	queue := slices.Clone(roots)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if !seen[id] {
			seen[id] = true
			queue = append(queue, kids[id]...)
		}
	}
	ids := make([]int64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}
