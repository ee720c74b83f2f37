package cli

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"
)

// secrets are the credentials and keys localdev generates once and keeps in
// .localdev/secrets.json. Nothing here is ever valid in a real cloud.
type secrets struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	AccountID       string `json:"accountId"`
	// Env holds the secret env vars s.yaml reads with ${env('...')}.
	Env map[string]string `json:"env"`
}

// ledgerOrigin names the local ledger's signing key.
const ledgerOrigin = "xietong.localdev/ledger"

// loadSecrets reads path, creating it with fresh values when it does not exist.
func loadSecrets(path string) (secrets, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		var s secrets
		if err := json.Unmarshal(data, &s); err != nil {
			return s, fmt.Errorf("secrets %q: %w (delete it, or run localdev reset)", path, err)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return secrets{}, fmt.Errorf("secrets %q: %w", path, err)
	}
	s, err := newSecrets()
	if err != nil {
		return s, err
	}
	data, _ = json.MarshalIndent(s, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return s, fmt.Errorf("secrets %q: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return s, fmt.Errorf("secrets %q: %w", path, err)
	}
	return s, nil
}

func newSecrets() (secrets, error) {
	skey, _, err := note.GenerateKey(rand.Reader, ledgerOrigin)
	if err != nil {
		return secrets{}, fmt.Errorf("secrets: ledger key: %w", err)
	}
	return secrets{
		AccessKeyID:     "LTAIlocal" + randHex(8),
		AccessKeySecret: randB64(24),
		AccountID:       "1" + randDigits(15),
		Env: map[string]string{
			"XT_SESSION_KEY": randB64(32),
			"XT_LEDGER_KEY":  skey,
		},
	}, nil
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randDigits(n int) string {
	b := randBytes(n)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

func randHex(n int) string { return hex.EncodeToString(randBytes(n)) }

func randB64(n int) string { return base64.StdEncoding.EncodeToString(randBytes(n)) }
