package ledgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/ledger"
)

// ObjectStore is a ledger.ObjectStore over an OSS bucket, under a key
// prefix. It is safe for concurrent use.
type ObjectStore struct {
	files  *blob.Store
	prefix string
}

var _ ledger.ObjectStore = (*ObjectStore)(nil)

// NewObjectStore returns the log's objects in files, each at prefix + its
// tlog-tiles path (prefix "ledger/" puts the checkpoint at
// "ledger/checkpoint").
func NewObjectStore(files *blob.Store, prefix string) *ObjectStore {
	return &ObjectStore{files: files, prefix: prefix}
}

// Put implements ledger.ObjectStore: an immutable object is written with
// forbid-overwrite, and an object already there counts as written only if
// it is byte-identical.
func (o *ObjectStore) Put(ctx context.Context, path string, data []byte, immutable bool) error {
	key := o.prefix + path
	opts := blob.PutOptions{ContentType: "application/octet-stream"}
	if path == ledger.CheckpointPath {
		opts.ContentType = "text/plain; charset=utf-8"
	}
	if !immutable {
		if err := o.files.Put(ctx, key, bytes.NewReader(data), opts); err != nil {
			return fmt.Errorf("ledgerstore: put %q: %w", path, err)
		}
		return nil
	}
	err := o.files.PutIfAbsent(ctx, key, bytes.NewReader(data), opts)
	if !errors.Is(err, blob.ErrExists) {
		if err != nil {
			return fmt.Errorf("ledgerstore: put %q: %w", path, err)
		}
		return nil
	}
	have, err := o.Get(ctx, path)
	if err != nil {
		return err
	}
	if !bytes.Equal(have, data) {
		return fmt.Errorf("ledgerstore: put %q: differs from the stored object: %w",
			path, ledger.ErrConflict)
	}
	return nil
}

// Get implements ledger.ObjectStore.
func (o *ObjectStore) Get(ctx context.Context, path string) ([]byte, error) {
	r, err := o.files.Open(ctx, o.prefix+path)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("ledgerstore: get %q: %w", path, ledger.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledgerstore: get %q: %w", path, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("ledgerstore: get %q: %w", path, err)
	}
	return data, nil
}
