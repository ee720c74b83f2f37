package ossemu_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/xietong/xietong/localdev/ossemu/ossemutest"
)

func TestEvents(t *testing.T) {
	env := ossemutest.Start(t)
	b := env.Client(t)
	put(t, b, "e/a.pdf", []byte("%PDF-a"))
	b.CopyObject("e/a.pdf", "e/b.pdf")
	imur, _ := b.InitiateMultipartUpload("e/c.bin")
	p, _ := b.UploadPart(imur, strings.NewReader("ccc"), 3, 1)
	b.CompleteMultipartUpload(imur, []oss.UploadPart{p})
	b.PutObjectTagging("e/a.pdf", oss.Tagging{Tags: []oss.Tag{{Key: "k", Value: "v"}}})
	b.DeleteObject("e/a.pdf")
	b.DeleteObject("e/never")
	b.DeleteObjects([]string{"e/b.pdf", "e/c.bin"})

	want := []string{
		"ObjectCreated:PutObject e/a.pdf",
		"ObjectCreated:CopyObject e/b.pdf",
		"ObjectCreated:CompleteMultipartUpload e/c.bin",
		"ObjectRemoved:DeleteObject e/a.pdf",
		"ObjectRemoved:DeleteObjects e/b.pdf",
		"ObjectRemoved:DeleteObjects e/c.bin",
	}
	events := env.Events()
	var got []string
	for _, ev := range events {
		got = append(got, ev.EventName+" "+ev.Key)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var doc fcevents.OssEvent
	if err := json.Unmarshal(events[0].Payload, &doc); err != nil {
		t.Fatalf("payload does not decode as an FC OSS event: %v", err)
	}
	if len(doc.Events) != 1 {
		t.Fatalf("payload has %d records, want 1", len(doc.Events))
	}
	rec := doc.Events[0]
	checks := []struct {
		field, got, want string
	}{
		{"eventName", *rec.EventName, "ObjectCreated:PutObject"},
		{"eventSource", *rec.EventSource, "acs:oss"},
		{"region", *rec.Region, env.Region},
		{"bucket.name", *rec.Oss.Bucket.Name, env.Bucket},
		{"object.key", *rec.Oss.Object.Key, "e/a.pdf"},
		{"object.eTag", *rec.Oss.Object.ETag, strings.Trim(etagOf([]byte("%PDF-a")), `"`)},
		{"object.objectMeta.mimeType", *rec.Oss.Object.ObjectMeta.MimeType, "application/pdf"},
		{"requestParameters.sourceIPAddress", *rec.RequestParameters.SourceIPAddress, "127.0.0.1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("payload %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if *rec.Oss.Object.Size != 6 || rec.EventTime == nil || rec.EventTime.IsZero() {
		t.Errorf("payload size %d, eventTime %v", *rec.Oss.Object.Size, rec.EventTime)
	}
	if !strings.HasPrefix(*rec.Oss.Bucket.Arn, "acs:oss:"+env.Region+":") {
		t.Errorf("payload bucket.arn = %q", *rec.Oss.Bucket.Arn)
	}
	var removed fcevents.OssEvent
	json.Unmarshal(events[3].Payload, &removed)
	if d := *removed.Events[0].Oss.Object.DeltaSize; d != -6 {
		t.Errorf("delete event deltaSize = %d, want -6", d)
	}
}
