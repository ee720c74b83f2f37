package directory

import (
	"context"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/tables"
)

// RootDept is the id of every organization's root department.
const RootDept = 1

// Reconcile reads corp's whole directory from src (the department tree from
// the root, every department's members page by page, the external address
// book) and repairs the stored copy: rows that differ are rewritten, users
// no longer listed are deactivated and departments no longer listed are
// removed. Rows that already match are not written, so a second run changes
// nothing.
func (d *Directory) Reconcile(ctx context.Context, src Source, corp string) (Changes, error) {
	var ch Changes
	o, err := d.Org(ctx, corp)
	if err != nil {
		return ch, err
	}
	depts, err := d.walkDepts(ctx, src, corp)
	if err != nil {
		return ch, err
	}
	if err := d.putOrg(ctx, corp, tables.Cols{"name": depts[0].Name}); err != nil {
		return ch, err
	}
	seenDepts := map[int64]bool{}
	seenUsers := map[string]bool{}
	for _, dp := range depts {
		seenDepts[dp.ID] = true
		n, err := d.putDept(ctx, dp)
		ch.Depts += b2i(n)
		if err != nil {
			return ch, err
		}
		uc, err := d.reconcileMembers(ctx, src, corp, o.Policy, dp.ID, seenUsers)
		ch.add(uc)
		if err != nil {
			return ch, err
		}
	}
	n, err := d.deactivateMissing(ctx, corp, seenUsers, func(id string) bool {
		return !isExternalID(id)
	})
	ch.Deactivated += n
	if err != nil {
		return ch, err
	}
	if ch.Removed, err = d.removeMissingDepts(ctx, corp, seenDepts); err != nil {
		return ch, err
	}
	ec, err := d.SyncExternal(ctx, src, corp)
	ch.add(ec)
	return ch, err
}

// walkDepts lists the tree breadth first from the root, each department read
// in full (listsub leaves out the managers).
func (d *Directory) walkDepts(ctx context.Context, src Source, corp string) ([]Dept, error) {
	root, err := src.Department(ctx, RootDept)
	if err != nil {
		return nil, err
	}
	out := []Dept{deptFrom(corp, root)}
	for i := 0; i < len(out); i++ {
		subs, err := src.SubDepartments(ctx, out[i].ID)
		if err != nil {
			return nil, err
		}
		for _, s := range subs {
			full, err := src.Department(ctx, s.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, deptFrom(corp, full))
		}
	}
	return out, nil
}

// reconcileMembers stores the direct members of dept not stored yet in this
// run, adding them to seen.
func (d *Directory) reconcileMembers(ctx context.Context, src Source, corp string, p Policy,
	dept int64, seen map[string]bool) (Changes, error) {
	var ch Changes
	var cursor int64
	for {
		page, err := src.UsersPage(ctx, dept, cursor, dingtalk.MaxPageSize)
		if err != nil {
			return ch, err
		}
		for _, du := range page.Users {
			if seen[du.UserID] {
				continue
			}
			seen[du.UserID] = true
			n, err := d.putUser(ctx, memberFrom(corp, p, du))
			ch.Users += b2i(n)
			if err != nil {
				return ch, err
			}
		}
		if !page.HasMore || page.NextCursor == cursor {
			return ch, nil
		}
		cursor = page.NextCursor
	}
}

func (d *Directory) removeMissingDepts(ctx context.Context, corp string,
	seen map[int64]bool) (int, error) {
	all, err := d.Depts(ctx, corp)
	if err != nil {
		return 0, err
	}
	var gone []int64
	for _, dp := range all {
		if dp.Active && !seen[dp.ID] {
			gone = append(gone, dp.ID)
		}
	}
	ch, err := d.RemoveDepts(ctx, corp, gone)
	return ch.Removed, err
}
