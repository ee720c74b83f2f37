package projects

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// DefaultAppURL is the micro-app page that notices link to when Config
// names none.
const DefaultAppURL = "https://xietong.invalid/app"

// Identifier exchanges a DingTalk free-login auth code for the user's
// identity; *dingtalk.Client is one.
type Identifier interface {
	UserByAuthCode(ctx context.Context, code string) (dingtalk.Identity, error)
}

var _ Identifier = (*dingtalk.Client)(nil)

// Config tunes a Service; zero values take the defaults.
type Config struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AppURL is the micro-app base URL that notices link to.
	AppURL string
	// Bands are the budget bands of the executive view; nil means
	// plan.DefaultBands.
	Bands plan.Bands
}

// Service serves the projects API. It is safe for concurrent use; build one
// per process.
type Service struct {
	store    *Store
	db       *tables.Store
	dir      *directory.Directory
	sessions *session.Signer
	apps     map[string]Identifier // by corp id
	cfg      Config
	now      func() time.Time
}

// New returns a Service over db (built with tables.All), the session signer
// and one Identifier per organization served, keyed by corp id.
func New(db *tables.Store, sessions *session.Signer, apps map[string]Identifier,
	cfg Config) (*Service, error) {
	if db == nil || sessions == nil {
		return nil, fmt.Errorf("projects: new: tables and session are required")
	}
	st, err := NewStore(db)
	if err != nil {
		return nil, err
	}
	dir, err := directory.New(db)
	if err != nil {
		return nil, err
	}
	if cfg.AppURL == "" {
		cfg.AppURL = DefaultAppURL
	}
	if cfg.Bands == nil {
		cfg.Bands = plan.DefaultBands
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, db: db, dir: dir, sessions: sessions, apps: apps, cfg: cfg,
		now: now}, nil
}

// Store returns the storage mapping the service uses.
func (s *Service) Store() *Store { return s.store }

// FromEnv builds a Service from the function's environment: Tablestore
// (tables.ConfigFromEnv), XT_SESSION_KEY, DINGTALK_APPS and the DingTalk
// endpoints, naming what is missing or wrong.
func FromEnv(getenv func(string) string) (*Service, error) {
	db, err := tables.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	signer, err := session.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	apps, err := appsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return New(db, signer, apps, Config{})
}

func appsFromEnv(getenv func(string) string) (map[string]Identifier, error) {
	ends, err := dingtalk.EndpointsFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("projects: config: %w", err)
	}
	list, err := dingtalk.ParseApps([]byte(getenv("DINGTALK_APPS")))
	if err != nil {
		return nil, fmt.Errorf("projects: config: DINGTALK_APPS: %w", err)
	}
	apps := map[string]Identifier{}
	for _, a := range list {
		c, err := dingtalk.New(a, dingtalk.Options{Endpoints: ends})
		if err != nil {
			return nil, fmt.Errorf("projects: config: app of %q: %w", a.CorpID, err)
		}
		apps[a.CorpID] = c
	}
	return AppsWithApprovals(apps, list), nil
}

// today is the current date in plan.Zone.
func (s *Service) today() plan.Date { return plan.DateOf(s.now()) }

// newProjectID returns a time-sortable id: "p", 12 hex digits of
// milliseconds and 8 random hex digits.
func (s *Service) newProjectID() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("p%012x%s", s.now().UnixMilli(), hex.EncodeToString(b[:]))
}
