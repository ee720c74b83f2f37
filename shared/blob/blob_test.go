package blob_test

import (
	"os"
	"testing"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/blob/blobtest"
)

// emulatorTarget starts an emulator for one subtest.
func emulatorTarget(v4 bool) func(t *testing.T) blobtest.Target {
	return func(t *testing.T) blobtest.Target {
		env := ossemutest.Start(t)
		return blobtest.Target{Config: emulatorConfig(env, v4), Advance: env.Advance}
	}
}

func emulatorConfig(env *ossemutest.Env, v4 bool) blob.Config {
	return blob.Config{
		Endpoint:        env.Endpoint,
		Bucket:          env.Bucket,
		Region:          env.Region,
		AccessKeyID:     env.AccessKeyID,
		AccessKeySecret: env.AccessKeySecret,
		SignatureV4:     v4,
	}
}

func TestConformanceEmulatorV1(t *testing.T) {
	blobtest.Run(t, emulatorTarget(false))
}

func TestConformanceEmulatorV4(t *testing.T) {
	blobtest.Run(t, emulatorTarget(true))
}

// TestConformanceOSS runs the suite against real OSS when credentials are
// in the environment.
func TestConformanceOSS(t *testing.T) {
	cfg, err := blob.ConfigFromEnv(os.Getenv)
	if err != nil {
		t.Skipf("skipping the suite against real OSS: %v "+
			"(set OSS_ENDPOINT, OSS_BUCKET, ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET to run it)", err)
	}
	cfg.SignatureV4 = cfg.Region != ""
	blobtest.Run(t, func(t *testing.T) blobtest.Target { return blobtest.Target{Config: cfg} })
}
