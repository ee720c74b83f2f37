package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/ledger/envelope"
	"github.com/xietong/xietong/shared/ledgerapi"
	"github.com/xietong/xietong/shared/ledgerreq"
	"github.com/xietong/xietong/shared/ledgerverify"
	"github.com/xietong/xietong/shared/projects"
	"github.com/xietong/xietong/shared/tables"
)

// TestMilestoneAcceptanceReceiptThroughLocalStack accepts a milestone
// through the projects function and fires the ledger's timer: the
// acceptance becomes a milestone.acceptance entry whose receipt the
// ledger-verify command accepts (log signature, inclusion, the service's
// envelope signature), whose acceptor commitment the salt on the milestone
// row opens, and a second timer run logs nothing more.
func TestMilestoneAcceptanceReceiptThroughLocalStack(t *testing.T) {
	st := realStack(t)
	const corp, proj, lead = "dingledgermilestone", "P-LM1", "lm-lead"
	seedProject(t, st, corp, proj, lead)
	seedDirectoryUser(t, st, corp, lead)
	seedProjectRecord(t, st, corp, proj, lead)
	tok := stackToken(t, st, corp, lead)
	api := apiClient{t: t, base: st.gatewayURL + "/api/projects/" + corp + "/" + proj,
		token: tok}
	var m projects.Milestone
	defer func() {
		if t.Failed() {
			t.Logf("stack output:\n%s", lastLines(st.cfg.out, 40))
		}
	}()
	api.call(201, "POST", "/milestones", projects.MilestoneRequest{Title: "上线验收",
		Due: "2026-12-20"}, &m)
	api.call(200, "POST", "/milestones/"+m.ID+"/accept",
		projects.AcceptRequest{Ver: m.Ver, Override: "按期"}, &m)

	stackTrigger(t, st, "ledger", "checkpoint")
	db := stackStore(t, st)
	ctx := context.Background()
	tid := tables.TenantKey(corp)
	req, err := db.Get(ctx, tables.Outbox.Name,
		tables.Key{tid, ledgerreq.MilestoneMsgID(proj, m.ID, m.Ver)})
	if err != nil {
		t.Fatal(err)
	}
	if req.String("state") != "done" {
		t.Fatalf("ledger request state %q (%s), want done", req.String("state"),
			req.String("reason"))
	}
	idx := strconv.FormatInt(req.Int("ledger_index"), 10)
	ls := &ledgerStack{stack: st, http: http.DefaultClient}
	receipt := ls.get(t, "/api/ledger/receipts/"+idx)
	entry := ls.get(t, "/api/ledger/entries/"+idx)
	runVerifyReceipt(t, st, idx, receipt, entry)

	row, err := db.Get(ctx, tables.Milestone.Name, tables.Key{tid, proj, m.ID})
	if err != nil {
		t.Fatal(err)
	}
	checkAcceptanceEntry(t, entry, corp+":"+lead, row.String(ledgerreq.ColAcceptorSalt))

	stackTrigger(t, st, "ledger", "checkpoint")
	again, err := db.Get(ctx, tables.Outbox.Name, req.Key)
	if err != nil || again.Int("ledger_index") != req.Int("ledger_index") {
		t.Errorf("second timer run: request index %d, want %d (%v)",
			again.Int("ledger_index"), req.Int("ledger_index"), err)
	}
}

// runVerifyReceipt runs the ledger-verify command on the receipt and entry
// written to files, with the log's key and the service's envelope key.
func runVerifyReceipt(t *testing.T, st *stack, idx string, receipt, entry []byte) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	skey := st.secrets.Env[ledgerapi.EnvLogKey]
	vkey, err := verifierKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	service := ledgerapi.ServiceKey(skey).Private.Public().(ed25519.PublicKey)
	args := []string{"receipt", "-log-key", "@" + write("log.vkey", []byte(vkey)),
		"-service-key", base64.StdEncoding.EncodeToString(service),
		"-receipt", write(idx+".tlog-proof", receipt), "-entry", write(idx+".json", entry)}
	var stdout, stderr bytes.Buffer
	if code := ledgerverify.Main(args, &stdout, &stderr); code != ledgerverify.ExitOK {
		t.Errorf("ledger-verify %q = %d\n%s%s", args, code, &stdout, &stderr)
	}
}

// checkAcceptanceEntry checks that entry is a milestone acceptance whose
// acceptor commitment opens with the hex salt to uid.
func checkAcceptanceEntry(t *testing.T, entry []byte, uid, saltHex string) {
	t.Helper()
	s, err := envelope.Parse(entry)
	if err != nil {
		t.Fatal(err)
	}
	body, err := s.Envelope.Decode()
	if err != nil {
		t.Fatal(err)
	}
	ma, ok := body.(*envelope.MilestoneAcceptance)
	if !ok || !ma.Accepted || ma.ContractID != ledgerapi.ProjectContractPrefix+"P-LM1" {
		t.Fatalf("entry body %T %+v, want an acceptance of the project", body, body)
	}
	salt, err := hex.DecodeString(saltHex)
	if err != nil {
		t.Fatal(err)
	}
	if err := envelope.Open(ma.Acceptor, envelope.Prove(salt, []byte(uid))); err != nil {
		t.Errorf("acceptor commitment: %v", err)
	}
}

func lastLines(w any, n int) string {
	s := fmt.Sprint(w)
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// seedDirectoryUser gives the user row seedProject wrote the directory
// record the projects function reads.
func seedDirectoryUser(t *testing.T, st *stack, corp, user string) {
	t.Helper()
	data, _ := json.Marshal(directory.User{CorpID: corp, UserID: user, Name: "验收人",
		Kind: directory.KindMember})
	db := stackStore(t, st)
	key := tables.Key{tables.TenantKey(corp), user}
	row, err := db.Get(context.Background(), tables.User.Name, key)
	if err != nil {
		t.Fatal(err)
	}
	if row.String("data") != "" {
		return // Seeded by an earlier run of the test in this binary.
	}
	set := tables.Cols{"data": string(data), "kind": string(directory.KindMember)}
	_, err = db.Update(context.Background(), tables.User.Name, key, row.Ver(),
		tables.Change{Set: set})
	if err != nil {
		t.Fatal(err)
	}
}

// seedProjectRecord gives the project row seedProject wrote the columns the
// projects function's plan needs.
func seedProjectRecord(t *testing.T, st *stack, corp, proj, lead string) {
	t.Helper()
	db := stackStore(t, st)
	key := tables.Key{tables.TenantKey(corp), proj}
	row, err := db.Get(context.Background(), tables.Project.Name, key)
	if err != nil {
		t.Fatal(err)
	}
	if row.String("corp") != "" {
		return
	}
	_, err = db.Update(context.Background(), tables.Project.Name, key, row.Ver(),
		tables.Change{Set: tables.Cols{"corp": corp, "org_name": "Ledger University",
			"owner": corp + ":" + lead, "year": int64(2026), "risk": "low",
			"status": "active", "start": "2026-09-01", "end": "2027-06-30"}})
	if err != nil {
		t.Fatal(err)
	}
	mkey := tables.Key{tables.TenantKey(corp), proj, corp + ":" + lead}
	if row, err = db.Get(context.Background(), tables.Member.Name, mkey); err != nil {
		t.Fatal(err)
	}
	_, err = db.Update(context.Background(), tables.Member.Name, mkey, row.Ver(),
		tables.Change{Set: tables.Cols{"corp": corp, "user_id": lead, "name": "验收人"}})
	if err != nil {
		t.Fatal(err)
	}
}
