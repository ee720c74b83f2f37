package contracts

import (
	"fmt"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// FromEnv builds a Service from the function's environment (Tablestore,
// OSS, XT_SESSION_KEY; see tables.StoreFromEnv and blob.StoreFromEnv;
// DINGTALK_APPS, DINGTALK_OAPI_BASE and DINGTALK_API_BASE for approvals, see
// ApproversFromApps), naming what is missing or wrong.
func FromEnv(getenv func(string) string) (*Service, error) {
	db, err := tables.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	files, err := blob.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	signer, err := session.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	approvers, err := approversFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return New(db, files, signer, Config{Approvers: approvers})
}

// approversFromEnv reads DINGTALK_APPS and the DingTalk endpoints; unset
// DINGTALK_APPS means no organization can start approvals.
func approversFromEnv(getenv func(string) string) (map[string]Approver, error) {
	raw := getenv("DINGTALK_APPS")
	if raw == "" {
		return nil, nil
	}
	ends, err := dingtalk.EndpointsFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("contracts: config: %w", err)
	}
	approvers, err := ApproversFromApps([]byte(raw), dingtalk.Options{Endpoints: ends})
	if err != nil {
		return nil, fmt.Errorf("contracts: config %q: %w", "DINGTALK_APPS", err)
	}
	return approvers, nil
}

// ApproversFromApps builds the Approvers of the DINGTALK_APPS JSON: one per
// organization whose app names the process code of its contract approval
// template in "approvalProcesses" (by object kind), such as
//
//	[{"corpId":"ding…","appKey":"…","appSecret":"…","agentId":1,
//	  "approvalProcesses":{"contract":"PROC-…"}}]
//
// The first such app of an organization starts its approvals.
func ApproversFromApps(data []byte, opts dingtalk.Options) (map[string]Approver, error) {
	apps, err := dingtalk.ParseApps(data)
	if err != nil {
		return nil, err
	}
	out := map[string]Approver{}
	for _, a := range apps {
		code := a.ApprovalProcesses[ApprovalKind]
		if _, dup := out[a.CorpID]; dup || code == "" {
			continue
		}
		cl, err := dingtalk.New(a, opts)
		if err != nil {
			return nil, fmt.Errorf("contracts: approvers: app of %q: %w", a.CorpID, err)
		}
		out[a.CorpID] = Approver{Client: cl, ProcessCode: code}
	}
	return out, nil
}
