package contracts

import (
	"fmt"
	"strings"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// EnvPublicEndpoint names the optional variable with the OSS endpoint that
// browsers upload to and download from. Unset, it is OSS_ENDPOINT without
// "-internal" (the functions reach OSS over the internal network; phones
// cannot).
const EnvPublicEndpoint = "OSS_PUBLIC_ENDPOINT"

// FromEnv builds a Service from the function's environment (Tablestore,
// OSS, XT_SESSION_KEY; see tables.ConfigFromEnv and blob.ConfigFromEnv),
// naming what is missing or wrong.
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
	return New(db, files, signer, Config{})
}
