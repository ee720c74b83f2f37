package cli

// This file is the only one that knows the Tablestore and OSS emulators' packages; the
// rest of the stack sees them through the emulator interface.

import (
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/xietong/xietong/localdev/ossemu"
	"github.com/xietong/xietong/localdev/ots"
)

// emulator is a cloud service emulator served over HTTP.
type emulator interface {
	http.Handler
	Close() error
}

// ossEvent is an object notification from the OSS emulator; Payload is the FC3 OSS
// trigger event JSON.
type ossEvent struct {
	Bucket, Key, EventName string
	Payload                []byte
}

// emulatorConfig is what the emulators are opened with.
type emulatorConfig struct {
	dataDir         string
	instance        string // Tablestore instance
	region          string
	buckets         []string
	accessKeyID     string
	accessKeySecret string
	onOSSEvent      func(ossEvent)
}

// openTablestore opens the Tablestore emulator on its bbolt file under dataDir.
func openTablestore(c emulatorConfig) (emulator, error) {
	s, err := ots.Open(ots.Config{
		Path:            filepath.Join(c.dataDir, "tablestore.db"),
		Instance:        c.instance,
		AccessKeyID:     c.accessKeyID,
		AccessKeySecret: c.accessKeySecret,
	})
	if err != nil {
		return nil, fmt.Errorf("tablestore emulator: %w", err)
	}
	return s, nil
}

// openOSS opens the OSS emulator on its directory under dataDir; every object event
// goes to c.onOSSEvent.
func openOSS(c emulatorConfig) (emulator, error) {
	s, err := ossemu.Open(ossemu.Config{
		Dir:         filepath.Join(c.dataDir, "oss"),
		Region:      c.region,
		Buckets:     c.buckets,
		Credentials: map[string]string{c.accessKeyID: c.accessKeySecret},
		OnEvent: func(e ossemu.Event) {
			if c.onOSSEvent != nil {
				c.onOSSEvent(ossEvent{Bucket: e.Bucket, Key: e.Key, EventName: e.EventName,
					Payload: e.Payload})
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("oss emulator: %w", err)
	}
	return s, nil
}
