package ledgerverify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xietong/xietong/shared/ledger"
)

// ConsistencyProof is a consistency proof between two tree sizes, as
// GET /api/ledger/proof/consistency answers it. Old and Size are zero when
// the proof came without them (a bare list of hashes).
type ConsistencyProof struct {
	Old    *uint64  `json:"old,omitempty"`
	Size   uint64   `json:"size"`
	Hashes [][]byte `json:"-"`
}

// ParseConsistencyProof reads a consistency proof: the JSON the ledger API
// answers ({"old", "size", "hashes": [base64...]}), or base64 hashes one a
// line (the form of a tlog-witness request).
func ParseConsistencyProof(data []byte) (*ConsistencyProof, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var body struct {
			ConsistencyProof
			Hashes []string `json:"hashes"`
		}
		if err := json.Unmarshal(trimmed, &body); err != nil {
			return nil, failure(Malformed, err, "consistency proof JSON")
		}
		p := body.ConsistencyProof
		hashes, err := decodeHashes(body.Hashes)
		p.Hashes = hashes
		return &p, err
	}
	var lines []string
	if len(trimmed) > 0 {
		lines = strings.Split(string(trimmed), "\n")
	}
	hashes, err := decodeHashes(lines)
	return &ConsistencyProof{Hashes: hashes}, err
}

func decodeHashes(in []string) ([][]byte, error) {
	out := make([][]byte, 0, len(in))
	for i, s := range in {
		h, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil || len(h) != ledger.HashSize {
			return nil, failure(Malformed, err,
				"consistency proof hash %d: want base64 of %d bytes", i, ledger.HashSize)
		}
		out = append(out, h)
	}
	return out, nil
}

// CheckpointOf returns the checkpoint note in data: data itself, or the
// checkpoint a tlog-proof receipt carries.
func CheckpointOf(data []byte) []byte {
	var rc ledger.Receipt
	if bytes.HasPrefix(data, []byte("c2sp.org/tlog-proof@")) && rc.Unmarshal(data) == nil {
		return rc.Checkpoint
	}
	return data
}

// CheckConsistency verifies that checkpoint newCP extends oldCP: both must
// verify as in CheckCheckpoint, and p must prove the older tree a prefix of
// the newer one. Either checkpoint may be given as a receipt carrying it.
func CheckConsistency(keys Keys, oldCP, newCP []byte, p *ConsistencyProof) (*Report, error) {
	if keys.Log == nil {
		return nil, errors.New("ledgerverify: consistency: a log key is required")
	}
	oldCP, newCP = CheckpointOf(oldCP), CheckpointOf(newCP)
	older, err := ledger.OpenCheckpoint(oldCP, keys.Log, keys.Policy)
	if err != nil {
		return nil, which("old", diagnoseCheckpoint(keys, oldCP, err))
	}
	newer, err := ledger.OpenCheckpoint(newCP, keys.Log, keys.Policy)
	if err != nil {
		return nil, which("new", diagnoseCheckpoint(keys, newCP, err))
	}
	if p.Old != nil && (*p.Old != older.Size || p.Size != newer.Size) {
		return nil, failure(BadProof, nil, "the proof is from size %d to %d, the checkpoints "+
			"are of sizes %d and %d", *p.Old, p.Size, older.Size, newer.Size)
	}
	if older.Size > newer.Size {
		return nil, failure(Inconsistent, nil, "the old checkpoint's size %d is above the "+
			"new one's %d (swap them?)", older.Size, newer.Size)
	}
	if _, err := ledger.VerifyConsistency(oldCP, newCP, p.Hashes, keys.Log,
		keys.Policy); err != nil {
		return nil, failure(Inconsistent, err, "the proof does not show the tree of size %d "+
			"(root %s) is a prefix of the tree of size %d (root %s): a bad proof, or a fork",
			older.Size, b64(older.Hash), newer.Size, b64(newer.Hash))
	}
	r := &Report{Kind: "consistency", OldSize: older.Size, OldRoot: older.Hash}
	r.setCheckpoint(keys, newer)
	return r, nil
}

// which prefixes an error's detail with the checkpoint it is about.
func which(name string, e *Error) *Error {
	e.Detail = fmt.Sprintf("%s checkpoint: %s", name, e.Detail)
	return e
}
