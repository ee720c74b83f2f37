package contracts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// Errors of the OSS trigger handler.
var (
	// ErrInProgress means another delivery of the same upload is verifying
	// it; the host retries the event later and finds it done.
	ErrInProgress = errors.New("upload is being verified by another delivery")
)

// HandleOSS handles OSS object-created events for contract uploads. Events
// for other keys (quarantined files, anything outside
// contracts/<tid>/<contract>/uploads/) and other event kinds are ignored.
// Each upload is verified against its grant and recorded as the next
// version, or quarantined. Delivering the same event twice records one
// version. The error joins the failures that deserve a retry.
func (s *Service) HandleOSS(ctx context.Context, ev runtime.OSSEvent) error {
	var errs []error
	for _, rec := range ev.Records {
		if err := s.handleRecord(ctx, rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) handleRecord(ctx context.Context, rec runtime.OSSRecord) error {
	log := runtime.Logger(ctx).With("key", rec.Key, "event", rec.EventName)
	ref, ok := parseUploadKey(rec.Key)
	if !strings.HasPrefix(rec.EventName, "ObjectCreated:") || !ok ||
		rec.Bucket != s.files.Bucket() {
		log.Debug("oss_ignored", "bucket", rec.Bucket)
		return nil
	}
	row, err := s.db.Get(ctx, tables.ContractUpload.Name, tables.Key{ref.tid, ref.upload})
	if errors.Is(err, tables.ErrNotFound) {
		log.Warn("upload_refused", "reason", "no grant for this key")
		return s.quarantineStray(ctx, ref, rec.Key)
	}
	if err != nil {
		return err
	}
	up := uploadFrom(row)
	switch up.Status {
	case UploadRecorded:
		log.Info("upload_duplicate", "version", up.Version)
		return nil
	case UploadQuarantined:
		return s.moveToQuarantine(ctx, ref.tid, up)
	case UploadRecording:
		if s.now().Before(up.claimedAt.Add(uploadLease)) {
			return fmt.Errorf("contracts: upload %q: %w", rec.Key, ErrInProgress)
		}
	}
	takeover := up.Status == UploadRecording
	if up, err = s.claim(ctx, ref.tid, up); err != nil {
		return err
	}
	if up == nil {
		log.Info("upload_duplicate")
		return nil
	}
	return s.process(ctx, ref, up, rec, takeover)
}

// claim moves up to recording under its ver, so that one delivery verifies
// it. A lost race returns nil, nil when the winner finished, ErrInProgress
// when it is still at work.
func (s *Service) claim(ctx context.Context, tid string, up *Upload) (*Upload, error) {
	now := s.now()
	ver, err := s.db.Update(ctx, tables.ContractUpload.Name, tables.Key{tid, up.ID}, up.ver,
		tables.Change{Set: tables.Cols{colStatus: string(UploadRecording),
			colClaimedMS: ms(now)}})
	if errors.Is(err, tables.ErrConflict) {
		if row, ok := tables.Current(err); ok &&
			UploadStatus(row.String(colStatus)) != UploadRecording {
			return nil, nil
		}
		return nil, fmt.Errorf("contracts: upload %q: %w", up.Key, ErrInProgress)
	}
	if err != nil {
		return nil, err
	}
	up.Status, up.claimedAt, up.ver = UploadRecording, now, ver
	return up, nil
}

// process verifies a claimed upload and records or quarantines it.
func (s *Service) process(ctx context.Context, ref keyRef, up *Upload, rec runtime.OSSRecord,
	takeover bool) error {
	log := runtime.Logger(ctx).With("key", up.Key, "upload", up.ID)
	v, reason, err := s.verify(ctx, ref, up, rec.Key)
	if err != nil {
		s.unclaim(ctx, ref.tid, up)
		return err
	}
	if reason != "" {
		log.Warn("upload_refused", "reason", reason)
		return s.reject(ctx, ref.tid, up, reason)
	}
	n, err := s.record(ctx, ref.tid, up, v, takeover)
	if err != nil {
		return err
	}
	log.Info("version_recorded", "contract", up.ContractID, "version", n, "size", v.Size,
		"sha256", v.SHA256)
	return nil
}

// unclaim hands an upload back after a transient failure so that the retry
// need not wait for the lease. Failing that, the lease runs out.
func (s *Service) unclaim(ctx context.Context, tid string, up *Upload) {
	s.db.Update(ctx, tables.ContractUpload.Name, tables.Key{tid, up.ID}, up.ver,
		tables.Change{Set: tables.Cols{colStatus: string(UploadGranted)},
			Delete: []string{colClaimedMS}})
}

// verify checks the landed object against its grant. A refusal is a reason;
// err is for failures worth a retry.
func (s *Service) verify(ctx context.Context, ref keyRef, up *Upload,
	key string) (*Version, string, error) {
	if up.Key != key || up.ContractID != ref.contract {
		return nil, "the grant is for another key", nil
	}
	ct, err := s.getContract(ctx, ref.tid, up.ContractID)
	if errors.Is(err, tables.ErrNotFound) {
		return nil, "the contract does not exist", nil
	}
	if err != nil {
		return nil, "", err
	}
	if !ct.Status.AcceptsUploads() {
		return nil, "the contract is " + string(ct.Status), nil
	}
	info, err := s.files.Head(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, "the object is gone", nil
	}
	if err != nil {
		return nil, "", err
	}
	if reason := checkInfo(up, info); reason != "" {
		return nil, reason, nil
	}
	return s.inspect(ctx, up, info)
}

// checkInfo compares what OSS says of the object with the grant.
func checkInfo(up *Upload, info blob.Info) string {
	switch {
	case info.Size < up.MinSize || info.Size > up.MaxSize:
		return fmt.Sprintf("size %d is outside the granted range [%d, %d]", info.Size,
			up.MinSize, up.MaxSize)
	case info.ContentType != up.ContentType:
		return fmt.Sprintf("content type %q was sent, the grant allows %q", info.ContentType,
			up.ContentType)
	case info.Meta[metaUploadID] != up.ID:
		return "the upload does not carry the grant's upload id"
	case !info.LastModified.IsZero() && info.LastModified.After(up.Expires.Add(expirySlack)):
		return "the object landed after the grant expired"
	}
	return ""
}

// inspect streams the object once: its SHA-256, size and sniffed type.
func (s *Service) inspect(ctx context.Context, up *Upload, info blob.Info) (*Version,
	string, error) {
	r, err := s.files.Open(ctx, up.Key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, "the object is gone", nil
	}
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	in := NewInspector()
	if _, err := io.Copy(in, io.LimitReader(r, up.MaxSize+1)); err != nil {
		return nil, "", fmt.Errorf("contracts: verify %q: %w", up.Key, err)
	}
	switch kind := in.Kind(); {
	case in.Size() != info.Size || r.Info.ETag != info.ETag:
		return nil, "the object changed while it was verified", nil
	case kind == KindExecutable:
		return nil, "the content is an executable program", nil
	case kind != up.ContentType:
		return nil, fmt.Sprintf("the content is %s, the grant allows %s", kind, up.ContentType), nil
	}
	landed := info.LastModified
	if landed.IsZero() {
		landed = s.now()
	}
	return &Version{ContractID: up.ContractID, UploadID: up.ID, Key: up.Key, Size: in.Size(),
		ContentType: up.ContentType, SHA256: in.SHA256(), Filename: up.Filename,
		UploadedBy: up.Uploader, UploadedAt: landed.UTC()}, "", nil
}

// reject marks the upload quarantined, reports it and moves the file.
func (s *Service) reject(ctx context.Context, tid string, up *Upload, reason string) error {
	_, err := s.db.Update(ctx, tables.ContractUpload.Name, tables.Key{tid, up.ID}, up.ver,
		tables.Change{Set: tables.Cols{colStatus: string(UploadQuarantined), colReason: reason}})
	if err != nil {
		return err
	}
	up.Status, up.Reason = UploadQuarantined, reason
	// TODO(#4): also queue a DingTalk notice to the uploader in the Outbox once
	// the notify function's message shape is fixed (issue #6, Notifications).
	if err := s.activity(ctx, tid, up.Uploader, "contract.upload_quarantined", up.ContractID,
		map[string]any{"upload": up.ID, "key": up.Key, "reason": reason}); err != nil {
		return err
	}
	return s.moveToQuarantine(ctx, tid, up)
}

// moveToQuarantine moves a refused file out of uploads/; repeating it is
// harmless.
func (s *Service) moveToQuarantine(ctx context.Context, tid string, up *Upload) error {
	return s.move(ctx, up.Key, quarantineKey(tid, up.ContractID, up.ID))
}

func (s *Service) move(ctx context.Context, from, to string) error {
	err := s.files.CopyIfAbsent(ctx, from, to)
	if errors.Is(err, blob.ErrNotFound) {
		return nil // moved already
	}
	if err != nil && !errors.Is(err, blob.ErrExists) {
		return err
	}
	return s.files.Delete(ctx, from)
}

// quarantineStray moves an object that landed under uploads/ without a
// grant, and reports it.
func (s *Service) quarantineStray(ctx context.Context, ref keyRef, key string) error {
	if err := s.activity(ctx, ref.tid, "", "contract.upload_quarantined", ref.contract,
		map[string]any{"upload": ref.upload, "key": key,
			"reason": "no grant for this key"}); err != nil {
		return err
	}
	return s.move(ctx, key, quarantineKey(ref.tid, ref.contract, ref.upload))
}

// record makes v the contract's next version: a conditional create of the
// version row (never overwriting one), a ver-checked raise of the contract's
// counter, the ledger record request and the upload's final status. Each
// step can be repeated by a retry without effect.
func (s *Service) record(ctx context.Context, tid string, up *Upload, v *Version,
	takeover bool) (int64, error) {
	v.RecordedAt = s.now().UTC().Truncate(time.Millisecond)
	n, err := s.createVersion(ctx, tid, up, v, takeover)
	if err != nil {
		return 0, err
	}
	v.Number = n
	if err := s.raiseLatest(ctx, tid, up.ContractID, n); err != nil {
		return 0, err
	}
	if err := s.requestLedger(ctx, tid, v); err != nil {
		return 0, err
	}
	if err := s.activity(ctx, tid, up.Uploader, "contract.version_recorded", up.ContractID,
		map[string]any{"version": n, "sha256": v.SHA256, "size": v.Size}); err != nil {
		return 0, err
	}
	_, err = s.db.Update(ctx, tables.ContractUpload.Name, tables.Key{tid, up.ID}, up.ver,
		tables.Change{Set: tables.Cols{colStatus: string(UploadRecorded), colVersion: n}})
	return n, err
}

// maxVersionTries bounds how many version numbers one upload tries when
// others take them first.
const maxVersionTries = 16

// createVersion creates the row of the first free version number after the
// contract's latest and returns it. A row this upload created earlier (a
// delivery that died midway) is reused.
func (s *Service) createVersion(ctx context.Context, tid string, up *Upload, v *Version,
	takeover bool) (int64, error) {
	if takeover {
		vs, err := s.listVersions(ctx, tid, up.ContractID)
		if err != nil {
			return 0, err
		}
		for _, old := range vs {
			if old.UploadID == up.ID {
				*v = *old
				return old.Number, nil
			}
		}
	}
	ct, err := s.getContract(ctx, tid, up.ContractID)
	if err != nil {
		return 0, err
	}
	n := ct.LatestVersion
	for range maxVersionTries {
		n++
		_, err := s.db.Create(ctx, tables.ContractVersion.Name, tables.Key{tid, up.ContractID, n},
			versionCols(v))
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, tables.ErrExists) {
			return 0, err
		}
		row, err := s.db.Get(ctx, tables.ContractVersion.Name, tables.Key{tid, up.ContractID, n})
		if err != nil {
			return 0, err
		}
		if row.String(colUploadID) == up.ID {
			return n, nil
		}
	}
	return 0, fmt.Errorf("contracts: record %q: %w: %d version numbers taken meanwhile",
		up.Key, tables.ErrConflict, maxVersionTries)
}

// raiseLatest sets the contract's latest version to at least n, under ver.
func (s *Service) raiseLatest(ctx context.Context, tid, id string, n int64) error {
	for range maxVersionTries {
		ct, err := s.getContract(ctx, tid, id)
		if err != nil {
			return err
		}
		if ct.LatestVersion >= n {
			return nil
		}
		_, err = s.db.Update(ctx, tables.Contract.Name, tables.Key{tid, id}, ct.Ver,
			tables.Change{Set: tables.Cols{colLatest: n, colUpdatedMS: ms(s.now())}})
		if !errors.Is(err, tables.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("contracts: raise version of %q: %w", id, tables.ErrConflict)
}

// requestLedger queues the ledger record request of v in the Outbox, once.
func (s *Service) requestLedger(ctx context.Context, tid string, v *Version) error {
	return ledgerreq.Queue(ctx, s.db, tid, ledgerreq.ContractMsgID(v.ContractID, v.Number),
		ledgerreq.ContractVersion{Type: ledgerreq.TypeContractVersion, Corp: tenantCorp(tid),
			ContractID: v.ContractID, Version: v.Number, SHA256: v.SHA256, Size: v.Size,
			ContentType: v.ContentType, UploadedBy: v.UploadedBy, UploadedAt: v.UploadedAt},
		s.now())
}
