// Package contracts keeps the contracts of a project and the verified
// versions of their files.
//
// Files never pass through the function: a member asks for an upload grant
// (Service.Handler, POST .../uploads), the browser or phone posts the file
// straight to OSS, and when the object lands the OSS trigger
// (Service.HandleOSS) checks it against the grant (size, content type sniffed
// from the bytes, SHA-256 computed while streaming), records it as the next
// version and queues a ledger record request. An upload that fails is moved
// to the contract's quarantine/ prefix and reported. Downloads are presigned
// GET URLs handed out per version.
//
// Approvals run in DingTalk OA: moving a contract to under_approval starts
// an instance (Config.Approvers), and the dingtalk-callback function writes
// its outcome on the contract through an Applier; only an approved contract
// may be signed, and a rejected or terminated one goes back to draft.
//
// Rows: Contract (one per contract), ContractVersion (created once per
// version, never overwritten), ContractUpload (one per grant, consumed once)
// and, for reports, Activity and Outbox (ledger record requests). Object keys:
//
//	contracts/<tid>/<contract>/uploads/<upload>     the file as uploaded
//	contracts/<tid>/<contract>/quarantine/<upload>  an upload that failed
package contracts

import (
	"fmt"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"
)

// Status is where a contract stands.
type Status string

// Contract statuses.
const (
	Draft         Status = "draft"
	UnderApproval Status = "under_approval"
	Signed        Status = "signed"
	Closed        Status = "closed"
)

// transitions lists the statuses each status may move to.
var transitions = map[Status][]Status{
	Draft:         {UnderApproval, Closed},
	UnderApproval: {Draft, Signed},
	Signed:        {Closed},
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Draft, UnderApproval, Signed, Closed:
		return true
	}
	return false
}

// CanMoveTo reports whether a contract in status s may move to next.
func (s Status) CanMoveTo(next Status) bool {
	for _, t := range transitions[s] {
		if t == next {
			return true
		}
	}
	return false
}

// AcceptsUploads reports whether new file versions may be added in status s:
// while the contract is negotiated, not once it is signed or closed.
func (s Status) AcceptsUploads() bool { return s == Draft || s == UnderApproval }

// Party is one organization bound by a contract.
type Party struct {
	Corp string `json:"corp"` // DingTalk corp id
	Name string `json:"name"`
}

// Contract is one contract of a project.
type Contract struct {
	ID        string  `json:"id"`
	Corp      string  `json:"corp"` // the organization that owns the project
	ProjectID string  `json:"projectId"`
	Title     string  `json:"title"`
	Parties   []Party `json:"parties"`
	// AmountFen is the amount in fen (1/100 of a yuan, or of the currency's
	// major unit).
	AmountFen    int64    `json:"amountFen"`
	Currency     string   `json:"currency"`
	MilestoneIDs []string `json:"milestoneIds"`
	Status       Status   `json:"status"`
	// LatestVersion is the number of the newest recorded file version, 0
	// before the first.
	LatestVersion int64 `json:"latestVersion"`
	// Approval is the contract's current DingTalk OA approval, nil before
	// the contract was first moved to under_approval.
	Approval  *Approval `json:"approval,omitempty"`
	CreatedBy string    `json:"createdBy"` // uid, "corp:userid"
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Ver is the row version; status changes must name it.
	Ver int64 `json:"ver"`
}

// PartyCorps returns the corps of c's parties.
func (c *Contract) PartyCorps() []string {
	corps := make([]string, len(c.Parties))
	for i, p := range c.Parties {
		corps[i] = p.Corp
	}
	return corps
}

// CreateRequest is the body of a create.
type CreateRequest struct {
	ProjectID    string   `json:"projectId"`
	Title        string   `json:"title"`
	Parties      []Party  `json:"parties"`
	AmountFen    int64    `json:"amountFen"`
	Currency     string   `json:"currency"`
	MilestoneIDs []string `json:"milestoneIds"`
}

// Limits of contract fields.
const (
	MaxTitle      = 200
	MaxParties    = 10
	MaxMilestones = 50
	MaxAmountFen  = 1_000_000_000_000_000 // ten trillion yuan
)

var (
	idRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	})
	corpRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	})
	currencyRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Z]{3}$`)
	})
)

// Validate returns every rule r breaks, or nil.
func (r CreateRequest) Validate() []FieldError {
	var errs []FieldError
	add := func(field, rule string) { errs = append(errs, FieldError{Field: field, Rule: rule}) }
	if !idRE().MatchString(r.ProjectID) {
		add("projectId", "required, 1-64 of A-Z a-z 0-9 _ -")
	}
	if n := utf8.RuneCountInString(r.Title); n == 0 || n > MaxTitle || !utf8.ValidString(r.Title) {
		add("title", fmt.Sprintf("required, at most %d characters", MaxTitle))
	}
	errs = append(errs, validateParties(r.Parties)...)
	if r.AmountFen < 0 || r.AmountFen > MaxAmountFen {
		add("amountFen", fmt.Sprintf("an integer number of fen in [0, %d]", int64(MaxAmountFen)))
	}
	if !currencyRE().MatchString(r.Currency) {
		add("currency", "an ISO 4217 code such as CNY")
	}
	errs = append(errs, validateMilestones(r.MilestoneIDs)...)
	return errs
}

func validateParties(ps []Party) []FieldError {
	if len(ps) == 0 || len(ps) > MaxParties {
		return []FieldError{{Field: "parties", Rule: fmt.Sprintf("1 to %d parties", MaxParties)}}
	}
	var errs []FieldError
	seen := map[string]bool{}
	for i, p := range ps {
		f := fmt.Sprintf("parties[%d]", i)
		switch {
		case !corpRE().MatchString(p.Corp):
			errs = append(errs,
				FieldError{Field: f + ".corp", Rule: "required corp id, 1-64 of A-Z a-z 0-9 _ . -"})
		case seen[p.Corp]:
			errs = append(errs, FieldError{Field: f + ".corp",
				Rule: "each organization is one party"})
		}
		seen[p.Corp] = true
		if n := utf8.RuneCountInString(p.Name); n == 0 || n > MaxTitle {
			errs = append(errs, FieldError{Field: f + ".name",
				Rule: fmt.Sprintf("required, at most %d characters", MaxTitle)})
		}
	}
	return errs
}

func validateMilestones(ids []string) []FieldError {
	if len(ids) > MaxMilestones {
		return []FieldError{{Field: "milestoneIds", Rule: fmt.Sprintf("at most %d", MaxMilestones)}}
	}
	var errs []FieldError
	seen := map[string]bool{}
	for i, id := range ids {
		f := fmt.Sprintf("milestoneIds[%d]", i)
		switch {
		case !idRE().MatchString(id):
			errs = append(errs, FieldError{Field: f, Rule: "1-64 of A-Z a-z 0-9 _ -"})
		case seen[id]:
			errs = append(errs, FieldError{Field: f, Rule: "listed twice"})
		}
		seen[id] = true
	}
	return errs
}

// Version is one verified file of a contract. Versions are numbered from 1
// in the order they were recorded and never change.
type Version struct {
	Number      int64     `json:"version"`
	ContractID  string    `json:"contractId"`
	UploadID    string    `json:"uploadId"`
	Key         string    `json:"key"`
	Size        int64     `json:"size"`
	ContentType string    `json:"contentType"`
	SHA256      string    `json:"sha256"` // lower-case hex
	Filename    string    `json:"filename"`
	UploadedBy  string    `json:"uploadedBy"` // uid
	UploadedAt  time.Time `json:"uploadedAt"` // when the object landed in OSS
	RecordedAt  time.Time `json:"recordedAt"`
}

// UploadStatus is where an upload grant stands.
type UploadStatus string

// Upload statuses: granted until the file lands, recording while it is
// verified, then recorded (a version) or quarantined (refused).
const (
	UploadGranted     UploadStatus = "granted"
	UploadRecording   UploadStatus = "recording"
	UploadRecorded    UploadStatus = "recorded"
	UploadQuarantined UploadStatus = "quarantined"
)

// Upload is one upload grant and what became of it.
type Upload struct {
	ID          string       `json:"uploadId"`
	ContractID  string       `json:"contractId"`
	Key         string       `json:"key"`
	Filename    string       `json:"filename"`
	ContentType string       `json:"contentType"`
	MinSize     int64        `json:"minSize"`
	MaxSize     int64        `json:"maxSize"`
	Uploader    string       `json:"uploader"` // uid
	Expires     time.Time    `json:"expires"`
	Status      UploadStatus `json:"status"`
	// Reason says why a quarantined upload was refused.
	Reason string `json:"reason,omitempty"`
	// Version is the version number a recorded upload became.
	Version int64 `json:"version,omitempty"`

	ver       int64
	claimedAt time.Time
}

// UploadRequest is the body of a request for an upload grant.
type UploadRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	// Size, when given, is the file's exact size in bytes: the grant then
	// admits that size only.
	Size int64 `json:"size,omitempty"`
}

// MaxFilename bounds the file name kept with a version.
const MaxFilename = 200

// Validate returns every rule r breaks for files of at most maxSize bytes,
// or nil.
func (r UploadRequest) Validate(maxSize int64) []FieldError {
	var errs []FieldError
	if r.Size < 0 || r.Size > maxSize {
		errs = append(errs, FieldError{Field: "size",
			Rule: fmt.Sprintf("at most %d bytes", maxSize)})
	}
	if n := utf8.RuneCountInString(r.Filename); n == 0 || n > MaxFilename ||
		!utf8.ValidString(r.Filename) || containsControl(r.Filename) {
		errs = append(errs, FieldError{Field: "filename", Rule: fmt.Sprintf(
			"required, at most %d printable characters", MaxFilename)})
	}
	if !allowedType(r.ContentType) {
		errs = append(errs, FieldError{Field: "contentType", Rule: "one of " + allowedList()})
	}
	return errs
}

func containsControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// StatusRequest is the body of a status change: the new status and the
// contract's row version as last read.
type StatusRequest struct {
	Status Status `json:"status"`
	Ver    int64  `json:"ver"`
}
