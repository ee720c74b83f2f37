package ledgerstore

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/tables"
)

// newDB starts a Tablestore emulator with the app's tables.
func newDB(t testing.TB) (*tables.Store, *otstest.Env) {
	t.Helper()
	return otstest.Store(t, ots.Config{}, nil)
}

// newFiles starts an OSS emulator and returns its bucket.
func newFiles(t testing.TB) *blob.Store {
	t.Helper()
	env := ossemutest.Start(t)
	files, err := blob.New(blob.Config{Endpoint: env.Endpoint, Bucket: env.Bucket,
		Region: env.Region, AccessKeyID: env.AccessKeyID, AccessKeySecret: env.AccessKeySecret})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var logCount atomic.Int64

// newSequencer returns the sequencer of a fresh log in db.
func newSequencer(t testing.TB, db *tables.Store) *Sequencer {
	t.Helper()
	seq, err := NewSequencer(db, fmt.Sprintf("example.test/log%d", logCount.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// newSeqClient returns the sequencer of log origin over its own SDK client,
// as another function instance would have.
func newSeqClient(t testing.TB, client *tablestore.TableStoreClient, origin string) *Sequencer {
	t.Helper()
	db, err := tables.New(client, tables.All)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := NewSequencer(db, origin)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// instances returns the sequencers of one fresh log in n function
// instances, each but the first over its own SDK client.
func instances(t testing.TB, n int) []*Sequencer {
	t.Helper()
	db, env := newDB(t)
	seqs := []*Sequencer{newSequencer(t, db)}
	for len(seqs) < n {
		seqs = append(seqs, newSeqClient(t, env.NewClient(), seqs[0].origin))
	}
	return seqs
}

// newLog returns a log with the key of origin over the drivers.
func newLog(t testing.TB, store ledger.ObjectStore, seq ledger.Sequencer, skey string,
	maxBatch int) *ledger.Log {
	t.Helper()
	l, err := ledger.New(ledger.Config{Store: store, Sequencer: seq, Key: skey,
		MaxBatch: maxBatch})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func entry(i int) []byte { return fmt.Appendf(nil, `{"n":%d}`, i) }
