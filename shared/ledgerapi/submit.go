package ledgerapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/ledger"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// maxBody bounds a submission: an entry is at most 64 KiB.
const maxBody = 128 << 10

// idemTTL is how long an Idempotency-Key keeps answering with its index.
const idemTTL = 24 * time.Hour

// colPos is the column of an Idem or Outbox row that records where the
// sequencer is writing its entry (the ledgerstore.Intent).
const colPos = "ledger_pos"

var idemKeyRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
})

// SubmitRequest is the body of POST /api/ledger/entries: either an envelope
// signed by its organization (or by the service on its behalf), or an
// unsigned envelope that the service signs for a signed-in member of its
// organization (Authorization: Bearer session).
type SubmitRequest struct {
	Signed   *envelope.Signed   `json:"signed,omitempty"`
	Envelope *envelope.Envelope `json:"envelope,omitempty"`
}

// SubmitResponse is the 202 answer of a submission. ReceiptURL is set once
// a published checkpoint covers the entry (a repeated submission may find
// it so).
type SubmitResponse struct {
	Index      uint64          `json:"index"`
	Entry      envelope.Digest `json:"entry"` // SHA-256 of the entry's bytes
	Status     string          `json:"status"`
	EntryURL   string          `json:"entryUrl"`
	ReceiptURL string          `json:"receiptUrl,omitempty"`
	// Results are the indexes of the entries the contracts logged for this
	// one (a data use's revenue settlement).
	Results []uint64 `json:"results,omitempty"`
}

func (s *Service) submit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := decodeSubmit(r)
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if key != "" && !idemKeyRE().MatchString(key) {
		return fail(http.StatusBadRequest, "bad_idempotency_key",
			"Idempotency-Key: want 1-128 printable ASCII characters")
	}

	signed, err := s.authorize(r, req)
	if err != nil {
		return err
	}
	entry, err := checkEntry(signed)
	if err != nil {
		return err
	}

	index, replay, results, err := s.logRecord(ctx, signed, entry, key)
	if err != nil {
		return err
	}
	resp := SubmitResponse{Index: index, Entry: envelope.DigestOf(entry), Status: "sequenced",
		EntryURL: "/api/ledger/entries/" + strconv.FormatUint(index, 10), Results: results}
	if replay { // Only a repeated submission can find its entry published.
		if size, err := s.publishedSize(r); err == nil && index < size {
			resp.Status = "published"
			resp.ReceiptURL = "/api/ledger/receipts/" + strconv.FormatUint(index, 10)
		}
	}
	w.Header().Set("Location", resp.EntryURL)
	httpapi.WriteJSON(w, http.StatusAccepted, resp)
	return nil
}

// logRecord runs the contracts' admission checks, sequences the entry
// (unless an identical registration is logged already) and then the
// contracts' results.
func (s *Service) logRecord(ctx context.Context, signed *envelope.Signed, entry []byte,
	key string) (index uint64, replay bool, results []uint64, err error) {
	adm, err := s.admit(ctx, signed, entry)
	if err != nil {
		return 0, false, nil, err
	}
	if adm.existing != nil {
		index, replay = *adm.existing, true
	} else if index, replay, err = s.sequence(ctx, signed.Envelope.Org, entry, key); err != nil {
		return 0, false, nil, err
	}
	results, err = s.recordResults(ctx, signed, entry, index, adm)
	return index, replay, results, err
}

func decodeSubmit(r *http.Request) (*SubmitRequest, error) {
	req := new(SubmitRequest)
	if err := httpapi.Decode(r, req, maxBody); err != nil {
		return nil, err
	}
	if (req.Signed == nil) == (req.Envelope == nil) {
		return nil, httpapi.Invalid(httpapi.FieldError{Field: "signed",
			Rule: `want exactly one of "signed" and "envelope"`})
	}
	return req, nil
}

// authorize returns the signed envelope to log: a signed one verified
// against the key ring, or an unsigned one signed by the service for the
// caller's own organization.
// TODO(#7): organization keys come only from XT_LEDGER_ORG_KEYS.
func (s *Service) authorize(r *http.Request, req *SubmitRequest) (*envelope.Signed, error) {
	if req.Signed != nil {
		if err := req.Signed.Envelope.Validate(); err != nil {
			return nil, fail(http.StatusUnprocessableEntity, "invalid_envelope", "%v", err)
		}
		if err := s.keys.Verify(req.Signed); err != nil {
			return nil, fail(http.StatusForbidden, "bad_signature", "%v", err)
		}
		return req.Signed, nil
	}
	if s.sessions == nil {
		return nil, fail(http.StatusForbidden, "signature_required",
			"unsigned envelopes are not accepted here; sign with your organization's key")
	}
	claims, err := s.sessions.Authenticate(r)
	if err != nil {
		code := "unauthenticated"
		if errors.Is(err, session.ErrExpired) {
			code = "session_expired"
		}
		return nil, fail(http.StatusUnauthorized, code, "%v", err)
	}
	if err := req.Envelope.Validate(); err != nil {
		return nil, fail(http.StatusUnprocessableEntity, "invalid_envelope", "%v", err)
	}
	if claims.Corp != req.Envelope.Org {
		return nil, fail(http.StatusForbidden, "forbidden",
			"a member of %q cannot submit for %q", claims.Corp, req.Envelope.Org)
	}
	signed, err := s.service.SignFor(req.Envelope)
	if err != nil {
		return nil, fail(http.StatusUnprocessableEntity, "invalid_envelope", "%v", err)
	}
	return signed, nil
}

// checkEntry encodes signed as a log entry and checks that it parses back.
func checkEntry(signed *envelope.Signed) ([]byte, error) {
	entry, err := signed.Entry()
	if err == nil {
		_, err = envelope.Parse(entry)
	}
	if err != nil {
		return nil, fail(http.StatusUnprocessableEntity, "invalid_envelope", "%v", err)
	}
	if len(entry) > ledger.MaxEntrySize {
		return nil, fail(http.StatusRequestEntityTooLarge, "too_large",
			"entry of %d bytes above %d", len(entry), ledger.MaxEntrySize)
	}
	return entry, nil
}

// sequence appends entry, once per idempotency key of org when key is set;
// replay reports that an earlier request with the key had started it.
func (s *Service) sequence(ctx context.Context, org string, entry []byte,
	key string) (index uint64, replay bool, err error) {
	if key == "" {
		index, err = s.log.Append(ctx, entry)
		return index, false, err
	}
	sum := sha256.Sum256(entry)
	hash := hex.EncodeToString(sum[:])
	tid := tables.TenantKey(org)
	rowKey := tables.Key{tid, "ledger/" + key}
	claim, err := s.db.Claim(ctx, tables.Idem.Name, rowKey, hash, idemTTL)
	if errors.Is(err, tables.ErrConflict) {
		return 0, false, fail(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"Idempotency-Key %q was used for another entry", key)
	}
	if err != nil {
		return 0, false, err
	}
	if claim.State == tables.StateDone {
		var done struct{ Index uint64 }
		if err := json.Unmarshal(claim.Result, &done); err != nil {
			return 0, true, fmt.Errorf("ledgerapi: idempotency key %q: result: %w", key, err)
		}
		return done.Index, true, nil
	}
	// Fresh, or pending after a crash or in a concurrent request: the token
	// and the row's recorded position make the assignment happen once.
	in := &rowIntent{db: s.db, table: tables.Idem.Name, key: rowKey}
	if claim.Fresh {
		in.fresh = true // Claim wrote it at ver 1, without a position.
	}
	index, err = s.seq.AssignOnce(ctx, "idem/"+tid+"/"+key+"/"+hash[:16],
		[][]byte{entry}, in)
	if err != nil {
		return 0, false, err
	}
	result, _ := json.Marshal(struct{ Index uint64 }{index})
	if err := s.db.Complete(ctx, tables.Idem.Name, rowKey, hash, result); err != nil {
		return 0, false, err
	}
	return index, !claim.Fresh, nil
}

// rowIntent is a ledgerstore.Intent kept in a versioned row (an Idem or
// Outbox row): the position goes in colPos, with set alongside.
type rowIntent struct {
	db    *tables.Store
	table string
	key   tables.Key
	ver   int64
	set   tables.Cols
	row   *tables.Row // read already; used by the first Position
	fresh bool        // just created at ver 1; the first Position needs no read
}

// Position implements ledgerstore.Intent.
func (in *rowIntent) Position(ctx context.Context) (uint64, bool, error) {
	if in.fresh {
		in.fresh, in.ver = false, 1
		return 0, false, nil
	}
	row := in.row
	in.row = nil
	if row == nil {
		var err error
		if row, err = in.db.Get(ctx, in.table, in.key); err != nil {
			return 0, false, err
		}
	}
	in.ver = row.Ver()
	if !row.Has(colPos) {
		return 0, false, nil
	}
	return uint64(row.Int(colPos)), true, nil
}

// Save implements ledgerstore.Intent.
func (in *rowIntent) Save(ctx context.Context, pos uint64) error {
	set := tables.Cols{colPos: int64(pos)}
	for k, v := range in.set {
		set[k] = v
	}
	ver, err := in.db.Update(ctx, in.table, in.key, in.ver, tables.Change{Set: set})
	if errors.Is(err, tables.ErrConflict) {
		return fmt.Errorf("ledgerapi: intent: %w: %w", ledger.ErrConflict, err)
	}
	if err != nil {
		return err
	}
	in.ver = ver
	return nil
}
