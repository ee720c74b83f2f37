package directory

import (
	"context"
	"slices"

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
// nothing. It is ReconcileStep run to the end in one call.
func (d *Directory) Reconcile(ctx context.Context, src Source, corp string) (Changes, error) {
	var cur ReconcileCursor
	for !cur.Done() {
		var err error
		if cur, err = d.ReconcileStep(ctx, src, corp, cur, 0); err != nil {
			return cur.Changes, err
		}
	}
	return cur.Changes, nil
}

// Reconcile phases, in order.
const (
	phaseStart    = ""
	phaseWalk     = "walk"
	phaseMembers  = "members"
	phaseSweep    = "sweep"
	phaseExternal = "external"
	phaseDone     = "done"
)

// ReconcileCursor is how far a reconcile has got, so that one too large for
// a single invocation runs in steps across several, the cursor stored in
// between. The zero value starts a reconcile. It is plain data, encodable as
// JSON.
type ReconcileCursor struct {
	Phase string `json:"phase"`
	// Depts are the departments found so far, breadth first from the root;
	// Depts[:Walked] have had their children listed.
	Depts  []int64 `json:"depts,omitempty"`
	Walked int     `json:"walked,omitempty"`
	// Member indexes the department whose members are read next, from page
	// cursor Cursor.
	Member int   `json:"member,omitempty"`
	Cursor int64 `json:"cursor,omitempty"`
	// Seen are the members stored by this reconcile so far.
	Seen []string `json:"seen,omitempty"`
	// Changes counts what the reconcile has written so far.
	Changes Changes `json:"changes"`
}

// Done reports whether the reconcile has finished.
func (c ReconcileCursor) Done() bool { return c.Phase == phaseDone }

// ReconcileStep continues the reconcile of corp at cur and returns the
// cursor to continue from. It stops after the first unit of work that
// brings its DingTalk reads to at least calls (calls <= 0: no limit), or at
// the end of a phase. A unit (reading the root, listing one department's
// children and reading each, one page of one department's members, the
// sweep of users and departments no longer listed, the external address
// book) is done whole; after an error the returned cursor is cur itself, and
// repeating the step repeats only writes that change nothing.
//
// TODO(#5): Seen grows with the organization (about 20 bytes a member), and
// the external address book is one unit however long it is.
func (d *Directory) ReconcileStep(ctx context.Context, src Source, corp string,
	cur ReconcileCursor, calls int) (ReconcileCursor, error) {
	next := cur.clone()
	cs := &countingSource{Source: src}
	var err error
	switch cur.Phase {
	case phaseStart:
		err = d.reconcileRoot(ctx, cs, corp, &next)
	case phaseWalk:
		err = d.reconcileWalk(ctx, cs, corp, &next, calls)
	case phaseMembers:
		err = d.reconcileMembers(ctx, cs, corp, &next, calls)
	case phaseSweep:
		err = d.reconcileSweep(ctx, corp, &next)
	case phaseExternal:
		var ch Changes
		ch, err = d.SyncExternal(ctx, cs, corp)
		next.Changes.add(ch)
		next.Phase = phaseDone
	default:
		return cur, nil
	}
	if err != nil {
		return cur, err
	}
	return next, nil
}

func (c ReconcileCursor) clone() ReconcileCursor {
	c.Depts = slices.Clone(c.Depts)
	c.Seen = slices.Clone(c.Seen)
	return c
}

// countingSource counts the reads made through it.
type countingSource struct {
	Source
	n int
}

// Department counts one read and reads the department.
func (s *countingSource) Department(ctx context.Context,
	id int64) (dingtalk.Department, error) {
	s.n++
	return s.Source.Department(ctx, id)
}

// SubDepartments counts one read and reads the sub-departments.
func (s *countingSource) SubDepartments(ctx context.Context,
	id int64) ([]dingtalk.Department, error) {
	s.n++
	return s.Source.SubDepartments(ctx, id)
}

// UsersPage counts one read and reads a page of users.
func (s *countingSource) UsersPage(ctx context.Context, dept, cursor int64,
	size int) (dingtalk.UserPage, error) {
	s.n++
	return s.Source.UsersPage(ctx, dept, cursor, size)
}

func (s *countingSource) within(calls int) bool { return calls <= 0 || s.n < calls }

// reconcileRoot reads the root department, which names the organization.
func (d *Directory) reconcileRoot(ctx context.Context, src Source, corp string,
	next *ReconcileCursor) error {
	root, err := src.Department(ctx, RootDept)
	if err != nil {
		return err
	}
	if err := d.putOrg(ctx, corp, tables.Cols{"name": root.Name}); err != nil {
		return err
	}
	n, err := d.putDept(ctx, deptFrom(corp, root))
	if err != nil {
		return err
	}
	next.Changes.Depts += b2i(n)
	next.Depts, next.Phase = []int64{root.ID}, phaseWalk
	return nil
}

// reconcileWalk lists children of walked departments, each read in full
// (listsub leaves out the managers) and stored.
func (d *Directory) reconcileWalk(ctx context.Context, src *countingSource, corp string,
	next *ReconcileCursor, calls int) error {
	for next.Walked < len(next.Depts) && src.within(calls) {
		subs, err := src.SubDepartments(ctx, next.Depts[next.Walked])
		if err != nil {
			return err
		}
		for _, s := range subs {
			if slices.Contains(next.Depts, s.ID) {
				continue
			}
			full, err := src.Department(ctx, s.ID)
			if err != nil {
				return err
			}
			n, err := d.putDept(ctx, deptFrom(corp, full))
			if err != nil {
				return err
			}
			next.Changes.Depts += b2i(n)
			next.Depts = append(next.Depts, full.ID)
		}
		next.Walked++
	}
	if next.Walked == len(next.Depts) {
		next.Phase = phaseMembers
	}
	return nil
}

// reconcileMembers stores pages of direct members not stored yet in this
// reconcile, department after department.
func (d *Directory) reconcileMembers(ctx context.Context, src *countingSource, corp string,
	next *ReconcileCursor, calls int) error {
	o, err := d.Org(ctx, corp)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(next.Seen))
	for _, id := range next.Seen {
		seen[id] = true
	}
	for next.Member < len(next.Depts) && src.within(calls) {
		page, err := src.UsersPage(ctx, next.Depts[next.Member], next.Cursor,
			dingtalk.MaxPageSize)
		if err != nil {
			return err
		}
		for _, du := range page.Users {
			if seen[du.UserID] {
				continue
			}
			n, err := d.putUser(ctx, memberFrom(corp, o.Policy, du))
			if err != nil {
				return err
			}
			seen[du.UserID] = true
			next.Seen = append(next.Seen, du.UserID)
			next.Changes.Users += b2i(n)
		}
		if !page.HasMore || page.NextCursor == next.Cursor {
			next.Member, next.Cursor = next.Member+1, 0
		} else {
			next.Cursor = page.NextCursor
		}
	}
	if next.Member == len(next.Depts) {
		next.Phase = phaseSweep
	}
	return nil
}

// reconcileSweep deactivates members and removes departments that the
// reconcile did not find.
func (d *Directory) reconcileSweep(ctx context.Context, corp string,
	next *ReconcileCursor) error {
	seen := make(map[string]bool, len(next.Seen))
	for _, id := range next.Seen {
		seen[id] = true
	}
	n, err := d.deactivateMissing(ctx, corp, seen, func(id string) bool {
		return !isExternalID(id)
	})
	if err != nil {
		return err
	}
	removed, err := d.removeMissingDepts(ctx, corp, next.Depts)
	if err != nil {
		return err
	}
	next.Changes.Deactivated += n
	next.Changes.Removed += removed
	next.Phase = phaseExternal
	return nil
}

func (d *Directory) removeMissingDepts(ctx context.Context, corp string,
	found []int64) (int, error) {
	all, err := d.Depts(ctx, corp)
	if err != nil {
		return 0, err
	}
	var gone []int64
	for _, dp := range all {
		if dp.Active && !slices.Contains(found, dp.ID) {
			gone = append(gone, dp.ID)
		}
	}
	ch, err := d.RemoveDepts(ctx, corp, gone)
	return ch.Removed, err
}
