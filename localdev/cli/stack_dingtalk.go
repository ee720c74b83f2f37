package cli

// This file is the only one that knows the DingTalk fake's package.

import (
	"encoding/json"

	"github.com/xietong/xietong/localdev/dingfake"
)

// dingTalk is the DingTalk fake with its seeded organizations.
type dingTalk struct {
	fake *dingfake.Fake
	// apps is the DINGTALK_APPS JSON that matches the seed.
	apps string
}

// openDingTalk returns the fake seeded with its default organizations.
func openDingTalk() (*dingTalk, error) {
	seed := dingfake.DefaultSeed()
	apps, err := appsJSON(seed)
	if err != nil {
		return nil, err
	}
	return &dingTalk{fake: dingfake.New(dingfake.Config{Orgs: seed}), apps: apps}, nil
}

// firstUser names a seeded user to try a free-login code with.
func (d *dingTalk) firstUser() (corpID, userID string) {
	for _, o := range dingfake.DefaultSeed() {
		for _, u := range o.Users {
			return o.CorpID, u.UserID
		}
	}
	return "", ""
}

// approvalKinds names the object kind each of the seed's OA templates decides.
var approvalKinds = map[string]string{
	"PROC-XT-CONTRACT":     "contract",
	"PROC-XT-PROJECT-INIT": "project",
}

// processes maps object kinds to the org's approval templates.
func processes(o dingfake.Org) map[string]string {
	out := map[string]string{}
	for _, code := range o.ProcessCodes {
		if kind, ok := approvalKinds[code]; ok {
			out[kind] = code
		}
	}
	return out
}

// userIDs lists the seeded users of corpID.
func (d *dingTalk) userIDs(corpID string) []string {
	var out []string
	for _, o := range dingfake.DefaultSeed() {
		if o.CorpID != corpID {
			continue
		}
		for _, u := range o.Users {
			out = append(out, u.UserID)
		}
	}
	return out
}

// appsJSON renders the seed's apps in the DINGTALK_APPS format (shared/dingtalk.App).
func appsJSON(orgs []dingfake.Org) (string, error) {
	type robot struct {
		Token  string `json:"token"`
		Secret string `json:"secret"`
	}
	type app struct {
		CorpID        string           `json:"corpId"`
		AppKey        string           `json:"appKey"`
		AppSecret     string           `json:"appSecret"`
		AgentID       int64            `json:"agentId"`
		CallbackToken string           `json:"callbackToken,omitempty"`
		AESKey        string           `json:"aesKey,omitempty"`
		OwnerKey      string           `json:"ownerKey,omitempty"`
		Robots        map[string]robot `json:"robots,omitempty"`
		// Processes maps an object kind to its OA approval template.
		Processes map[string]string `json:"approvalProcesses,omitempty"`
	}
	var out []app
	for _, o := range orgs {
		robots := map[string]robot{}
		for _, r := range o.Robots {
			robots[r.Name] = robot{Token: r.Token, Secret: r.Secret}
		}
		for _, a := range o.Apps {
			out = append(out, app{CorpID: o.CorpID, AppKey: a.AppKey, AppSecret: a.AppSecret,
				AgentID: a.AgentID, CallbackToken: a.CallbackToken, AESKey: a.AESKey,
				OwnerKey: a.OwnerKey, Robots: robots, Processes: processes(o)})
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}
