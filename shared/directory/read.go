package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/xietong/xietong/shared/tables"
)

// Lookup returns the user corp:userID. A user who left (or a removed
// external contact) is returned with ErrInactive, so that callers checking
// err deny access at once; an unknown one is ErrNotFound.
func (d *Directory) Lookup(ctx context.Context, corp, userID string) (User, error) {
	u, err := d.user(ctx, corp, userID)
	if err != nil {
		return User{}, err
	}
	if !u.Active {
		return u, fmt.Errorf("directory: user %q: %w", u.UID(), ErrInactive)
	}
	return u, nil
}

// Users iterates over every stored user and external contact of corp, left
// ones included (see User.Active), in userid order.
func (d *Directory) Users(ctx context.Context, corp string) iter.Seq2[User, error] {
	return func(yield func(User, error) bool) {
		for r, err := range d.store.Scan(ctx, tables.User.Name,
			tables.Range{Prefix: tables.Key{tid(corp)}}) {
			var u User
			if err == nil {
				u, err = userFromRow(corp, r)
			}
			if !yield(u, err) || err != nil {
				return
			}
		}
	}
}

// Depts returns corp's departments, removed ones included (see Dept.Active),
// in id order.
func (d *Directory) Depts(ctx context.Context, corp string) ([]Dept, error) {
	var out []Dept
	for r, err := range d.store.Scan(ctx, tables.Dept.Name,
		tables.Range{Prefix: tables.Key{tid(corp)}}) {
		if err != nil {
			return out, err
		}
		dp, err := deptFromRow(corp, r)
		if err != nil {
			return out, err
		}
		out = append(out, dp)
	}
	return out, nil
}

// Dept returns one department of corp.
func (d *Directory) Dept(ctx context.Context, corp string, id int64) (Dept, error) {
	return d.dept(ctx, corp, id)
}

// Org returns corp's organization row. An organization never synced is
// returned with its zero Policy and no error.
func (d *Directory) Org(ctx context.Context, corp string) (Org, error) {
	r, err := d.store.Get(ctx, tables.Org.Name, tables.Key{tid(corp)})
	if errors.Is(err, tables.ErrNotFound) {
		return Org{CorpID: corp}, nil
	}
	if err != nil {
		return Org{}, err
	}
	o := Org{CorpID: corp, Name: r.String("name"), Ver: r.Ver()}
	if p := r.String("policy"); p != "" {
		if err := json.Unmarshal([]byte(p), &o.Policy); err != nil {
			return Org{}, fmt.Errorf("directory: org %q: policy: %w", corp, err)
		}
	}
	return o, nil
}

// SetPolicy stores corp's policy and re-marks the protection of every stored
// user to match it.
func (d *Directory) SetPolicy(ctx context.Context, corp string, p Policy) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("directory: set policy %q: %w", corp, err)
	}
	if err := d.putOrg(ctx, corp, tables.Cols{"policy": string(b)}); err != nil {
		return err
	}
	var changed []User
	for u, err := range d.Users(ctx, corp) {
		if err != nil {
			return err
		}
		if prot := protectedBy(p, u); prot != u.Protected {
			u.Protected = prot
			changed = append(changed, u)
		}
	}
	for _, u := range changed {
		if _, err := d.putUser(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// putOrg merges cols into corp's org row, creating it when missing.
func (d *Directory) putOrg(ctx context.Context, corp string, cols tables.Cols) error {
	key := tables.Key{tid(corp)}
	for range maxRaces {
		r, err := d.store.Get(ctx, tables.Org.Name, key)
		switch {
		case errors.Is(err, tables.ErrNotFound):
			_, err = d.store.Create(ctx, tables.Org.Name, key, cols)
			if errors.Is(err, tables.ErrExists) {
				continue
			}
			return err
		case err != nil:
			return err
		case sameCols(r, cols):
			return nil
		}
		_, err = d.store.Update(ctx, tables.Org.Name, key, r.Ver(), tables.Change{Set: cols})
		if !errors.Is(err, tables.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("directory: org %q: %w: lost %d races", corp, tables.ErrConflict, maxRaces)
}

func sameCols(r *tables.Row, cols tables.Cols) bool {
	for k, v := range cols {
		if r.Cols[k] != v {
			return false
		}
	}
	return true
}

func protectedBy(p Policy, u User) bool {
	return u.HideMobile || u.Senior || p.protects(u.UserID)
}
