package tasksapi

import (
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/plan"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// Config tunes a Service; zero values take the defaults.
type Config struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AppURL is the micro-app base URL that notices link to; empty means
	// projects.DefaultAppURL.
	AppURL string
}

// Service serves the tasks API. It is safe for concurrent use; build one per
// process.
type Service struct {
	auth  *projects.Service
	store *projects.Store
	db    *tables.Store
	cfg   Config
	now   func() time.Time
}

// New returns a Service that signs users in through auth (whose tables
// must include tables.All).
func New(auth *projects.Service, cfg Config) (*Service, error) {
	if auth == nil {
		return nil, fmt.Errorf("tasksapi: new: a projects service is required")
	}
	if cfg.AppURL == "" {
		cfg.AppURL = projects.DefaultAppURL
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Service{auth: auth, store: auth.Store(), db: auth.Tables(), cfg: cfg, now: now},
		nil
}

// FromEnv builds a Service from the function's environment: Tablestore
// (tables.ConfigFromEnv) and XT_SESSION_KEY, naming what is missing or wrong.
func FromEnv(getenv func(string) string) (*Service, error) {
	db, err := tables.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	signer, err := session.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	auth, err := projects.New(db, signer, nil, projects.Config{})
	if err != nil {
		return nil, err
	}
	return New(auth, Config{})
}

func (s *Service) today() plan.Date { return plan.DateOf(s.now()) }

func (s *Service) actor(c projects.Principal) plan.Actor {
	return plan.Actor{User: c.UID, At: s.now()}
}
