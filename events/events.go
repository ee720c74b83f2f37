// Package events holds one JSON fixture per trigger and event kind, as the
// hosts deliver them to a function binary. Tests read them through Load and
// `localdev invoke <function> events/<file>.json` reads the same files.
//
// The two DingTalk fixtures are FC HTTP trigger events whose body is the
// {"encrypt":"..."} JSON DingTalk POSTs, with signature, msg_signature,
// timestamp and nonce in the query. dingtalk-callback-check-url.json is
// DingTalk's public check_url test vector (token "mryue", owner key
// "ding6ccabc44d2c8d38b", EncodingAESKey in CheckURLAESKey).
// dingtalk-callback-user-add-org.json is a user_add_org event encrypted and
// signed with the local development keys below. Decrypting them is the
// dingtalk-callback function's job (issue #5).
package events

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed *.json
var fixtures embed.FS

// Fixture file names.
const (
	FCHTTPGet          = "fc-http-get.json"
	FCHTTPPostBinary   = "fc-http-post-binary.json"
	FCTimer            = "fc-timer.json"
	FCOSSObjectCreated = "fc-oss-object-created.json"
	LambdaHTTPV2       = "lambda-http-v2.json"
	DingTalkCheckURL   = "dingtalk-callback-check-url.json"
	DingTalkUserAddOrg = "dingtalk-callback-user-add-org.json"
)

// Key material of DingTalk's public check_url test vector (DingTalkCheckURL).
const (
	CheckURLToken    = "mryue"
	CheckURLAESKey   = "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7"
	CheckURLOwnerKey = "ding6ccabc44d2c8d38b"
)

// Local development DingTalk keys that DingTalkUserAddOrg is signed and
// encrypted with, and the event it carries. They are test values, not secrets.
const (
	DevDingTalkToken    = "xietongdev"
	DevDingTalkAESKey   = "xietongLocalDevEncodingAesKey0123456789abcd"
	DevDingTalkOwnerKey = "dingxietonglocaldev"
	DevDingTalkCorpID   = "dingxietonguniversity"
	DevDingTalkUserID   = "manager4220"
)

// Load returns the fixture named name, e.g. Load(FCTimer).
func Load(name string) ([]byte, error) {
	b, err := fixtures.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("events: load %q: %w", name, err)
	}
	return b, nil
}

// Names returns every fixture's file name, sorted.
func Names() []string {
	names, _ := fs.Glob(fixtures, "*.json")
	sort.Strings(names)
	return names
}
