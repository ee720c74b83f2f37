package projects

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/tables"
)

// TestAcceptanceQueuesLedgerRequest accepts a milestone: the milestone row
// carries an acceptor salt and one pending ledger request describes the
// acceptance; a second acceptance is refused and queues nothing.
func TestAcceptanceQueuesLedgerRequest(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	d := st.demoProject("验收上链")
	path := projectPath(d)
	var m Milestone
	st.must(appsLead, "POST", path+"/milestones", MilestoneRequest{Title: "上线验收",
		Due: "2026-12-20"}, http.StatusCreated, &m)
	st.must(appsLead, "POST", path+"/milestones/"+m.ID+"/accept",
		AcceptRequest{Ver: m.Ver, Override: "按期验收"}, http.StatusOK, &m)
	if got, b := st.do(appsLead, "POST", path+"/milestones/"+m.ID+"/accept",
		AcceptRequest{Ver: m.Ver}); got == http.StatusOK {
		t.Errorf("second acceptance = %d %s, want a refusal", got, b)
	}

	tid := tables.TenantKey(uni)
	row, err := st.db.Get(ctx, tables.Milestone.Name, tables.Key{tid, d.Project.ID, m.ID})
	if err != nil {
		t.Fatal(err)
	}
	salt, err := hex.DecodeString(row.String(ledgerreq.ColAcceptorSalt))
	if err != nil || len(salt) != ledgerreq.AcceptorSaltSize {
		t.Errorf("acceptor salt %q: %d bytes, %v", row.String(ledgerreq.ColAcceptorSalt),
			len(salt), err)
	}
	if row.Ver() != m.Ver {
		t.Errorf("row ver %d, answered ver %d", row.Ver(), m.Ver)
	}

	var reqs []*tables.Row
	for r, err := range st.db.Scan(ctx, tables.Outbox.Name,
		tables.Range{Prefix: tables.Key{tid}}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.String("kind") == ledgerreq.Kind {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) != 1 {
		t.Fatalf("%d ledger requests, want 1", len(reqs))
	}
	want := ledgerreq.MilestoneMsgID(d.Project.ID, m.ID, m.Ver)
	if got := reqs[0].Key[1]; got != want || reqs[0].String("state") != "pending" {
		t.Errorf("request %v state %q, want %q pending", got, reqs[0].String("state"), want)
	}
	var p ledgerreq.MilestoneAcceptance
	if err := json.Unmarshal([]byte(reqs[0].String("payload")), &p); err != nil {
		t.Fatal(err)
	}
	wantP := ledgerreq.MilestoneAcceptance{Type: ledgerreq.TypeMilestoneAcceptance, Corp: uni,
		ProjectID:   d.Project.ID,
		MilestoneID: m.ID, AcceptedBy: appsLead, AcceptedMS: row.Int("accepted_ms"),
		Note: "按期验收", N: m.Ver}
	if p != wantP || p.AcceptedMS == 0 {
		t.Errorf("payload = %+v, want %+v", p, wantP)
	}
}
