package dingevents

import (
	"fmt"

	"github.com/xietong/xietong/shared/dingtalk"
	"github.com/xietong/xietong/shared/directory"
	"github.com/xietong/xietong/shared/tables"
)

// Appliers builds the approval Appliers of a deployment, by object kind,
// over the store the Handler uses.
type Appliers func(store *tables.Store) map[string]Applier

// FromEnv builds the function's Handler from the environment, read through
// getenv once: the Tablestore variables (tables.ConfigFromEnv),
// DINGTALK_OAPI_BASE, DINGTALK_API_BASE and DINGTALK_APPS. appliers, which
// may be nil, plugs in the domain objects that approvals decide.
func FromEnv(getenv func(string) string, appliers Appliers) (*Handler, error) {
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
	store, err := tables.StoreFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	dir, err := directory.New(store)
	if err != nil {
		return nil, err
	}
	cfg := Config{Corps: corps, Directory: dir, Store: store}
	if appliers != nil {
		cfg.Appliers = appliers(store)
	}
	return New(cfg)
}
