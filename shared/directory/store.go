package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/xietong/xietong/shared/tables"
)

// maxRaces bounds how often a write re-reads after losing a version race.
const maxRaces = 5

// put makes row key of table hold cols, whose content hashes to digest. A
// row that already has digest is left alone, so repeating a sync writes
// nothing; put reports whether it wrote.
func (d *Directory) put(ctx context.Context, table string, key tables.Key, cols tables.Cols,
	digest string) (bool, error) {
	for range maxRaces {
		row, err := d.store.Get(ctx, table, key, tables.Columns("digest", tables.VerColumn))
		switch {
		case errors.Is(err, tables.ErrNotFound):
			_, err = d.store.Create(ctx, table, key, cols)
			if errors.Is(err, tables.ErrExists) {
				continue
			}
			return err == nil, err
		case err != nil:
			return false, err
		case row.String("digest") == digest:
			return false, nil
		}
		_, err = d.store.Update(ctx, table, key, row.Ver(), tables.Change{Set: cols})
		if errors.Is(err, tables.ErrConflict) {
			continue
		}
		return err == nil, err
	}
	return false, fmt.Errorf("directory: put %q: %w: lost %d races", key.String(),
		tables.ErrConflict, maxRaces)
}

// putUser stores u; it reports whether the row changed.
func (d *Directory) putUser(ctx context.Context, u User) (bool, error) {
	cols, digest, err := userCols(u)
	if err != nil {
		return false, err
	}
	return d.put(ctx, tables.User.Name, tables.Key{tid(u.CorpID), u.UserID}, cols, digest)
}

// putDept stores dp; it reports whether the row changed.
func (d *Directory) putDept(ctx context.Context, dp Dept) (bool, error) {
	cols, digest, err := deptCols(dp)
	if err != nil {
		return false, err
	}
	return d.put(ctx, tables.Dept.Name, tables.Key{tid(dp.CorpID), deptKey(dp.ID)}, cols, digest)
}

// user reads one user row, mobile included.
func (d *Directory) user(ctx context.Context, corp, userID string) (User, error) {
	r, err := d.store.Get(ctx, tables.User.Name, tables.Key{tid(corp), userID})
	if errors.Is(err, tables.ErrNotFound) {
		return User{}, fmt.Errorf("directory: user %q: %w", corp+":"+userID, ErrNotFound)
	}
	if err != nil {
		return User{}, err
	}
	return userFromRow(corp, r)
}

// dept reads one department row.
func (d *Directory) dept(ctx context.Context, corp string, id int64) (Dept, error) {
	r, err := d.store.Get(ctx, tables.Dept.Name, tables.Key{tid(corp), deptKey(id)})
	if errors.Is(err, tables.ErrNotFound) {
		return Dept{}, fmt.Errorf("directory: dept %q: %w",
			fmt.Sprintf("%s:%d", corp, id), ErrNotFound)
	}
	if err != nil {
		return Dept{}, err
	}
	return deptFromRow(corp, r)
}

// setUserActive flips a stored user's state; a missing user is no error.
func (d *Directory) setUserActive(ctx context.Context, corp, userID string,
	active bool) (bool, error) {
	u, err := d.user(ctx, corp, userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil || u.Active == active {
		return false, err
	}
	u.Active = active
	return d.putUser(ctx, u)
}

// setDeptActive flips a stored department's state; a missing one is no error.
func (d *Directory) setDeptActive(ctx context.Context, corp string, id int64,
	active bool) (bool, error) {
	dp, err := d.dept(ctx, corp, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil || dp.Active == active {
		return false, err
	}
	dp.Active = active
	return d.putDept(ctx, dp)
}
