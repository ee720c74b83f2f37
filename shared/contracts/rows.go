package contracts

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xietong/xietong/shared/tables"
)

// Columns of the rows this package writes.
const (
	colCorp        = "corp"
	colProject     = "project_id"
	colTitle       = "title"
	colParties     = "parties"
	colAmount      = "amount_fen"
	colCurrency    = "currency"
	colMilestones  = "milestones"
	colStatus      = "status"
	colLatest      = "latest_version"
	colCreatedBy   = "created_by"
	colCreatedMS   = "created_ms"
	colUpdatedMS   = "updated_ms"
	colContract    = "contract_id"
	colUploadID    = "upload_id"
	colKey         = "key"
	colSize        = "size"
	colType        = "content_type"
	colSHA256      = "sha256"
	colFilename    = "filename"
	colUploader    = "uploader"
	colUploadedMS  = "uploaded_ms"
	colRecordedMS  = "recorded_ms"
	colMinSize     = "min_size"
	colMaxSize     = "max_size"
	colExpiresMS   = "expires_ms"
	colReason      = "reason"
	colVersion     = "version"
	colClaimedMS   = "claimed_ms"
	colMemberRole  = "role"
	colMemberState = "status"
	// The contract's current OA approval (approval.go).
	colApprovalInstance = "approval_instance"
	colApprovalOutcome  = "approval_outcome"
	colApprovalStarted  = "approval_started_ms"
	colApprovalFinished = "approval_finished_ms"
)

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

func contractCols(c *Contract) tables.Cols {
	parties, _ := json.Marshal(c.Parties)
	milestones, _ := json.Marshal(c.MilestoneIDs)
	return tables.Cols{
		colCorp: c.Corp, colProject: c.ProjectID, colTitle: c.Title,
		colParties: string(parties), colAmount: c.AmountFen, colCurrency: c.Currency,
		colMilestones: string(milestones), colStatus: string(c.Status),
		colLatest: c.LatestVersion, colCreatedBy: c.CreatedBy,
		colCreatedMS: ms(c.CreatedAt), colUpdatedMS: ms(c.UpdatedAt),
	}
}

func contractFrom(row *tables.Row) (*Contract, error) {
	c := &Contract{
		ID: keyString(row.Key, 1), Corp: row.String(colCorp), ProjectID: row.String(colProject),
		Title: row.String(colTitle), AmountFen: row.Int(colAmount),
		Currency: row.String(colCurrency), Status: Status(row.String(colStatus)),
		LatestVersion: row.Int(colLatest), CreatedBy: row.String(colCreatedBy),
		CreatedAt: fromMS(row.Int(colCreatedMS)), UpdatedAt: fromMS(row.Int(colUpdatedMS)),
		Ver: row.Ver(),
	}
	if id := row.String(colApprovalInstance); id != "" {
		c.Approval = &Approval{InstanceID: id, Outcome: row.String(colApprovalOutcome),
			Started:  fromMS(row.Int(colApprovalStarted)),
			Finished: fromMS(row.Int(colApprovalFinished))}
	}
	if err := json.Unmarshal([]byte(row.String(colParties)), &c.Parties); err != nil {
		return nil, fmt.Errorf("contracts: read %q: parties: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(row.String(colMilestones)), &c.MilestoneIDs); err != nil {
		return nil, fmt.Errorf("contracts: read %q: milestones: %w", c.ID, err)
	}
	return c, nil
}

func keyString(k tables.Key, i int) string {
	if i < len(k) {
		s, _ := k[i].(string)
		return s
	}
	return ""
}

func versionCols(v *Version) tables.Cols {
	return tables.Cols{
		colUploadID: v.UploadID, colKey: v.Key, colSize: v.Size, colType: v.ContentType,
		colSHA256: v.SHA256, colFilename: v.Filename, colUploader: v.UploadedBy,
		colUploadedMS: ms(v.UploadedAt), colRecordedMS: ms(v.RecordedAt),
	}
}

func versionFrom(row *tables.Row) *Version {
	n, _ := row.Key[2].(int64)
	return &Version{
		Number: n, ContractID: keyString(row.Key, 1), UploadID: row.String(colUploadID),
		Key: row.String(colKey), Size: row.Int(colSize), ContentType: row.String(colType),
		SHA256: row.String(colSHA256), Filename: row.String(colFilename),
		UploadedBy: row.String(colUploader), UploadedAt: fromMS(row.Int(colUploadedMS)),
		RecordedAt: fromMS(row.Int(colRecordedMS)),
	}
}

func uploadCols(u *Upload) tables.Cols {
	return tables.Cols{
		colContract: u.ContractID, colKey: u.Key, colFilename: u.Filename,
		colType: u.ContentType, colMinSize: u.MinSize, colMaxSize: u.MaxSize,
		colUploader: u.Uploader, colExpiresMS: ms(u.Expires), colStatus: string(u.Status),
	}
}

func uploadFrom(row *tables.Row) *Upload {
	return &Upload{
		ID: keyString(row.Key, 1), ContractID: row.String(colContract), Key: row.String(colKey),
		Filename: row.String(colFilename), ContentType: row.String(colType),
		MinSize: row.Int(colMinSize), MaxSize: row.Int(colMaxSize),
		Uploader: row.String(colUploader), Expires: fromMS(row.Int(colExpiresMS)),
		Status: UploadStatus(row.String(colStatus)), Reason: row.String(colReason),
		Version: row.Int(colVersion), ver: row.Ver(), claimedAt: fromMS(row.Int(colClaimedMS)),
	}
}

// getContract reads contract id of tenant tid.
func (s *Service) getContract(ctx context.Context, tid, id string) (*Contract, error) {
	return readContract(ctx, s.db, tid, id)
}

func readContract(ctx context.Context, db *tables.Store, tid, id string) (*Contract, error) {
	row, err := db.Get(ctx, tables.Contract.Name, tables.Key{tid, id})
	if err != nil {
		return nil, err
	}
	return contractFrom(row)
}

// listVersions reads every version of a contract, oldest first.
func (s *Service) listVersions(ctx context.Context, tid, id string) ([]*Version, error) {
	rows, _, err := s.db.Page(ctx, tables.ContractVersion.Name,
		tables.Range{Prefix: tables.Key{tid, id}})
	if err != nil {
		return nil, err
	}
	out := make([]*Version, len(rows))
	for i, row := range rows {
		out[i] = versionFrom(row)
	}
	return out, nil
}

// activity appends one entry to the tenant's trail. An SDK retry may append
// it twice (tables.AutoInc); the trail tolerates that.
func (s *Service) activity(ctx context.Context, tid, actor, verb, object string,
	detail any) error {
	return writeActivity(ctx, s.db, s.now(), tid, actor, verb, object, detail)
}

func writeActivity(ctx context.Context, db *tables.Store, at time.Time, tid, actor, verb,
	object string, detail any) error {
	d, _ := json.Marshal(detail)
	_, err := db.Create(ctx, tables.Activity.Name, tables.Key{tid, tables.AutoInc},
		tables.Cols{"actor": actor, "verb": verb, "object": object, "detail": string(d),
			"at_ms": ms(at)})
	return err
}
