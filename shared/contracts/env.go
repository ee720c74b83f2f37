package contracts

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// EnvPublicEndpoint names the optional variable with the OSS endpoint that
// browsers upload to and download from. Unset, it is OSS_ENDPOINT without
// "-internal" (the functions reach OSS over the internal network; phones
// cannot).
const EnvPublicEndpoint = "OSS_PUBLIC_ENDPOINT"

// FromEnv builds a Service from the function's environment (Tablestore,
// OSS, XT_SESSION_KEY; see tables.ConfigFromEnv and blob.ConfigFromEnv;
// DINGTALK_APPS, DINGTALK_OAPI_BASE and DINGTALK_API_BASE for approvals, see
// ApproversFromApps), naming what is missing or wrong.
func FromEnv(getenv func(string) string) (*Service, error) {
	tcfg, err := tables.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	db, err := tables.New(tables.NewClient(tcfg), tables.All)
	if err != nil {
		return nil, err
	}
	bcfg, err := blob.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	bcfg.PublicEndpoint = getenv(EnvPublicEndpoint)
	if bcfg.PublicEndpoint == "" {
		bcfg.PublicEndpoint = strings.Replace(bcfg.Endpoint, "-internal.", ".", 1)
	}
	files, err := blob.New(bcfg)
	if err != nil {
		return nil, err
	}
	key, err := session.ParseKey(getenv(session.EnvKey))
	if err != nil {
		return nil, fmt.Errorf("contracts: config: %w", err)
	}
	signer, err := session.New(key)
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
//
// TODO(#5): approvalProcesses belongs in dingtalk.App, and localdev's
// DINGTALK_APPS should carry the fake's process codes.
func ApproversFromApps(data []byte, opts dingtalk.Options) (map[string]Approver, error) {
	apps, err := dingtalk.ParseApps(data)
	if err != nil {
		return nil, err
	}
	var procs []struct {
		Processes map[string]string `json:"approvalProcesses"`
	}
	if err := json.Unmarshal(data, &procs); err != nil || len(procs) != len(apps) {
		return nil, fmt.Errorf("contracts: approvers: approvalProcesses unreadable")
	}
	out := map[string]Approver{}
	for i, a := range apps {
		code := procs[i].Processes[ApprovalKind]
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
