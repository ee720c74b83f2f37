package tables_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/localdev/ots/otstest"
	"github.com/xietong/xietong/shared/tables"
	"github.com/xietong/xietong/shared/tables/tablestest"
)

// fakeClock is a settable clock for the emulator and the Store.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// emulator starts a Tablestore emulator whose clock follows the wall clock
// plus whatever the test advanced it by.
func emulator(t *testing.T) (*otstest.Env, func(time.Duration)) {
	var mu sync.Mutex
	var skew time.Duration
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Add(skew)
	}
	env := otstest.StartWith(t, ots.Config{Now: now})
	return env, func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		skew += d
	}
}

func TestConformanceEmulator(t *testing.T) {
	tablestest.Run(t, func(t *testing.T) *tablestest.Env {
		env, advance := emulator(t)
		return &tablestest.Env{
			Client:  env.Client,
			Prefix:  "t_",
			Faults:  env.Server.Faults(),
			Advance: advance,
			Usage: func(table string) (int64, int64) {
				u := env.Server.Usage(table)
				return u.Read, u.Write
			},
			Eventual: time.Second,
		}
	})
}

func TestConformanceRealInstance(t *testing.T) {
	cfg, err := tables.ConfigFromEnv(os.Getenv)
	if err != nil {
		t.Skipf("no real Tablestore instance: set TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE, "+
			"ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET to run (%v)", err)
	}
	tablestest.Run(t, func(t *testing.T) *tablestest.Env {
		return &tablestest.Env{
			Client:   tables.NewClient(cfg),
			Prefix:   fmt.Sprintf("xt_conf_%06d_", rand.IntN(1e6)),
			Drop:     true,
			Eventual: 30 * time.Second,
		}
	})
}

// TestAppSchemaOnEmulator creates every table of the app in the emulator and
// verifies the live tables against the declarations.
func TestAppSchemaOnEmulator(t *testing.T) {
	env := otstest.Start(t)
	ctx := t.Context()
	if err := tables.Apply(ctx, env.Client, tables.All); err != nil {
		t.Fatalf("Apply(tables.All) = %v", err)
	}
	if err := tables.Apply(ctx, env.Client, tables.All); err != nil {
		t.Errorf("Apply(tables.All) again = %v, want nil", err)
	}
	if _, err := tables.New(env.Client, tables.All); err != nil {
		t.Errorf("New(tables.All) = %v", err)
	}
}
