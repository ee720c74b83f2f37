package envelope

import (
	"errors"
	"strings"
	"testing"
)

var doc = DigestOf([]byte("contract v2"))

func validContract() *ContractVersion {
	return &ContractVersion{
		ContractID: "C-42", Version: 2, Document: doc, Previous: DigestOf([]byte("v1")),
		Parties: []string{"univ", "corp-s"}, Supplier: "corp-s",
		Tranches: []Tranche{{ID: "t1", AmountFen: 500_000, Milestones: []string{"m1", "m2"}}},
	}
}

func validAcceptance() *MilestoneAcceptance {
	return &MilestoneAcceptance{
		ContractID: "C-42", MilestoneID: "m1", Accepted: true,
		Report: doc, Acceptor: DigestCommitment("u1"),
	}
}

func validEvaluation() *SupplierEvaluation {
	return &SupplierEvaluation{
		Supplier: "corp-s", Score: 87, Report: doc, Evaluator: DigestCommitment("u2"),
	}
}

func validIP() *IPRegistration {
	return &IPRegistration{
		Work: doc, Kind: "software", Owners: []string{"univ"}, Title: DigestCommitment("t"),
	}
}

func validSettlement() *RevenueSettlement {
	return &RevenueSettlement{
		UseID: "use-1", TotalFen: 5, Rule: doc,
		Payouts: []Payout{{Party: "a", BPS: 10000, AmountFen: 5, PaidFen: 5}},
	}
}

func validRelease() *PaymentRelease {
	return &PaymentRelease{
		ContractID: "C-42", Version: 2, Tranche: "t1", AmountFen: 1, Acceptances: []uint64{3},
	}
}

func validGrant() *ConsentGrant {
	return &ConsentGrant{Owner: "univ", Party: "corp-b", Purpose: "recruiting",
		Asset: "asset.talent", Expires: 1764800000, Subject: DigestCommitment("s")}
}

func validPriority() *IPPriority {
	return &IPPriority{Work: doc, First: 3, Owners: []string{"univ"}, Refused: []uint64{9}}
}

func TestValidBodies(t *testing.T) {
	bodies := []Body{
		validContract(), validAcceptance(), validEvaluation(), validIP(), sampleUse(),
		validSettlement(), validRelease(), validPriority(), validGrant(),
		&ConsentRevocation{Grant: 4},
	}
	for _, b := range bodies {
		e, err := New("univ", 1764720000, b)
		if err != nil {
			t.Errorf("New(%s): %v", b.Type(), err)
			continue
		}
		if err := e.Validate(); err != nil {
			t.Errorf("Validate(%s): %v", b.Type(), err)
		}
	}
}

// with returns b after applying change to it.
func with[B Body](b B, change func(B)) Body {
	change(b)
	return b
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name  string
		body  Body
		want  error
		field string
	}{
		{"no contract id", with(validContract(), func(b *ContractVersion) { b.ContractID = "" }),
			ErrInvalid, "contract_id"},
		{"version 0", with(validContract(), func(b *ContractVersion) { b.Version = 0 }),
			ErrInvalid, "version"},
		{"v2 without previous", with(validContract(), func(b *ContractVersion) { b.Previous = "" }),
			ErrBadDigest, "previous"},
		{"one party", with(validContract(), func(b *ContractVersion) { b.Parties = b.Parties[:1] }),
			ErrInvalid, "parties"},
		{"duplicate party",
			with(validContract(), func(b *ContractVersion) { b.Parties[1] = "univ" }),
			ErrInvalid, "parties"},
		{"upper-case digest", with(validContract(), func(b *ContractVersion) {
			b.Document = Digest(strings.ToUpper(string(doc)))
		}), ErrBadDigest, "document"},
		{"tranche without milestones", with(validContract(), func(b *ContractVersion) {
			b.Tranches[0].Milestones = nil
		}), ErrInvalid, "tranches[0].milestones"},
		{"acceptor in clear", with(validAcceptance(), func(b *MilestoneAcceptance) {
			b.Acceptor = "zhang san"
		}), ErrBadDigest, "acceptor"},
		{"score 101", with(validEvaluation(), func(b *SupplierEvaluation) { b.Score = 101 }),
			ErrInvalid, "score"},
		{"phone as supplier id", with(validEvaluation(), func(b *SupplierEvaluation) {
			b.Supplier = "13800138000"
		}), ErrPersonalData, "supplier"},
		{"unknown ip kind", with(validIP(), func(b *IPRegistration) { b.Kind = "poem" }),
			ErrInvalid, "kind"},
		{"shares short of 10000", with(sampleUse(), func(b *DataUse) { b.Shares[0].BPS-- }),
			ErrInvalid, "shares"},
		{"negative amount", with(sampleUse(), func(b *DataUse) { b.AmountFen = -1 }),
			ErrInvalid, "amount_fen"},
		{"id card as purpose",
			with(sampleUse(), func(b *DataUse) { b.Purpose = "11010519491231002X" }),
			ErrPersonalData, "purpose"},
		{"e-mail as consumer",
			with(sampleUse(), func(b *DataUse) { b.Consumer = "li@example.com" }),
			ErrPersonalData, "consumer"},
		{"payouts off total", with(validSettlement(), func(b *RevenueSettlement) { b.TotalFen++ }),
			ErrInvalid, "payouts"},
		{"release without acceptances", with(validRelease(), func(b *PaymentRelease) {
			b.Acceptances = nil
		}), ErrInvalid, "acceptances"},
		{"carry off balance", with(validSettlement(), func(b *RevenueSettlement) {
			b.Payouts[0].CarryFen = 1
		}), ErrInvalid, "payouts[0]"},
		{"negative minimum", with(sampleUse(), func(b *DataUse) { b.MinPayoutFen = -1 }),
			ErrInvalid, "min_payout_fen"},
		{"bad use owner", with(sampleUse(), func(b *DataUse) { b.Owner = "a b" }),
			ErrInvalid, "owner"},
		{"grant without subject", with(validGrant(), func(b *ConsentGrant) { b.Subject = "" }),
			ErrBadDigest, "subject"},
		{"grant subject in clear", with(validGrant(), func(b *ConsentGrant) {
			b.Subject = "13800138000"
		}), ErrBadDigest, "subject"},
		{"grant without expiry", with(validGrant(), func(b *ConsentGrant) { b.Expires = 0 }),
			ErrInvalid, "expires"},
		{"grant to e-mail", with(validGrant(), func(b *ConsentGrant) {
			b.Party = "li@example.com"
		}), ErrPersonalData, "party"},
		{"refused before first",
			with(validPriority(), func(b *IPPriority) { b.Refused = []uint64{2} }),
			ErrInvalid, "refused"},
	}
	for _, tt := range tests {
		_, err := New("univ", 1764720000, tt.body)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: New error = %v, want %v naming %q", tt.name, err, tt.want, tt.field)
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	tests := []struct {
		name  string
		org   string
		time  int64
		refs  []Ref
		field string
	}{
		{"no org", "", 1, nil, "org"},
		{"org with space", "corp a", 1, nil, "org"},
		{"no time", "univ", 0, nil, "time"},
		{"bad ref", "univ", 1, []Ref{{Index: 1, Entry: "x"}}, "refs[0]"},
	}
	for _, tt := range tests {
		_, err := New(tt.org, tt.time, sampleUse(), tt.refs...)
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: New error = %v, want one naming %q", tt.name, err, tt.field)
		}
	}
	e, _ := New("univ", 1, sampleUse())
	e.Type = "gossip"
	if err := e.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown type: Validate error = %v, want ErrInvalid", err)
	}
}

func TestGrantCovers(t *testing.T) {
	g := validGrant()
	tests := []struct {
		owner, asset, party, purpose string
		at                           int64
		want                         bool
	}{
		{"univ", "asset.talent", "corp-b", "recruiting", g.Expires - 1, true},
		{"univ", "asset.talent", "corp-b", "recruiting", g.Expires, false},
		{"corp-x", "asset.talent", "corp-b", "recruiting", 1, false},
		{"univ", "asset.other", "corp-b", "recruiting", 1, false},
		{"univ", "asset.talent", "corp-c", "recruiting", 1, false},
		{"univ", "asset.talent", "corp-b", "marketing", 1, false},
	}
	for _, tt := range tests {
		got := g.Covers(tt.owner, tt.asset, tt.party, tt.purpose, tt.at)
		if got != tt.want {
			t.Errorf("Covers(%q, %q, %q, %q, %d) = %v, want %v", tt.owner, tt.asset,
				tt.party, tt.purpose, tt.at, got, tt.want)
		}
	}
}
