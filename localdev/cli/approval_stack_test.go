package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/shared/blob/blobtest"
	"github.com/xietong/xietong/shared/contracts"
)

// TestContractApprovalThroughLocalStack submits a contract for approval through
// the gateway, which starts an OA instance in the DingTalk fake; the fake's
// approvers agree, `localdev dingtalk emit` pushes the bpms event into the real
// dingtalk-callback binary, and the contract shows the outcome and can be signed.
func TestContractApprovalThroughLocalStack(t *testing.T) {
	st := realStack(t)
	const corp, proj, lead = dingfake.UniversityCorp, "P-OA", "u-it-director"
	seedProject(t, st, corp, proj, lead)
	tok := stackToken(t, st, corp, lead)
	api := apiClient{t: t, base: st.gatewayURL + "/api/contracts/" + corp, token: tok}

	var c contracts.Contract
	api.call(201, "POST", "", contracts.CreateRequest{ProjectID: proj, Title: "Network",
		Parties: []contracts.Party{{Corp: corp, Name: "University"}}, AmountFen: 500,
		Currency: "CNY"}, &c)
	var g contracts.GrantResponse
	api.call(201, "POST", "/"+c.ID+"/uploads",
		contracts.UploadRequest{Filename: "n.pdf", ContentType: "application/pdf"}, &g)
	if _, err := blobtest.Post(context.Background(), g.Grant, blobtest.Upload{
		Filename: "n.pdf", ContentType: "application/pdf",
		Body: strings.NewReader("%PDF-1.7\n" + strings.Repeat("network ", 500))}); err != nil {
		t.Fatalf("PostObject: %v", err)
	}
	api.waitVersions(c.ID, 1)
	api.call(200, "GET", "/"+c.ID, nil, &c)
	var sub contracts.Contract
	api.call(200, "POST", "/"+c.ID+"/status",
		map[string]any{"status": contracts.UnderApproval, "ver": c.Ver}, &sub)
	if sub.Approval == nil || sub.Approval.InstanceID == "" {
		t.Fatalf("under_approval answered %+v, want an OA instance id", sub)
	}
	api.call(409, "POST", "/"+c.ID+"/status",
		map[string]any{"status": contracts.Signed, "ver": sub.Ver}, nil)

	if _, err := st.ding.fake.ResolveApproval(sub.Approval.InstanceID, "agree"); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := runDingTalk(&env{stdout: &out, stderr: &errOut}, []string{"emit",
		"--gateway", st.gatewayURL, "--corp", corp, "bpms_instance_change",
		"processInstanceId=" + sub.Approval.InstanceID, "type=finish", "result=agree",
		"processCode=PROC-XT-CONTRACT"}); err != nil {
		t.Fatalf("emit: %v\n%s%s", err, out.String(), errOut.String())
	}
	var got contracts.Contract
	for deadline := time.Now().Add(20 * time.Second); ; {
		api.call(200, "GET", "/"+c.ID, nil, &got)
		if got.Approval != nil && got.Approval.Outcome == "approved" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("contract after the approval push = %+v, want outcome approved", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var signed contracts.Contract
	api.call(200, "POST", "/"+c.ID+"/status",
		map[string]any{"status": contracts.Signed, "ver": got.Ver}, &signed)
	if signed.Status != contracts.Signed {
		t.Errorf("after signing status = %q, want signed", signed.Status)
	}
}
