package dingevents

import (
	"fmt"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

// FromEnv builds the function's Handler from the environment, read through
// getenv once: the Tablestore variables (tables.ConfigFromEnv),
// DINGTALK_OAPI_BASE, DINGTALK_API_BASE and DINGTALK_APPS.
func FromEnv(getenv func(string) string) (*Handler, error) {
	tcfg, err := tables.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	ends, err := dingtalk.EndpointsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	apps, err := dingtalk.ParseApps([]byte(getenv("DINGTALK_APPS")))
	if err != nil {
		return nil, fmt.Errorf("dingevents: config %q: %w", "DINGTALK_APPS", err)
	}
	corps, err := CorpsFromApps(apps, dingtalk.Options{Endpoints: ends})
	if err != nil {
		return nil, err
	}
	store, err := tables.New(tables.NewClient(tcfg), tables.All)
	if err != nil {
		return nil, err
	}
	dir, err := directory.New(store)
	if err != nil {
		return nil, err
	}
	return New(Config{Corps: corps, Directory: dir, Store: store})
}
