package ledgerverify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/rules"
)

// Replayed: an entry's admission or recorded contract result is not what
// a replay of the log computes.
const Replayed Failure = "replay"

// Source returns the log objects at loc: an http(s) URL serving the ledger
// function's routes (…/api/ledger/, with checkpoint and tile/…), or a
// directory holding a copy of the bucket's ledger/ prefix. It is read-only.
func Source(loc string) ledger.ObjectStore {
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		return urlSource{base: strings.TrimSuffix(loc, "/") + "/", client: http.DefaultClient}
	}
	return dirSource(loc)
}

type dirSource string

// Get reads path below the directory.
func (d dirSource) Get(_ context.Context, path string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(string(d), filepath.FromSlash(path)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("ledgerverify: %s: %w", path, ledger.ErrNotFound)
	}
	return data, err
}

// Put refuses: the verifier never writes.
func (dirSource) Put(context.Context, string, []byte, bool) error {
	return errors.New("ledgerverify: source is read-only")
}

type urlSource struct {
	base   string
	client *http.Client
}

// Get fetches path below the URL.
func (u urlSource) Get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ledgerverify: get %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return nil, fmt.Errorf("ledgerverify: get %s: %w", path, err)
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("ledgerverify: get %s: %w", path, ledger.ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("ledgerverify: get %s: status %d", path, resp.StatusCode)
	}
	return body, nil
}

// Put refuses: the verifier never writes.
func (urlSource) Put(context.Context, string, []byte, bool) error {
	return errors.New("ledgerverify: source is read-only")
}

// ReplayLog verifies the checkpoint of src (signature, origin, witness
// policy), reads every entry it covers from the entry bundles, checks that
// they hash to its root, and recomputes every contract result with
// rules.Replay (and checks envelope signatures when keys.Envelopes is set).
// Entries that do not replay fail with Replayed, listing each.
func ReplayLog(ctx context.Context, keys Keys, src ledger.ObjectStore) (*Report, error) {
	cp, err := src.Get(ctx, ledger.CheckpointPath)
	if err != nil {
		return nil, fmt.Errorf("ledgerverify: replay: checkpoint: %w", err)
	}
	rep, err := CheckCheckpoint(keys, cp)
	if err != nil {
		return nil, err
	}
	rep.Kind = "replay"
	entries, err := readEntries(ctx, src, rep.Size)
	if err != nil {
		return nil, err
	}
	if err := checkRoot(entries, rep.Root); err != nil {
		return nil, err
	}
	recs, err := rules.Records(0, entries)
	if err != nil {
		return nil, failure(Replayed, err, "an entry is not a valid envelope")
	}
	var problems []string
	for _, r := range recs {
		if keys.Envelopes != nil {
			if err := keys.Envelopes.Verify(r.Signed); err != nil {
				problems = append(problems, fmt.Sprintf("entry %d: %v", r.Index, err))
			}
		}
	}
	for _, f := range rules.Replay(recs) {
		problems = append(problems, f.String())
	}
	if len(problems) > 0 {
		return nil, failure(Replayed, nil, "%d of %d entries do not replay:\n  %s",
			len(problems), len(recs), strings.Join(problems, "\n  "))
	}
	return rep, nil
}

func readEntries(ctx context.Context, src ledger.ObjectStore, size uint64) ([][]byte, error) {
	rd := ledger.Reader{Store: src}
	out := make([][]byte, 0, size)
	for n := uint64(0); n*ledger.TileWidth < size; n++ {
		b, err := rd.Bundle(ctx, n, size)
		if err != nil {
			return nil, failure(Malformed, err, "entry bundle %d of size %d", n, size)
		}
		out = append(out, b...)
	}
	if uint64(len(out)) != size {
		return nil, failure(Malformed, nil, "bundles hold %d entries, want %d", len(out), size)
	}
	return out, nil
}

// checkRoot recomputes the tree of entries and compares its root.
func checkRoot(entries [][]byte, root []byte) error {
	h := rfc6962.DefaultHasher
	rf := compact.RangeFactory{Hash: h.HashChildren}
	r := rf.NewEmptyRange(0)
	for _, e := range entries {
		if err := r.Append(h.HashLeaf(e), nil); err != nil {
			return err
		}
	}
	got, err := r.GetRootHash(nil)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		got = h.EmptyRoot()
	}
	if !bytes.Equal(got, root) {
		return failure(TamperedEntry, nil, "the %d entries read hash to %s, not the "+
			"checkpoint's root %s", len(entries), b64(got), b64(root))
	}
	return nil
}
