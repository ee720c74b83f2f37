package contracts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/xietong/xietong/shared/access"
	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/tables"
)

func pathCorp(r *http.Request) (string, error) {
	corp := r.PathValue("corp")
	if !corpRE().MatchString(corp) {
		return "", httpapi.Invalid(FieldError{Field: "corp",
			Rule: "a corp id, 1-64 of A-Z a-z 0-9 _ . -"})
	}
	return corp, nil
}

// loadContract reads the contract named by the path and checks that the
// caller may do a to it.
func (s *Service) loadContract(r *http.Request, c caller, a access.Action) (*Contract, error) {
	corp, err := pathCorp(r)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if !idRE().MatchString(id) {
		return nil, httpapi.Invalid(FieldError{Field: "id",
			Rule: "a contract id, 1-64 of A-Z a-z 0-9 _ -"})
	}
	ct, err := s.getContract(r.Context(), tables.TenantKey(corp), id)
	if errors.Is(err, tables.ErrNotFound) {
		return nil, httpapi.Err(http.StatusNotFound, "contract_not_found", "no such contract")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.authorize(r.Context(), c, a, corp, ct.ProjectID, ct.PartyCorps()); err != nil {
		return nil, err
	}
	return ct, nil
}

func (s *Service) create(w http.ResponseWriter, r *http.Request, c caller) error {
	corp, err := pathCorp(r)
	if err != nil {
		return err
	}
	var req CreateRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	if errs := req.Validate(); errs != nil {
		return httpapi.Invalid(errs...)
	}
	ctx, tid := r.Context(), tables.TenantKey(corp)
	parties := (&Contract{Parties: req.Parties}).PartyCorps()
	if _, err := s.authorize(ctx, c, access.ContractCreate, corp, req.ProjectID,
		parties); err != nil {
		return err
	}
	if err := s.checkMilestones(ctx, tid, req.ProjectID, req.MilestoneIDs); err != nil {
		return err
	}
	return httpapi.Idempotent(w, r, s.db, tid, "contracts/"+c.uid, http.StatusCreated, req,
		func() (any, error) {
			return s.insert(ctx, corp, c, req)
		})
}

func (s *Service) insert(ctx context.Context, corp string, c caller,
	req CreateRequest) (*Contract, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	ct := &Contract{ID: s.newContractID(), Corp: corp, ProjectID: req.ProjectID,
		Title: req.Title, Parties: req.Parties, AmountFen: req.AmountFen,
		Currency: req.Currency, MilestoneIDs: req.MilestoneIDs, Status: Draft,
		CreatedBy: c.uid, CreatedAt: now, UpdatedAt: now, Ver: 1}
	if ct.MilestoneIDs == nil {
		ct.MilestoneIDs = []string{}
	}
	tid := tables.TenantKey(corp)
	if _, err := s.db.Create(ctx, tables.Contract.Name, tables.Key{tid, ct.ID},
		contractCols(ct)); err != nil {
		return nil, err
	}
	return ct, s.activity(ctx, tid, c.uid, "contract.created", ct.ID,
		map[string]any{"project": ct.ProjectID, "title": ct.Title})
}

// checkMilestones refuses milestone ids that are not milestones of project.
func (s *Service) checkMilestones(ctx context.Context, tid, project string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]tables.Key, len(ids))
	for i, id := range ids {
		keys[i] = tables.Key{tid, project, id}
	}
	res, err := s.db.BatchGet(ctx, tables.Milestone.Name, keys, tables.Columns("ver"))
	if err != nil {
		return err
	}
	var errs []FieldError
	for i, r := range res {
		if r.Row == nil {
			errs = append(errs, FieldError{Field: fmt.Sprintf("milestoneIds[%d]", i),
				Rule: "no such milestone in the project"})
		}
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	return nil
}

func (s *Service) list(w http.ResponseWriter, r *http.Request, c caller) error {
	corp, err := pathCorp(r)
	if err != nil {
		return err
	}
	project := r.URL.Query().Get("projectId")
	if !idRE().MatchString(project) {
		return httpapi.Invalid(FieldError{Field: "projectId",
			Rule: "required query parameter, a project id"})
	}
	ctx, tid := r.Context(), tables.TenantKey(corp)
	role, err := s.authorize(ctx, c, access.ProjectView, corp, project, nil)
	if err != nil {
		return err
	}
	rows, err := s.projectContracts(ctx, tid, project)
	if err != nil {
		return err
	}
	out := []*Contract{}
	for _, row := range rows {
		ct, err := contractFrom(row)
		if err != nil {
			return err
		}
		res := access.Resource{OwnerCorp: corp, ProjectRole: role, Parties: ct.PartyCorps()}
		if access.Can(c.Subject, access.ContractRead, res) {
			out = append(out, ct)
		}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"contracts": out})
	return nil
}

// projectContracts reads a project's contracts through the contract_by_project
// index (which holds only keys) and then the contract rows themselves.
func (s *Service) projectContracts(ctx context.Context, tid, project string) ([]*tables.Row,
	error) {
	var keys []tables.Key
	for row, err := range s.db.Scan(ctx, contractByProject,
		tables.Range{Prefix: tables.Key{tid, project}}) {
		if err != nil {
			return nil, err
		}
		keys = append(keys, tables.Key{tid, row.Key[len(row.Key)-1]})
	}
	if len(keys) == 0 {
		return nil, nil
	}
	results, err := s.db.BatchGet(ctx, tables.Contract.Name, keys)
	if err != nil {
		return nil, err
	}
	rows := make([]*tables.Row, 0, len(results))
	for _, res := range results {
		if res.Row != nil { // nil: deleted after the index was read
			rows = append(rows, res.Row)
		}
	}
	return rows, nil
}

// contractByProject is the index of contracts by (tid, project_id).
const contractByProject = "contract_by_project"

func (s *Service) get(w http.ResponseWriter, r *http.Request, c caller) error {
	ct, err := s.loadContract(r, c, access.ContractRead)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, ct)
	return nil
}

func (s *Service) setStatus(w http.ResponseWriter, r *http.Request, c caller) error {
	var req StatusRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	var errs []FieldError
	if !req.Status.Valid() {
		errs = append(errs, FieldError{Field: "status",
			Rule: "one of draft, under_approval, signed, closed"})
	}
	if req.Ver < 1 {
		errs = append(errs, FieldError{Field: "ver",
			Rule: "required, the contract's ver as last read"})
	}
	if errs != nil {
		return httpapi.Invalid(errs...)
	}
	ct, err := s.loadContract(r, c, access.ContractUpdate)
	if err != nil {
		return err
	}
	if err := checkTransition(ct, req); err != nil {
		return err
	}

	var next *Contract
	if req.Status == UnderApproval {
		next, err = s.submit(r.Context(), c, ct)
	} else {
		next, err = s.moveStatus(r.Context(), ct, req)
	}
	if err != nil {
		return err
	}
	if err := s.activity(r.Context(), tables.TenantKey(ct.Corp), c.uid,
		"contract.status_changed", ct.ID,
		map[string]any{"from": ct.Status, "to": next.Status}); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, next)
	return nil
}

// moveStatus moves ct to req.Status if it is still at req.Ver.
func (s *Service) moveStatus(ctx context.Context, ct *Contract,
	req StatusRequest) (*Contract, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	ver, err := s.db.Update(ctx, tables.Contract.Name,
		tables.Key{tables.TenantKey(ct.Corp), ct.ID}, req.Ver,
		tables.Change{Set: tables.Cols{colStatus: string(req.Status), colUpdatedMS: ms(now)}})
	if errors.Is(err, tables.ErrConflict) {
		return nil, staleVersion(req.Ver, err)
	}
	if err != nil {
		return nil, err
	}
	next := *ct
	next.Status, next.UpdatedAt, next.Ver = req.Status, now, ver
	return &next, nil
}

func checkTransition(ct *Contract, req StatusRequest) error {
	if req.Ver != ct.Ver {
		return &httpapi.Error{Status: http.StatusConflict, Code: "stale_version",
			Message: fmt.Sprintf("ver %d is stale; the contract is at ver %d", req.Ver, ct.Ver),
			Details: map[string]any{"current": ct}}
	}
	if !ct.Status.CanMoveTo(req.Status) {
		return &httpapi.Error{Status: http.StatusUnprocessableEntity,
			Code:    "transition_not_allowed",
			Message: fmt.Sprintf("status: %s cannot move to %s", ct.Status, req.Status),
			Details: map[string]any{"from": ct.Status, "allowed": transitions[ct.Status]}}
	}
	if (req.Status == UnderApproval || req.Status == Signed) && ct.LatestVersion == 0 {
		return httpapi.Err(http.StatusUnprocessableEntity, "no_version",
			"status: "+string(req.Status)+" needs a recorded file version")
	}
	return checkApproval(ct, req.Status)
}

func staleVersion(ver int64, err error) error {
	e := &httpapi.Error{Status: http.StatusConflict, Code: "stale_version",
		Message: fmt.Sprintf("ver %d is stale; the contract changed meanwhile", ver)}
	if row, ok := tables.Current(err); ok {
		if cur, cerr := contractFrom(row); cerr == nil {
			e.Details = map[string]any{"current": cur}
		}
	}
	return e
}

func (s *Service) grantUpload(w http.ResponseWriter, r *http.Request, c caller) error {
	var req UploadRequest
	if err := httpapi.Decode(r, &req, maxBody); err != nil {
		return err
	}
	if errs := req.Validate(s.cfg.MaxUploadSize); errs != nil {
		return httpapi.Invalid(errs...)
	}
	ct, err := s.loadContract(r, c, access.ContractUpload)
	if err != nil {
		return err
	}
	if !ct.Status.AcceptsUploads() {
		return httpapi.Err(http.StatusConflict, "contract_locked",
			"a "+string(ct.Status)+" contract takes no new versions")
	}
	tid, id := tables.TenantKey(ct.Corp), uuid.NewString()
	up := &Upload{ID: id, ContractID: ct.ID, Key: uploadKey(tid, ct.ID, id),
		Filename: req.Filename, ContentType: req.ContentType, MinSize: 1,
		MaxSize: s.cfg.MaxUploadSize, Uploader: c.uid, Status: UploadGranted}
	if req.Size > 0 {
		up.MinSize, up.MaxSize = req.Size, req.Size
	}
	g, err := s.files.PutGrant(up.Key, blob.GrantSpec{MinSize: up.MinSize, MaxSize: up.MaxSize,
		ContentTypes: []string{up.ContentType}, Expiry: s.cfg.GrantExpiry,
		Meta: map[string]string{metaUploadID: id}})
	if err != nil {
		return err
	}
	up.Expires = g.Expires
	if _, err := s.db.Create(r.Context(), tables.ContractUpload.Name, tables.Key{tid, id},
		uploadCols(up)); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, GrantResponse{Upload: up, Grant: g})
	return nil
}

// metaUploadID is the user metadata every granted upload carries.
const metaUploadID = "upload-id"

func (s *Service) uploadStatus(w http.ResponseWriter, r *http.Request, c caller) error {
	ct, err := s.loadContract(r, c, access.ContractRead)
	if err != nil {
		return err
	}
	id := r.PathValue("upload")
	row, err := s.db.Get(r.Context(), tables.ContractUpload.Name,
		tables.Key{tables.TenantKey(ct.Corp), id})
	if errors.Is(err, tables.ErrNotFound) || (err == nil && row.String(colContract) != ct.ID) {
		return httpapi.Err(http.StatusNotFound, "upload_not_found",
			"no such upload of this contract")
	}
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, uploadFrom(row))
	return nil
}

func (s *Service) versions(w http.ResponseWriter, r *http.Request, c caller) error {
	ct, err := s.loadContract(r, c, access.ContractRead)
	if err != nil {
		return err
	}
	vs, err := s.listVersions(r.Context(), tables.TenantKey(ct.Corp), ct.ID)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"versions": vs})
	return nil
}

func (s *Service) download(w http.ResponseWriter, r *http.Request, c caller) error {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n < 1 {
		return httpapi.Invalid(FieldError{Field: "n", Rule: "a version number >= 1"})
	}
	ct, err := s.loadContract(r, c, access.ContractDownload)
	if err != nil {
		return err
	}
	row, err := s.db.Get(r.Context(), tables.ContractVersion.Name,
		tables.Key{tables.TenantKey(ct.Corp), ct.ID, n})
	if errors.Is(err, tables.ErrNotFound) {
		return httpapi.Err(http.StatusNotFound, "version_not_found",
			fmt.Sprintf("contract %s has no version %d", ct.ID, n))
	}
	if err != nil {
		return err
	}
	v := versionFrom(row)
	u, err := s.files.DownloadURL(v.Key, v.Filename, s.cfg.DownloadExpiry)
	if err != nil {
		return err
	}
	exp := s.now().Add(s.cfg.DownloadExpiry).UTC().Format(time.RFC3339)
	httpapi.WriteJSON(w, http.StatusOK, DownloadResponse{Version: v, URL: u, Expires: exp})
	return nil
}
