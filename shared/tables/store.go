package tables

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
)

// Config holds the connection settings of a Tablestore instance.
type Config struct {
	Endpoint        string // e.g. https://xietong.cn-hangzhou.ots.aliyuncs.com
	Instance        string
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string // STS token; empty for long-term keys
}

// ConfigFromEnv reads TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE,
// ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
// ALIBABA_CLOUD_SECURITY_TOKEN through getenv (os.Getenv in mains). It fails
// naming every required variable that is empty.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Endpoint:        getenv("TABLESTORE_ENDPOINT"),
		Instance:        getenv("TABLESTORE_INSTANCE"),
		AccessKeyID:     getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
	}
	var missing []string
	for name, v := range map[string]string{
		"TABLESTORE_ENDPOINT":             c.Endpoint,
		"TABLESTORE_INSTANCE":             c.Instance,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     c.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": c.AccessKeySecret,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return c, fmt.Errorf("tables: config: %w: missing %v", ErrInvalid, missing)
	}
	return c, nil
}

// NewClient returns an SDK client for cfg with the SDK's default retry
// policy (10 attempts within 5 s).
func NewClient(cfg Config) *tablestore.TableStoreClient {
	return tablestore.NewClientWithConfig(cfg.Endpoint, cfg.Instance, cfg.AccessKeyID,
		cfg.AccessKeySecret, cfg.SecurityToken, nil)
}

// Store is the typed layer over one Tablestore instance. It is safe for
// concurrent use; build one per process and share it.
//
// The SDK takes no context: a ctx given to a Store method stops it before
// each request it sends (range pages, batch chunks and retries), but does
// not interrupt a request in flight.
type Store struct {
	client  *tablestore.TableStoreClient
	tables  map[string]*Table
	now     func() time.Time
	retries int
	backoff time.Duration

	retried sync.Map // trace id → struct{}: requests resent after maybe landing
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for idempotency-key expiry (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithBatchRetries sets how many times BatchGet and BatchWrite resend rows
// that failed with a retryable error, and the first pause (doubled each
// time). The default is 5 and 20 ms.
func WithBatchRetries(n int, first time.Duration) Option {
	return func(s *Store) { s.retries, s.backoff = n, first }
}

// New returns a Store over client for the given tables (and their indexes,
// readable by index name). It installs a retry hook on client to learn which
// requests the SDK resent, chaining any hook already set.
func New(client *tablestore.TableStoreClient, schema []Table, opts ...Option) (*Store, error) {
	s := &Store{client: client, tables: map[string]*Table{}, now: time.Now,
		retries: 5, backoff: 20 * time.Millisecond}
	for _, o := range opts {
		o(s)
	}
	for i := range schema {
		if err := s.register(schema[i]); err != nil {
			return nil, err
		}
	}
	prev := client.GetRetryNotify()
	client.SetRetryNotify(func(trace, req string, err error, action string, d time.Duration) {
		if trace != "" && mayHaveLanded(err) {
			s.retried.Store(trace, struct{}{})
		}
		if prev != nil {
			prev(trace, req, err, action, d)
		}
	})
	return s, nil
}

func (s *Store) register(t Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if _, dup := s.tables[t.Name]; dup {
		return fmt.Errorf("tables: table %q: declared twice", t.Name)
	}
	s.tables[t.Name] = &t
	for _, ix := range t.Indexes {
		it, _ := t.IndexTable(ix.Name)
		s.tables[ix.Name] = &it
	}
	return nil
}

// Client returns the SDK client the Store uses, for operations the Store
// does not wrap.
func (s *Store) Client() *tablestore.TableStoreClient { return s.client }

// Table returns the declaration of table (or index) name.
func (s *Store) Table(name string) (Table, bool) {
	t, ok := s.tables[name]
	if !ok {
		return Table{}, false
	}
	return *t, true
}

var errUnknownTable = errors.New("unknown table")

// table looks up the declaration of name and encodes key for op, after
// checking that ctx is still live.
func (s *Store) table(ctx context.Context, op, name string,
	key Key) (*Table, *tablestore.PrimaryKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, mapErr(op, ref(name, key), err)
	}
	t, ok := s.tables[name]
	if !ok {
		return nil, nil, withCause(op, name+"/"+key.String(), ErrInvalid, errUnknownTable.Error())
	}
	pk, err := pkOf(t, key)
	if err != nil {
		return nil, nil, withCause(op, name+"/"+key.String(), ErrInvalid, err.Error())
	}
	return t, pk, nil
}

// newToken returns a random write token, also used as the SDK trace id of
// the request that carries it.
func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func traced(tok string) tablestore.ExtraRequestInfo {
	var x tablestore.ExtraRequestInfo
	x.SetTraceID(tok)
	return x
}

// mayHaveLanded reports whether a request that failed with err may still
// have been applied: a throttled request was refused before it ran, anything
// else (a dropped connection, a server error) leaves the outcome open.
func mayHaveLanded(err error) bool {
	var oe *tablestore.OtsError
	return !errors.As(err, &oe) || !throttleCodes[oe.Code]
}

// wasRetried reports (and forgets) whether the SDK resent the request traced
// with tok after an attempt that may have landed.
func (s *Store) wasRetried(tok string) bool {
	_, ok := s.retried.LoadAndDelete(tok)
	return ok
}

func ref(table string, key Key) string { return table + "/" + key.String() }

// StoreFromEnv is the Store every function uses: the instance named by the
// environment (ConfigFromEnv), with every table of All.
func StoreFromEnv(getenv func(string) string) (*Store, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return New(NewClient(cfg), All)
}
