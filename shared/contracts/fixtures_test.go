package contracts

import (
	"bytes"
	"context"
	"testing"

	"github.com/xietong/xietong/events"
	"github.com/xietong/xietong/shared/runtime"
	"github.com/xietong/xietong/shared/tables"
)

// Fixtures of the contract-uploaded trigger, in events/.
const (
	fixtureUploaded    = "fc-oss-contract-uploaded.json"
	fixtureQuarantined = "fc-oss-contract-quarantined.json"
)

func TestFixtures(t *testing.T) {
	tests := []struct {
		name     string
		isUpload bool
	}{
		{fixtureUploaded, true},
		{fixtureQuarantined, false},
	}
	st := newStack(t, Config{})
	for _, tt := range tests {
		raw, err := events.Load(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		var ev runtime.OSSEvent
		if err := runtime.Decode(runtime.KindOSS, raw, &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("%s: %d records, %v", tt.name, len(ev.Records), err)
		}
		rec := ev.Records[0]
		ref, ok := parseUploadKey(rec.Key)
		if ok != tt.isUpload || (ok && ref.tid != tables.TenantKey("dingxietonguniversity")) {
			t.Errorf("%s: parseUploadKey(%q) = %+v, %v; want upload %v", tt.name, rec.Key, ref, ok,
				tt.isUpload)
		}
		// Delivered to a stack with no such grant, both change nothing and
		// succeed: the upload is a stray, the quarantine copy is ignored.
		local := bytes.ReplaceAll(raw, []byte(`"xietong-files"`), []byte(`"`+st.oss.Bucket+`"`))
		if _, err := st.fn.Dispatch(context.Background(), local); err != nil {
			t.Errorf("%s: Dispatch = %v, want nil", tt.name, err)
		}
	}
	rows, _, err := st.db.Page(context.Background(), tables.ContractVersion.Name, tables.Range{})
	if err != nil || len(rows) != 0 {
		t.Errorf("version rows after fixtures = %d, %v; want none", len(rows), err)
	}
}
