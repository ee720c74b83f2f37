package cli

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"

	"github.com/xietong/xietong/shared/tables"
)

// TestDataSurvivesRestart writes a row and an object through the running stack's
// emulators, stops the stack, starts a new one on the same data directory and
// reads both back.
func TestDataSurvivesRestart(t *testing.T) {
	bin := buildProbe(t)
	sfile, err := filepath.Abs("testdata/s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := stackConfig{
		proj: project{root: filepath.Dir(sfile), sfile: sfile, data: t.TempDir()},
		addr: "127.0.0.1:0", maxInstances: 1, out: &syncBuffer{},
		binaries: map[string]string{"probe": bin}, noTimers: true,
	}
	ctx := context.Background()
	key := tables.Key{tables.SaltedKey("persist"), int64(1)}

	first, err := startStack(ctx, cfg)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	if _, err := stackStore(t, first).Create(ctx, tables.Counter.Name, key,
		tables.Cols{"n": int64(42)}); err != nil {
		first.close()
		t.Fatalf("create before restart: %v", err)
	}
	if err := stackBucket(t, first).PutObject("persist/hello.txt",
		bytesReader("kept")); err != nil {
		first.close()
		t.Fatalf("put object before restart: %v", err)
	}
	first.close()

	// A new stack on the same directory, as a second `make dev` would start.
	second, err := startStack(ctx, cfg)
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	defer second.close()
	row, err := stackStore(t, second).Get(ctx, tables.Counter.Name, key)
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	if n := row.Int("n"); n != 42 || row.Ver() != 1 {
		t.Errorf("after restart n=%d ver=%d, want n=42 ver=1", n, row.Ver())
	}
	body := readObject(t, stackBucket(t, second), "persist/hello.txt")
	if body != "kept" {
		t.Errorf("object after restart = %q, want %q", body, "kept")
	}
	_, err = stackStore(t, second).Get(ctx, tables.Counter.Name,
		tables.Key{tables.SaltedKey("persist"), int64(2)})
	if !errors.Is(err, tables.ErrNotFound) {
		t.Errorf("get of a row never written: err = %v, want ErrNotFound", err)
	}
}

// stackStore is a tables.Store on the stack's Tablestore emulator.
func stackStore(t *testing.T, s *stack) *tables.Store {
	t.Helper()
	client := tablestore.NewClient(s.tablestoreURL, localInstance, s.secrets.AccessKeyID,
		s.secrets.AccessKeySecret)
	st, err := tables.New(client, tables.All)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// stackBucket is an OSS bucket handle on the stack's OSS emulator.
func stackBucket(t *testing.T, s *stack) *oss.Bucket {
	t.Helper()
	client, err := oss.New(s.ossURL, s.secrets.AccessKeyID, s.secrets.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Bucket(localBucket)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bytesReader(s string) io.Reader { return strings.NewReader(s) }

func readObject(t *testing.T, b *oss.Bucket, key string) string {
	t.Helper()
	r, err := b.GetObject(key)
	if err != nil {
		t.Fatalf("get object %q: %v", key, err)
	}
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read object %q: %v", key, err)
	}
	return string(out)
}
