package contracts

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// Defaults of Config.
const (
	DefaultMaxUploadSize  = 200 << 20 // 200 MiB
	DefaultGrantExpiry    = 10 * time.Minute
	DefaultDownloadExpiry = 5 * time.Minute
	// uploadLease is how long a delivery that started verifying an upload
	// holds it; a redelivery after that takes over.
	uploadLease = 2 * time.Minute
	// expirySlack is how long after a grant's expiry an object may still be
	// dated, to allow for clock skew between OSS and the function.
	expirySlack = time.Minute
)

// Config tunes a Service; zero values take the defaults.
type Config struct {
	// MaxUploadSize is the largest file a grant allows, in bytes.
	MaxUploadSize int64
	// GrantExpiry is how long an upload grant is valid.
	GrantExpiry time.Duration
	// DownloadExpiry is how long a download URL is valid.
	DownloadExpiry time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Approvers start contract approvals in DingTalk OA, by corp id. A
	// contract of an organization without one cannot move to
	// under_approval.
	Approvers map[string]Approver
}

// Service serves the contracts API and handles the OSS trigger. It is safe
// for concurrent use; build one per process.
type Service struct {
	db       *tables.Store
	files    *blob.Store
	sessions *session.Signer
	cfg      Config
	now      func() time.Time
	dir      *directory.Directory
	applier  *Applier
}

// New returns a Service over a Store built with tables.All, the contracts
// bucket and the session signer.
func New(db *tables.Store, files *blob.Store, sessions *session.Signer,
	cfg Config) (*Service, error) {
	if db == nil || files == nil || sessions == nil {
		return nil, fmt.Errorf("contracts: new: tables, blob and session are required")
	}
	if _, ok := db.Table(tables.ContractUpload.Name); !ok {
		return nil, fmt.Errorf("contracts: new: store lacks table %q (build it with tables.All)",
			tables.ContractUpload.Name)
	}
	if cfg.MaxUploadSize <= 0 {
		cfg.MaxUploadSize = DefaultMaxUploadSize
	}
	if cfg.GrantExpiry <= 0 {
		cfg.GrantExpiry = DefaultGrantExpiry
	}
	if cfg.DownloadExpiry <= 0 {
		cfg.DownloadExpiry = DefaultDownloadExpiry
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	dir, err := directory.New(db, directory.WithClock(now))
	if err != nil {
		return nil, fmt.Errorf("contracts: new: %w", err)
	}
	return &Service{db: db, files: files, sessions: sessions, cfg: cfg, now: now, dir: dir,
		applier: NewApplier(db, now)}, nil
}

// newContractID returns a time-sortable id: 12 hex digits of milliseconds
// and 8 random hex digits.
func (s *Service) newContractID() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("c%012x%s", s.now().UnixMilli(), hex.EncodeToString(b[:]))
}

// uploadKey is where the file of upload id of contract cid lands.
func uploadKey(tid, cid, id string) string {
	return "contracts/" + tid + "/" + cid + "/uploads/" + id
}

func quarantineKey(tid, cid, id string) string {
	return "contracts/" + tid + "/" + cid + "/quarantine/" + id
}

// keyRef is an upload key taken apart.
type keyRef struct{ tid, contract, upload string }

// parseUploadKey splits contracts/<tid>/<contract>/uploads/<upload>; ok is
// false for any other key, including quarantined files.
func parseUploadKey(key string) (keyRef, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 5 || parts[0] != "contracts" || parts[3] != "uploads" {
		return keyRef{}, false
	}
	r := keyRef{tid: parts[1], contract: parts[2], upload: parts[4]}
	if tenantCorp(r.tid) == "" || tables.TenantKey(tenantCorp(r.tid)) != r.tid ||
		r.contract == "" || r.upload == "" {
		return keyRef{}, false
	}
	return r, true
}

// tenantCorp returns the corp of a tenant key ("hhhh:corp").
func tenantCorp(tid string) string {
	_, corp, _ := strings.Cut(tid, ":")
	return corp
}
