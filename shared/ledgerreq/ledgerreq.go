// Package ledgerreq holds the ledger record requests that the contracts and
// projects functions queue in the Outbox for the ledger function: their
// kind, payloads and message ids, and the call that queues one once. The
// package is small on purpose, so that the ledger function does not link
// the functions that queue the requests.
package ledgerreq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/tables"
)

// Kind is the Outbox kind of a ledger record request; the ledger function
// drains these rows.
const Kind = "ledger.record"

// Payload types of ledger record requests.
const (
	TypeContractVersion     = "contract.version"
	TypeMilestoneAcceptance = "milestone.acceptance"
)

// ContractVersion is the payload of a contract version request: what the
// ledger seals for one uploaded and verified version.
type ContractVersion struct {
	Type        string    `json:"type"` // TypeContractVersion
	Corp        string    `json:"corp"`
	ContractID  string    `json:"contractId"`
	Version     int64     `json:"version"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"contentType"`
	UploadedBy  string    `json:"uploadedBy"`
	UploadedAt  time.Time `json:"uploadedAt"`
}

// ContractMsgID is the Outbox msg_id of the request of a contract version;
// one per version, so a repeated record writes it once.
func ContractMsgID(contract string, version int64) string {
	return fmt.Sprintf("ledger/contract/%s/%08d", contract, version)
}

// ColAcceptorSalt is the milestone row column holding the hex salt of the
// acceptor commitment. It is written with the acceptance and kept after.
const ColAcceptorSalt = "acceptor_salt"

// AcceptorSaltSize is the size of an acceptor salt in bytes (that of the
// ledger's commitment salts).
const AcceptorSaltSize = 32

// MilestoneAcceptance is the payload of a milestone acceptance request: the
// acceptance record the ledger entry's report digest is computed from.
// AcceptedBy is the acceptor's user id; it stays in the Outbox and is never
// written to the log (the entry holds a commitment salted with the
// milestone row's ColAcceptorSalt).
type MilestoneAcceptance struct {
	Type        string `json:"type"` // TypeMilestoneAcceptance
	Corp        string `json:"corp"`
	ProjectID   string `json:"projectId"`
	MilestoneID string `json:"milestoneId"`
	AcceptedBy  string `json:"acceptedBy"`
	AcceptedMS  int64  `json:"acceptedMs"`
	Note        string `json:"note"`
	// N is the milestone row version the acceptance wrote.
	N int64 `json:"n"`
}

// AcceptanceRecord is the canonical acceptance record whose digest is an
// entry's report: anyone holding the record recomputes the digest.
type AcceptanceRecord struct {
	Project    string `json:"project"`
	Milestone  string `json:"milestone"`
	AcceptedBy string `json:"accepted_by"`
	AcceptedMS int64  `json:"accepted_ms"`
	Note       string `json:"note"`
}

// Record returns the acceptance record of the request.
func (a MilestoneAcceptance) Record() AcceptanceRecord {
	return AcceptanceRecord{Project: a.ProjectID, Milestone: a.MilestoneID,
		AcceptedBy: a.AcceptedBy, AcceptedMS: a.AcceptedMS, Note: a.Note}
}

// MilestoneMsgID is the Outbox msg_id of the request of the acceptance of
// milestone in project that wrote row version n; one per acceptance.
func MilestoneMsgID(project, milestone string, n int64) string {
	return fmt.Sprintf("ledger/milestone/%s/%s/%08d", project, milestone, n)
}

// Type returns the type a request payload names ("" if none).
func Type(payload string) string {
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal([]byte(payload), &p)
	return p.Type
}

// Creator is the part of tables.Store that Queue needs.
type Creator interface {
	Create(ctx context.Context, table string, key tables.Key, cols tables.Cols) (tables.Key,
		error)
}

// Queue creates the pending request row msgID of tenant tid with payload,
// due now; a row already there (a repeated call) is no error.
func Queue(ctx context.Context, db Creator, tid, msgID string, payload any,
	now time.Time) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("ledgerreq: queue %q: %w", msgID, err)
	}
	ms := now.UnixMilli()
	_, err = db.Create(ctx, tables.Outbox.Name, tables.Key{tid, msgID},
		tables.Cols{"kind": Kind, "state": "pending", "payload": string(body),
			"attempts": int64(0), "due_ms": ms, "created_ms": ms})
	if err != nil && !errors.Is(err, tables.ErrExists) {
		return fmt.Errorf("ledgerreq: queue %q: %w", msgID, err)
	}
	return nil
}
