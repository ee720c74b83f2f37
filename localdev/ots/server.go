// Package ots is a local emulator of Alibaba Cloud Tablestore (OTS) that
// speaks the service's own wire protocol: POST /<Action> with protobuf
// bodies from the SDK's otsprotocol package, rows in PlainBuffer with
// CRC-8, and signed requests. Data lives in one durable bbolt file, so the
// real aliyun-tablestore-go-sdk runs against it unchanged.
//
// Server implements the table DDL (with reserved throughput, options,
// defined columns and global secondary indexes), the single-row and batch
// reads and writes with conditions, filters, versions, TTL and
// auto-increment keys, and GetRange. It enforces Tablestore's documented
// limits with Tablestore's error codes, stricter where in doubt; actions it
// does not implement are refused with OTSUnsupportOperation.
//
// Faults lets tests inject throttling, server errors, latency, dropped
// connections after a commit, and short or empty GetRange pages.
package ots

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang/protobuf/proto"
	bolt "go.etcd.io/bbolt"
)

// Config configures a Server.
type Config struct {
	// Path is the bbolt data file; it is created when missing.
	Path string
	// Instance is the only instance name the server answers for.
	Instance string
	// AccessKeyID and AccessKeySecret are the credentials requests must
	// be signed with.
	AccessKeyID, AccessKeySecret string
	// Now is the clock for versions and TTL; nil means time.Now.
	Now func() time.Time
}

// Capacity is a count of read and write capacity units.
type Capacity struct {
	Read, Write int64
}

// Server is a Tablestore emulator. It is an http.Handler and is safe for
// concurrent use.
type Server struct {
	cfg    Config
	db     *bolt.DB
	faults *Faults

	mu     sync.RWMutex
	tables map[string]*tableMeta

	usageMu sync.Mutex
	usage   map[string]*Capacity
}

var (
	bucketMeta    = []byte("meta")
	bucketAutoInc = []byte("autoinc")
)

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("ots: bad config")

// Open opens (or creates) the data file and returns a Server over it.
func Open(cfg Config) (*Server, error) {
	if cfg.Path == "" || cfg.Instance == "" || cfg.AccessKeyID == "" {
		return nil, fmt.Errorf("%w: path, instance and access key id are required", ErrConfig)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("ots: open %q: %w", cfg.Path, err)
	}
	s := &Server{cfg: cfg, db: db, faults: newFaults(),
		tables: map[string]*tableMeta{}, usage: map[string]*Capacity{}}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("ots: open %q: %w", cfg.Path, err)
	}
	return s, nil
}

func (s *Server) load() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketAutoInc); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			m := &tableMeta{}
			if err := json.Unmarshal(v, m); err != nil {
				return fmt.Errorf("table %q: %w", k, err)
			}
			s.tables[m.Name] = m
			return nil
		})
	})
}

// Close closes the data file.
func (s *Server) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("ots: close: %w", err)
	}
	return nil
}

// Faults returns the server's fault switches.
func (s *Server) Faults() *Faults { return s.faults }

// Usage returns the capacity units consumed on table since Open (not kept
// across restarts), counted as Tablestore bills them and as each response's
// ConsumedCapacity reports them: a row's data size is rounded up to 4 KB
// units, at least 1 per row operation; a write with a condition also costs
// 1 read; a write whose condition fails costs 1 read and 1 write; a
// GetRange costs the data it scanned, at least 1. Each index row a write
// changes costs the index table 1 write.
func (s *Server) Usage(table string) Capacity {
	s.usageMu.Lock()
	defer s.usageMu.Unlock()
	if c := s.usage[table]; c != nil {
		return *c
	}
	return Capacity{}
}

func (s *Server) charge(table string, c Capacity) {
	s.usageMu.Lock()
	defer s.usageMu.Unlock()
	u := s.usage[table]
	if u == nil {
		u = &Capacity{}
		s.usage[table] = u
	}
	u.Read += c.Read
	u.Write += c.Write
}

func (s *Server) nowMS() int64 { return s.cfg.Now().UnixMilli() }

// maxBody is Tablestore's request body limit.
const maxBody = 5 << 20

// ServeHTTP answers one Tablestore API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("x-ots-requestid", reqID)
	action := strings.TrimPrefix(r.URL.Path, "/")
	resp, drop, aerr := s.serve(action, r)
	if drop {
		if hijackClose(w) {
			return
		}
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeProto(w, resp)
}

// readBody reads up to maxBody+1 bytes of r's body, into a buffer sized by
// its Content-Length when that is within the limit (batch rows are large,
// and io.ReadAll would grow its buffer step by step). Bodies of
// pooledBody bytes or more are read into a pooled buffer, which release
// gives back: nothing may refer to the body after.
func readBody(r *http.Request) (body []byte, release func(), err error) {
	n := r.ContentLength
	if n <= 0 || n > maxBody {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		return body, func() {}, err
	}
	if n < pooledBody {
		body = make([]byte, n)
		_, err = io.ReadFull(r.Body, body) // The server ends the body at n.
		return body, func() {}, err
	}
	buf := bodies.Get().(*[]byte)
	if int64(cap(*buf)) < n {
		*buf = make([]byte, n)
	}
	body = (*buf)[:n]
	_, err = io.ReadFull(r.Body, body)
	return body, func() { bodies.Put(buf) }, err
}

// pooledBody is the body size from which readBody uses a pooled buffer.
const pooledBody = 32 << 10

var bodies = sync.Pool{New: func() any { return new([]byte) }}

func (s *Server) serve(action string, r *http.Request) (proto.Message, bool, *apiError) {
	if r.Method != http.MethodPost {
		return nil, false, &apiError{http.StatusMethodNotAllowed, codeMethodNotAllowed,
			"Only POST method for requests is supported."}
	}
	body, release, err := readBody(r)
	defer release() // Handlers decode the body into copies (proto.Unmarshal).
	if err != nil {
		return nil, false, invalidf("Failed to read request body.")
	}
	if len(body) > maxBody {
		return nil, false, &apiError{http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			"The size of POST data is too large."}
	}
	if aerr := s.authenticate("/"+action, r.Header, body); aerr != nil {
		return nil, false, aerr
	}
	h, known := handlers[action]
	if !known {
		if unsupportedActions[action] {
			return nil, false, unsupported(action)
		}
		return nil, false, invalidf("Unsupported operation: %s.", action)
	}
	plan := s.faults.plan()
	if plan.latency > 0 {
		time.Sleep(plan.latency)
	}
	if plan.fail != nil {
		return nil, false, plan.fail
	}
	resp, aerr := h.fn(s, &request{body: body, plan: plan})
	// Only a write that was applied loses its answer.
	return resp, plan.drop && h.write && aerr == nil, aerr
}

// request is what a handler gets: the raw body and the faults drawn.
type request struct {
	body []byte
	plan faultPlan
}

func (q *request) decode(m proto.Message) *apiError {
	if err := proto.Unmarshal(q.body, m); err != nil {
		return invalidf("Failed to parse the request body: %v.", err)
	}
	return nil
}

type handler struct {
	fn    func(*Server, *request) (proto.Message, *apiError)
	write bool
}

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"CreateTable":   {fn: (*Server).createTable},
		"ListTable":     {fn: (*Server).listTable},
		"DescribeTable": {fn: (*Server).describeTable},
		"UpdateTable":   {fn: (*Server).updateTable},
		"DeleteTable":   {fn: (*Server).deleteTable},
		"CreateIndex":   {fn: (*Server).createIndex},
		"DropIndex":     {fn: (*Server).dropIndex},
		"PutRow":        {fn: (*Server).putRow, write: true},
		"UpdateRow":     {fn: (*Server).updateRow, write: true},
		"DeleteRow":     {fn: (*Server).deleteRow, write: true},
		"GetRow":        {fn: (*Server).getRow},
		"GetRange":      {fn: (*Server).getRange},
		"BatchGetRow":   {fn: (*Server).batchGetRow},
		"BatchWriteRow": {fn: (*Server).batchWriteRow, write: true},
	}
}

// unsupportedActions are real Tablestore actions the emulator refuses.
// TODO(#3): search indexes, SQL, streams, tunnels, local transactions,
// defined-column changes, delivery tasks and time series are refused.
var unsupportedActions = map[string]bool{
	"Search": true, "CreateSearchIndex": true, "UpdateSearchIndex": true,
	"ListSearchIndex": true, "DeleteSearchIndex": true, "DescribeSearchIndex": true,
	"ComputeSplits": true, "ParallelScan": true, "SQLQuery": true,
	"ComputeSplitPointsBySize": true, "ListStream": true, "DescribeStream": true,
	"GetShardIterator": true, "GetStreamRecord": true,
	"StartLocalTransaction": true, "CommitTransaction": true, "AbortTransaction": true,
	"CreateTunnel": true, "ListTunnel": true, "DescribeTunnel": true, "DeleteTunnel": true,
	"AddDefinedColumn": true, "DeleteDefinedColumn": true,
	"CreateDeliveryTask": true, "DeleteDeliveryTask": true, "UpdateDeliveryTask": true,
	"DescribeDeliveryTask": true, "ListDeliveryTask": true,
	"CreateTimeseriesTable": true, "PutTimeseriesData": true, "GetTimeseriesData": true,
	"ListTimeseriesTable": true, "DescribeTimeseriesTable": true,
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func writeProto(w http.ResponseWriter, m proto.Message) {
	var body []byte
	if m != nil {
		var err error
		if body, err = proto.Marshal(m); err != nil {
			writeError(w, &apiError{http.StatusInternalServerError, codeInternal,
				"emulator: encode response: " + err.Error()})
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	body, _ := proto.Marshal(&otsErrorMsg{Code: str(e.code), Message: str(e.msg)})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(e.status)
	w.Write(body)
}

// hijackClose closes the client connection without an answer.
func hijackClose(w http.ResponseWriter) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
