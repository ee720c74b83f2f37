// Package directory is xietong's copy of each organization's DingTalk
// directory, kept in Tablestore: the organization and its policy, the
// department tree, users with their departments, positions, roles and
// manager flags, external contacts (suppliers, customers, partners), and the
// OA approvals that decide domain objects.
//
// The directory is written by the dingtalk-callback function from DingTalk's
// change events (Sync*, Deactivate*, Remove*) and repaired by a full
// Reconcile. Leaving users are deactivated, never deleted: Lookup then fails
// with ErrInactive, so they lose access at once.
//
// Executive protection: a user the organization marks as protected (DingTalk's
// hidden-number or senior mode, or the org's own list) never has a mobile
// number in a User value that leaves this package; the number is reachable
// only through View, which shows it to the user, and to viewers of the same
// organization that its Policy allows. Every endpoint that returns users must
// build its answer from View.
package directory

import (
	"errors"
	"time"

	"github.com/xietong/xietong/shared/tables"
)

// Errors of the directory. Storage failures wrap the tables sentinels too.
var (
	// ErrNotFound means the user, department, organization or approval is
	// unknown.
	ErrNotFound = errors.New("directory: not found")
	// ErrInactive means the user has left the organization (or the external
	// contact was removed); the row is kept but grants nothing.
	ErrInactive = errors.New("directory: inactive")
	// ErrInProgress means an approval for the object is already running.
	ErrInProgress = errors.New("directory: approval in progress")
	// ErrApproved means the object is already approved; it is not started again.
	ErrApproved = errors.New("directory: already approved")
	// ErrInvalid means an argument is malformed (empty corp, kind or id).
	ErrInvalid = errors.New("directory: invalid argument")
)

// Directory reads and writes the directory tables. It is safe for concurrent
// use; build one per process.
type Directory struct {
	store *tables.Store
	now   func() time.Time
}

// Option configures a Directory.
type Option func(*Directory)

// WithClock sets the clock stamped on synced rows and approvals (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(d *Directory) { d.now = now } }

// New returns a Directory over store, which must know the tables Org, Dept,
// User and Approval.
func New(store *tables.Store, opts ...Option) (*Directory, error) {
	for _, name := range []string{tables.Org.Name, tables.Dept.Name, tables.User.Name,
		tables.Approval.Name} {
		if _, ok := store.Table(name); !ok {
			return nil, errors.New("directory: new: store lacks table " + name)
		}
	}
	d := &Directory{store: store, now: time.Now}
	for _, o := range opts {
		o(d)
	}
	return d, nil
}

func tid(corp string) string { return tables.TenantKey(corp) }
