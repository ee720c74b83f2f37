package envelope

import "fmt"

// Type names an envelope's kind; it selects the Go type of its body.
type Type string

// The envelope types.
const (
	TypeContractVersion     Type = "contract.version"
	TypeMilestoneAcceptance Type = "milestone.acceptance"
	TypeSupplierEvaluation  Type = "supplier.evaluation"
	TypeIPRegistration      Type = "ip.registration"
	TypeDataUse             Type = "data.use"
	TypeRevenueSettlement   Type = "revenue.settlement"
	TypePaymentRelease      Type = "payment.release"
	TypeIPPriority          Type = "ip.priority"
)

// Body is the typed content of an envelope.
type Body interface {
	// Type returns the envelope type the body belongs to.
	Type() Type
	// Validate reports the first problem with the body, wrapping ErrInvalid,
	// ErrBadDigest or ErrPersonalData.
	Validate() error
}

// newBody returns an empty body for t.
func newBody(t Type) (Body, error) {
	switch t {
	case TypeContractVersion:
		return new(ContractVersion), nil
	case TypeMilestoneAcceptance:
		return new(MilestoneAcceptance), nil
	case TypeSupplierEvaluation:
		return new(SupplierEvaluation), nil
	case TypeIPRegistration:
		return new(IPRegistration), nil
	case TypeDataUse:
		return new(DataUse), nil
	case TypeRevenueSettlement:
		return new(RevenueSettlement), nil
	case TypePaymentRelease:
		return new(PaymentRelease), nil
	case TypeIPPriority:
		return new(IPPriority), nil
	case TypeConsentGrant:
		return new(ConsentGrant), nil
	case TypeConsentRevocation:
		return new(ConsentRevocation), nil
	}
	return nil, fmt.Errorf("envelope: type %q: unknown: %w", t, ErrInvalid)
}

// Tranche is a payment of a contract, due once all its milestones are
// accepted.
type Tranche struct {
	ID         string   `json:"id"`
	AmountFen  int64    `json:"amount_fen"`
	Milestones []string `json:"milestones"`
}

// ContractVersion records a version of a contract document and its payment
// terms.
type ContractVersion struct {
	ContractID string    `json:"contract_id"`
	Version    int       `json:"version"`
	Document   Digest    `json:"document"`
	Previous   Digest    `json:"previous,omitempty"`
	Parties    []string  `json:"parties"`
	Supplier   string    `json:"supplier,omitempty"`
	Tranches   []Tranche `json:"tranches,omitempty"`
}

// Type implements Body.
func (*ContractVersion) Type() Type { return TypeContractVersion }

// Validate implements Body.
func (b *ContractVersion) Validate() error {
	if err := checkID("contract_id", b.ContractID); err != nil {
		return err
	}
	if b.Version < 1 {
		return fmt.Errorf("envelope: version %d: want 1 or more: %w", b.Version, ErrInvalid)
	}
	if err := checkDigest("document", b.Document); err != nil {
		return err
	}
	if b.Version > 1 || b.Previous != "" {
		if err := checkDigest("previous", b.Previous); err != nil {
			return err
		}
	}
	if err := checkIDs("parties", b.Parties, 2); err != nil {
		return err
	}
	if b.Supplier != "" {
		if err := checkID("supplier", b.Supplier); err != nil {
			return err
		}
	}
	return checkTranches(b.Tranches)
}

func checkTranches(ts []Tranche) error {
	seen := make(map[string]bool)
	for i, t := range ts {
		field := fmt.Sprintf("tranches[%d]", i)
		if err := checkID(field+".id", t.ID); err != nil {
			return err
		}
		if seen[t.ID] {
			return fmt.Errorf("envelope: %s: id %q listed twice: %w", field, t.ID, ErrInvalid)
		}
		seen[t.ID] = true
		if err := checkFen(field+".amount_fen", t.AmountFen); err != nil {
			return err
		}
		if err := checkIDs(field+".milestones", t.Milestones, 1); err != nil {
			return err
		}
	}
	return nil
}

// MilestoneAcceptance records that a milestone of a contract was accepted
// (or rejected) on the strength of a report.
type MilestoneAcceptance struct {
	ContractID  string     `json:"contract_id"`
	MilestoneID string     `json:"milestone_id"`
	Accepted    bool       `json:"accepted"`
	Report      Digest     `json:"report"`
	Acceptor    Commitment `json:"acceptor"`
}

// Type implements Body.
func (*MilestoneAcceptance) Type() Type { return TypeMilestoneAcceptance }

// Validate implements Body.
func (b *MilestoneAcceptance) Validate() error {
	if err := checkID("contract_id", b.ContractID); err != nil {
		return err
	}
	if err := checkID("milestone_id", b.MilestoneID); err != nil {
		return err
	}
	if err := checkDigest("report", b.Report); err != nil {
		return err
	}
	return checkCommitment("acceptor", b.Acceptor, false)
}

// SupplierEvaluation records an organization's evaluation of a supplier.
type SupplierEvaluation struct {
	Supplier   string     `json:"supplier"`
	ContractID string     `json:"contract_id,omitempty"`
	Score      int        `json:"score"`
	Report     Digest     `json:"report"`
	Evaluator  Commitment `json:"evaluator"`
}

// Type implements Body.
func (*SupplierEvaluation) Type() Type { return TypeSupplierEvaluation }

// Validate implements Body.
func (b *SupplierEvaluation) Validate() error {
	if err := checkID("supplier", b.Supplier); err != nil {
		return err
	}
	if b.ContractID != "" {
		if err := checkID("contract_id", b.ContractID); err != nil {
			return err
		}
	}
	if b.Score < 0 || b.Score > 100 {
		return fmt.Errorf("envelope: score %d: want 0-100: %w", b.Score, ErrInvalid)
	}
	if err := checkDigest("report", b.Report); err != nil {
		return err
	}
	return checkCommitment("evaluator", b.Evaluator, false)
}

// IP kinds.
var ipKinds = map[string]bool{
	"patent": true, "software": true, "copyright": true,
	"design": true, "dataset": true, "trade-secret": true,
}

const ipKindList = "patent, software, copyright, design, dataset, trade-secret"

// IPRegistration registers a digital work by its content digest.
type IPRegistration struct {
	Work   Digest     `json:"work"`
	Kind   string     `json:"kind"`
	Owners []string   `json:"owners"`
	Title  Commitment `json:"title"`
}

// Type implements Body.
func (*IPRegistration) Type() Type { return TypeIPRegistration }

// Validate implements Body.
func (b *IPRegistration) Validate() error {
	if err := checkDigest("work", b.Work); err != nil {
		return err
	}
	if !ipKinds[b.Kind] {
		return fmt.Errorf("envelope: kind %q: want one of %s: %w",
			b.Kind, ipKindList, ErrInvalid)
	}
	if err := checkIDs("owners", b.Owners, 1); err != nil {
		return err
	}
	return checkCommitment("title", b.Title, false)
}

// Share is a party's share of a revenue rule in basis points.
type Share struct {
	Party string `json:"party"`
	BPS   int    `json:"bps"`
}

// TotalBPS is what the shares of a rule add up to.
const TotalBPS = 10_000

// DataUse records a metered use of a data asset by a consumer, with the
// amount paid and the agreed revenue split. Owner is the organization whose
// asset it is (empty: the envelope's organization); the use needs the
// owner's live consent grant. A party's payout below MinPayoutFen is carried
// forward to a later settlement of the asset (0: everything is paid).
type DataUse struct {
	UseID        string     `json:"use_id"`
	Owner        string     `json:"owner,omitempty"`
	Asset        string     `json:"asset"`
	Consumer     string     `json:"consumer"`
	Purpose      string     `json:"purpose"`
	AmountFen    int64      `json:"amount_fen"`
	Subject      Commitment `json:"subject,omitempty"`
	Shares       []Share    `json:"shares"`
	MinPayoutFen int64      `json:"min_payout_fen,omitempty"`
}

// Type implements Body.
func (*DataUse) Type() Type { return TypeDataUse }

// OwnerOr returns the use's owner, or org (the envelope's) when not given.
func (b *DataUse) OwnerOr(org string) string {
	if b.Owner != "" {
		return b.Owner
	}
	return org
}

// Validate implements Body.
func (b *DataUse) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"use_id", b.UseID}, {"asset", b.Asset}, {"consumer", b.Consumer}, {"purpose", b.Purpose},
	} {
		if err := checkID(f.name, f.v); err != nil {
			return err
		}
	}
	if err := checkFen("amount_fen", b.AmountFen); err != nil {
		return err
	}
	if b.Owner != "" {
		if err := checkID("owner", b.Owner); err != nil {
			return err
		}
	}
	if err := checkFen("min_payout_fen", b.MinPayoutFen); err != nil {
		return err
	}
	if err := checkCommitment("subject", b.Subject, true); err != nil {
		return err
	}
	return CheckShares(b.Shares)
}

// CheckShares validates a revenue rule: unique parties, each share positive,
// summing to exactly TotalBPS.
func CheckShares(shares []Share) error {
	if len(shares) == 0 {
		return fmt.Errorf("envelope: shares: none given: %w", ErrInvalid)
	}
	sum := 0
	seen := make(map[string]bool)
	for i, s := range shares {
		if err := checkID(fmt.Sprintf("shares[%d].party", i), s.Party); err != nil {
			return err
		}
		if seen[s.Party] {
			return fmt.Errorf("envelope: shares: party %q listed twice: %w", s.Party, ErrInvalid)
		}
		seen[s.Party] = true
		if s.BPS <= 0 || s.BPS > TotalBPS {
			return fmt.Errorf("envelope: shares[%d].bps %d: want 1-%d: %w",
				i, s.BPS, TotalBPS, ErrInvalid)
		}
		sum += s.BPS
	}
	if sum != TotalBPS {
		return fmt.Errorf("envelope: shares: sum to %d bps, want %d: %w", sum, TotalBPS, ErrInvalid)
	}
	return nil
}

// Payout is one party's amount in a settlement: AmountFen is its share of
// this use; CarriedInFen is what earlier settlements of the asset still owed
// it; PaidFen is paid now and CarryFen stays owed, so that PaidFen +
// CarryFen = AmountFen + CarriedInFen.
type Payout struct {
	Party        string `json:"party"`
	BPS          int    `json:"bps"`
	AmountFen    int64  `json:"amount_fen"`
	CarriedInFen int64  `json:"carried_in_fen,omitempty"`
	PaidFen      int64  `json:"paid_fen,omitempty"`
	CarryFen     int64  `json:"carry_fen,omitempty"`
}

// RevenueSettlement is the distribution of a data use's amount among the
// parties of its rule; it is computed, never entered by hand. Asset and
// MinPayoutFen are the use's; payouts below the minimum are carried.
type RevenueSettlement struct {
	UseID        string   `json:"use_id"`
	UseIndex     uint64   `json:"use_index"`
	Asset        string   `json:"asset,omitempty"`
	TotalFen     int64    `json:"total_fen"`
	MinPayoutFen int64    `json:"min_payout_fen,omitempty"`
	Rule         Digest   `json:"rule"`
	Payouts      []Payout `json:"payouts"`
}

// Type implements Body.
func (*RevenueSettlement) Type() Type { return TypeRevenueSettlement }

// Validate implements Body.
func (b *RevenueSettlement) Validate() error {
	if err := checkID("use_id", b.UseID); err != nil {
		return err
	}
	if err := checkFen("total_fen", b.TotalFen); err != nil {
		return err
	}
	if err := checkDigest("rule", b.Rule); err != nil {
		return err
	}
	var sum int64
	for i, p := range b.Payouts {
		if err := checkID(fmt.Sprintf("payouts[%d].party", i), p.Party); err != nil {
			return err
		}
		if err := checkPayout(i, p); err != nil {
			return err
		}
		sum += p.AmountFen
	}
	if sum != b.TotalFen {
		return fmt.Errorf("envelope: payouts: sum to %d fen, want %d: %w",
			sum, b.TotalFen, ErrInvalid)
	}
	return nil
}

func checkPayout(i int, p Payout) error {
	field := fmt.Sprintf("payouts[%d]", i)
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"amount_fen", p.AmountFen}, {"carried_in_fen", p.CarriedInFen},
		{"paid_fen", p.PaidFen}, {"carry_fen", p.CarryFen},
	} {
		if err := checkFen(field+"."+f.name, f.v); err != nil {
			return err
		}
	}
	if p.PaidFen+p.CarryFen != p.AmountFen+p.CarriedInFen {
		return fmt.Errorf("envelope: %s: paid %d + carry %d is not amount %d + carried %d: %w",
			field, p.PaidFen, p.CarryFen, p.AmountFen, p.CarriedInFen, ErrInvalid)
	}
	return nil
}

// PaymentRelease releases a contract tranche once all its milestones are
// accepted; Acceptances are the log indexes of those acceptances.
type PaymentRelease struct {
	ContractID  string   `json:"contract_id"`
	Version     int      `json:"version"`
	Tranche     string   `json:"tranche"`
	AmountFen   int64    `json:"amount_fen"`
	Supplier    string   `json:"supplier,omitempty"`
	Acceptances []uint64 `json:"acceptances"`
}

// Type implements Body.
func (*PaymentRelease) Type() Type { return TypePaymentRelease }

// Validate implements Body.
func (b *PaymentRelease) Validate() error {
	if err := checkID("contract_id", b.ContractID); err != nil {
		return err
	}
	if err := checkID("tranche", b.Tranche); err != nil {
		return err
	}
	if len(b.Acceptances) == 0 {
		return fmt.Errorf("envelope: acceptances: none given: %w", ErrInvalid)
	}
	return checkFen("amount_fen", b.AmountFen)
}

// IPPriority states which registration of a work digest came first in the
// log; later registrations of the same digest are refused in its favour.
type IPPriority struct {
	Work    Digest   `json:"work"`
	First   uint64   `json:"first"`
	Owners  []string `json:"owners"`
	Refused []uint64 `json:"refused,omitempty"`
}

// Type implements Body.
func (*IPPriority) Type() Type { return TypeIPPriority }

// Validate implements Body.
func (b *IPPriority) Validate() error {
	if err := checkDigest("work", b.Work); err != nil {
		return err
	}
	for _, r := range b.Refused {
		if r <= b.First {
			return fmt.Errorf("envelope: refused %d: not after first %d: %w",
				r, b.First, ErrInvalid)
		}
	}
	return checkIDs("owners", b.Owners, 1)
}
