package reports

import (
	"errors"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// ErrResume means a run stopped near its deadline after saving its
// progress; invoking it again continues where it stopped. The timer handler
// returns it so that Function Compute's asynchronous retry (timer
// invocations are asynchronous) resumes the run.
var ErrResume = errors.New("reports: run checkpointed, invoke again to resume")

// Defaults of Config.
const (
	DefaultMargin  = 15 * time.Second
	DefaultLinkTTL = 7 * 24 * time.Hour // the longest OSS allows under signature V4
	DefaultEvery   = 25
)

// Config tunes a Service; zero values take the defaults.
type Config struct {
	// Corps are the organizations the timers report on.
	Corps []string
	// AppURL is the micro-app base URL reports link to; empty means
	// projects.DefaultAppURL.
	AppURL string
	// Now is the clock; nil means time.Now. Deadlines are compared with it.
	Now func() time.Time
	// Margin is how long before the context's deadline a run stops and
	// checkpoints.
	Margin time.Duration
	// LinkTTL is how long the presigned chart URLs in a report stay valid.
	LinkTTL time.Duration
	// Every is how many recipients a run serves between checkpoints.
	Every int
}

// Service computes, stores and sends reports. It is safe for concurrent
// use; build one per process.
type Service struct {
	db       *tables.Store
	store    *projects.Store
	dir      *directory.Directory
	files    *blob.Store
	sessions *session.Signer
	cfg      Config
}

// New returns a Service over db (built over tables.All), the
// OSS store for charts and contents, and the session signer of the HTTP
// API (nil: the HTTP API refuses every request).
func New(db *tables.Store, files *blob.Store, sessions *session.Signer,
	cfg Config) (*Service, error) {
	if db == nil || files == nil {
		return nil, fmt.Errorf("reports: new: tables and blob stores are required")
	}
	if _, ok := db.Table(tables.Report.Name); !ok {
		return nil, fmt.Errorf("reports: new: table %q unknown (build the store over tables.All)",
			tables.Report.Name)
	}
	st, err := projects.NewStore(db)
	if err != nil {
		return nil, err
	}
	dir, err := directory.New(db)
	if err != nil {
		return nil, err
	}
	if cfg.AppURL == "" {
		cfg.AppURL = projects.DefaultAppURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Margin == 0 {
		cfg.Margin = DefaultMargin
	}
	if cfg.LinkTTL == 0 {
		cfg.LinkTTL = DefaultLinkTTL
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	return &Service{db: db, store: st, dir: dir, files: files, sessions: sessions,
		cfg: cfg}, nil
}
