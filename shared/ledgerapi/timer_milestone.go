package ledgerapi

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/tables"
)

// ProjectContractPrefix prefixes the project id that stands for the contract
// of a milestone acceptance when no contract of the project lists the
// milestone: the entry's contract_id is then "project:<project id>".
const ProjectContractPrefix = "project:"

// Kind of business index rows of milestone acceptances, keyed by
// "<project>/<milestone>/<n>".
const indexMilestoneAcceptance = "milestone.acceptance"

// contractByProject is the index of contracts by (tid, project_id).
const contractByProject = "contract_by_project"

// acceptanceEntry builds the signed milestone.acceptance entry of a request
// queued by the projects function. The report is the digest of the
// canonical acceptance record; the acceptor is a commitment to the
// acceptor's user id with the salt on the milestone row, so the log names
// no one and the owner can later open it.
func (s *Service) acceptanceEntry(ctx context.Context, tid, payload string) ([]byte, error) {
	var req ledgerreq.MilestoneAcceptance
	if err := json.Unmarshal([]byte(payload), &req); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", errUnloggable, err)
	}
	salt, err := s.acceptorSalt(ctx, tid, req)
	if err != nil {
		return nil, err
	}
	contract, err := s.milestoneContract(ctx, tid, req.ProjectID, req.MilestoneID)
	if err != nil {
		return nil, err
	}
	report, err := envelope.Canonical(req.Record())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnloggable, err)
	}
	body := &envelope.MilestoneAcceptance{ContractID: contract, MilestoneID: req.MilestoneID,
		Accepted: true, Report: envelope.DigestOf(report),
		Acceptor: envelope.Prove(salt, []byte(req.AcceptedBy)).Commitment()}
	return s.serviceEntry(req.Corp, req.AcceptedMS/1000, body)
}

// acceptorSalt reads the acceptor salt from the accepted milestone's row.
func (s *Service) acceptorSalt(ctx context.Context, tid string,
	req ledgerreq.MilestoneAcceptance) ([]byte, error) {
	row, err := s.db.Get(ctx, tables.Milestone.Name,
		tables.Key{tid, req.ProjectID, req.MilestoneID})
	if errors.Is(err, tables.ErrNotFound) {
		return nil, fmt.Errorf("%w: no milestone %q", errUnloggable, req.MilestoneID)
	}
	if err != nil {
		return nil, err
	}
	salt, err := hex.DecodeString(row.String(ledgerreq.ColAcceptorSalt))
	if err != nil || len(salt) != envelope.SaltSize {
		return nil, fmt.Errorf("%w: milestone %q: no acceptor salt", errUnloggable,
			req.MilestoneID)
	}
	return salt, nil
}

// milestoneContract returns the id of the project's contract whose
// milestones list names milestone, found through the contract_by_project
// index, or ProjectContractPrefix + project when none does. Of several, the
// smallest id counts.
func (s *Service) milestoneContract(ctx context.Context, tid, project,
	milestone string) (string, error) {
	var keys []tables.Key
	for row, err := range s.db.Scan(ctx, contractByProject,
		tables.Range{Prefix: tables.Key{tid, project}}) {
		if err != nil {
			return "", err
		}
		keys = append(keys, tables.Key{tid, row.Key[len(row.Key)-1]})
	}
	var ids []string
	if len(keys) > 0 {
		results, err := s.db.BatchGet(ctx, tables.Contract.Name, keys)
		if err != nil {
			return "", err
		}
		for _, res := range results {
			var ms []string
			if res.Row == nil || json.Unmarshal([]byte(res.Row.String("milestones")), &ms) != nil {
				continue
			}
			if id, _ := res.Row.Key[1].(string); slices.Contains(ms, milestone) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return ProjectContractPrefix + project, nil
	}
	return slices.Min(ids), nil
}

// indexAcceptance records a drained acceptance request's entry in
// tables.LedgerIndex; the put is safe to repeat.
func (s *Service) indexAcceptance(ctx context.Context, tid, payload string,
	index uint64) error {
	var req ledgerreq.MilestoneAcceptance
	if err := json.Unmarshal([]byte(payload), &req); err != nil {
		return nil // Logged already; nothing to index by.
	}
	key := fmt.Sprintf("%s/%s/%08d", req.ProjectID, req.MilestoneID, req.N)
	err := s.db.Put(ctx, tables.LedgerIndex.Name, tables.Key{tid, indexMilestoneAcceptance, key},
		tables.Cols{"index": int64(index)})
	if err != nil {
		return fmt.Errorf("ledgerapi: index %q: %w", key, err)
	}
	return nil
}
