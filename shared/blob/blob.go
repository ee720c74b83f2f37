// Package blob is xietong's layer over OSS: upload grants that let a browser
// put one object straight into a bucket, presigned downloads, streaming
// SHA-256, and the object operations other packages need, with OSS errors
// mapped once onto a few sentinels.
//
// A Store works the same against real OSS and against localdev's emulator;
// only Config differs.
package blob

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Errors returned by a Store, wrapped with the operation and key; test them
// with errors.Is.
var (
	ErrNotFound = errors.New("not found")      // no such object, bucket or upload
	ErrExists   = errors.New("already exists") // a write that must not overwrite
	// signature, credentials, expired grant or policy
	ErrDenied   = errors.New("access denied")
	ErrInvalid  = errors.New("invalid request")     // malformed input, bad digest, too small
	ErrTooLarge = errors.New("object is too large") // over the size limit of a grant or the service
)

// Config says how to reach a bucket.
type Config struct {
	// Endpoint is the OSS endpoint the functions use, such as
	// https://oss-cn-hangzhou-internal.aliyuncs.com or http://127.0.0.1:9000.
	Endpoint string
	// PublicEndpoint is the endpoint browsers use for grants and presigned
	// URLs; empty means Endpoint.
	PublicEndpoint string
	Bucket         string
	// Region is required for signature V4, as in "cn-hangzhou".
	Region          string
	AccessKeyID     string
	AccessKeySecret string
	// SecurityToken is set when the keys are STS credentials.
	SecurityToken string
	// SignatureV4 selects signature V4 for requests, URLs and grants;
	// otherwise V1, the SDK's default.
	SignatureV4 bool
	// PathStyle addresses the bucket as /bucket/key even on a host name.
	// The SDK always does so on an IP endpoint.
	PathStyle bool
	// Now is the clock that dates grant forms; nil means time.Now. The SDK
	// dates presigned URLs with the wall clock whatever Now says.
	Now func() time.Time
}

// ConfigFromEnv reads a Config from the environment variables functions get:
// OSS_ENDPOINT, OSS_BUCKET, OSS_REGION, ALIBABA_CLOUD_ACCESS_KEY_ID,
// ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN.
//
// OSS_PUBLIC_ENDPOINT (EnvPublicEndpoint) is the endpoint browsers and phones
// upload to and download from; unset, it is OSS_ENDPOINT without
// "-internal" (functions reach OSS over the internal network, phones cannot).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Endpoint:        getenv("OSS_ENDPOINT"),
		Bucket:          getenv("OSS_BUCKET"),
		Region:          getenv("OSS_REGION"),
		AccessKeyID:     getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
		PublicEndpoint:  getenv(EnvPublicEndpoint),
	}
	if cfg.PublicEndpoint == "" {
		cfg.PublicEndpoint = strings.Replace(cfg.Endpoint, "-internal.", ".", 1)
	}
	var missing []string
	for name, v := range map[string]string{
		"OSS_ENDPOINT": cfg.Endpoint, "OSS_BUCKET": cfg.Bucket,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     cfg.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": cfg.AccessKeySecret,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return cfg, fmt.Errorf("blob: config: missing %s", strings.Join(missing, ", "))
	}
	return cfg, nil
}

// EnvPublicEndpoint names the optional public OSS endpoint (see ConfigFromEnv).
const EnvPublicEndpoint = "OSS_PUBLIC_ENDPOINT"

// Store is one bucket. It is safe for concurrent use.
type Store struct {
	cfg    Config
	bucket *oss.Bucket // requests from the function
	signer *oss.Bucket // URLs for browsers, on the public endpoint
	now    func() time.Time
}

// StoreFromEnv builds a Store from ConfigFromEnv's settings, naming what
// is missing or wrong; it makes no request.
func StoreFromEnv(getenv func(string) string) (*Store, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// New builds a Store; it makes no request.
func New(cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, fmt.Errorf("blob: new: endpoint and bucket are required")
	}
	if cfg.SignatureV4 && cfg.Region == "" {
		return nil, fmt.Errorf("blob: new: signature V4 needs a region")
	}
	if cfg.PublicEndpoint == "" {
		cfg.PublicEndpoint = cfg.Endpoint
	}
	s := &Store{cfg: cfg, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.bucket, err = openBucket(cfg, cfg.Endpoint); err != nil {
		return nil, err
	}
	if s.signer, err = openBucket(cfg, cfg.PublicEndpoint); err != nil {
		return nil, err
	}
	return s, nil
}

func openBucket(cfg Config, endpoint string) (*oss.Bucket, error) {
	opts := []oss.ClientOption{}
	if cfg.Region != "" {
		opts = append(opts, oss.Region(cfg.Region))
	}
	if cfg.SignatureV4 {
		opts = append(opts, oss.AuthVersion(oss.AuthV4))
	}
	if cfg.SecurityToken != "" {
		opts = append(opts, oss.SecurityToken(cfg.SecurityToken))
	}
	if cfg.PathStyle {
		opts = append(opts, oss.ForcePathStyle(true))
	}
	c, err := oss.New(endpoint, cfg.AccessKeyID, cfg.AccessKeySecret, opts...)
	if err != nil {
		return nil, fmt.Errorf("blob: new %q: %w", endpoint, err)
	}
	b, err := c.Bucket(cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: new bucket %q: %w", cfg.Bucket, err)
	}
	return b, nil
}

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.cfg.Bucket }

// bucketURL is the URL a browser form posts to: the bucket host, or
// /bucket on a path-style endpoint.
func (s *Store) bucketURL() string {
	u, err := url.Parse(s.cfg.PublicEndpoint)
	if err != nil || u.Host == "" {
		u = &url.URL{Scheme: "http", Host: s.cfg.PublicEndpoint}
	}
	host := u.Hostname()
	if s.cfg.PathStyle || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return u.Scheme + "://" + u.Host + "/" + s.cfg.Bucket
	}
	return u.Scheme + "://" + s.cfg.Bucket + "." + u.Host + "/"
}

// ctxOption passes ctx to the SDK.
func ctxOption(ctx context.Context) oss.Option {
	return oss.WithContext(ctx)
}
