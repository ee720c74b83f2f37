package runtime

import (
	"encoding/json"
	"fmt"
	"time"
)

// TimerEvent is an FC timer trigger event:
// {"triggerTime":"2023-12-26T07:49:00Z","triggerName":"...","payload":"..."}.
type TimerEvent struct {
	// TriggerTime is when the trigger fired (UTC).
	TriggerTime time.Time `json:"triggerTime"`
	// TriggerName is the trigger's name in s.yaml.
	TriggerName string `json:"triggerName"`
	// Payload is the trigger's configured string, passed through verbatim;
	// decode JSON payloads yourself.
	Payload string `json:"payload"`
}

// UnmarshalJSON decodes a timer event, naming triggerTime when it is not
// an RFC 3339 time.
func (e *TimerEvent) UnmarshalJSON(b []byte) error {
	var w struct {
		TriggerTime *string `json:"triggerTime"`
		TriggerName string  `json:"triggerName"`
		Payload     string  `json:"payload"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = TimerEvent{TriggerName: w.TriggerName, Payload: w.Payload}
	if w.TriggerTime != nil {
		t, err := time.Parse(time.RFC3339Nano, *w.TriggerTime)
		if err != nil {
			return fmt.Errorf("triggerTime %q: not an RFC 3339 time", *w.TriggerTime)
		}
		e.TriggerTime = t
	}
	return nil
}

// OSSEvent is an FC OSS trigger event. On the wire it is
// {"events":[{"eventName":...,"oss":{"bucket":{...},"object":{...}},...}]};
// OSSRecord flattens one element of that array.
type OSSEvent struct {
	Records []OSSRecord
}

// OSSRecord is one object notification. EventName has no "oss:" prefix
// (e.g. "ObjectCreated:PutObject"); Key is not URL-encoded; ETag is
// upper-case hex without quotes.
type OSSRecord struct {
	EventName     string
	EventSource   string // "acs:oss"
	EventTime     time.Time
	EventVersion  string
	Region        string
	Bucket        string
	BucketARN     string
	BucketOwner   string
	VirtualBucket string
	Key           string
	Size          int64
	DeltaSize     int64
	ETag          string
	MimeType      string
	SchemaVersion string
	RuleID        string
	SourceIP      string // requestParameters.sourceIPAddress
	OSSRequestID  string // responseElements.requestId
	PrincipalID   string // userIdentity.principalId
}

// ossTimeLayout is the millisecond UTC layout OSS uses for eventTime.
const ossTimeLayout = "2006-01-02T15:04:05.000Z"

type ossWireEvent struct {
	Events []ossWireRecord `json:"events"`
}

type ossWireRecord struct {
	EventName         string        `json:"eventName"`
	EventSource       string        `json:"eventSource"`
	EventTime         string        `json:"eventTime"`
	EventVersion      string        `json:"eventVersion"`
	OSS               ossWireDetail `json:"oss"`
	Region            string        `json:"region"`
	RequestParameters struct {
		SourceIPAddress string `json:"sourceIPAddress"`
	} `json:"requestParameters"`
	ResponseElements struct {
		RequestID string `json:"requestId"`
	} `json:"responseElements"`
	UserIdentity struct {
		PrincipalID string `json:"principalId"`
	} `json:"userIdentity"`
}

type ossWireDetail struct {
	Bucket struct {
		ARN           string `json:"arn"`
		Name          string `json:"name"`
		OwnerIdentity string `json:"ownerIdentity"`
		VirtualBucket string `json:"virtualBucket"`
	} `json:"bucket"`
	Object struct {
		DeltaSize  int64  `json:"deltaSize"`
		ETag       string `json:"eTag"`
		Key        string `json:"key"`
		ObjectMeta struct {
			MimeType string `json:"mimeType"`
		} `json:"objectMeta"`
		Size int64 `json:"size"`
	} `json:"object"`
	OSSSchemaVersion string `json:"ossSchemaVersion"`
	RuleID           string `json:"ruleId"`
}

// MarshalJSON encodes e in the FC OSS trigger wire format.
func (e OSSEvent) MarshalJSON() ([]byte, error) {
	w := ossWireEvent{Events: make([]ossWireRecord, len(e.Records))}
	for i, r := range e.Records {
		w.Events[i] = r.wire()
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes the FC OSS trigger wire format.
func (e *OSSEvent) UnmarshalJSON(b []byte) error {
	var w ossWireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	recs := make([]OSSRecord, len(w.Events))
	for i, wr := range w.Events {
		r, err := wr.record()
		if err != nil {
			return err
		}
		recs[i] = r
	}
	e.Records = recs
	return nil
}

func (r OSSRecord) wire() ossWireRecord {
	var w ossWireRecord
	w.EventName, w.EventSource, w.EventVersion = r.EventName, r.EventSource, r.EventVersion
	if !r.EventTime.IsZero() {
		w.EventTime = r.EventTime.UTC().Format(ossTimeLayout)
	}
	w.Region = r.Region
	b := &w.OSS.Bucket
	b.Name, b.ARN, b.OwnerIdentity, b.VirtualBucket = r.Bucket, r.BucketARN, r.BucketOwner,
		r.VirtualBucket
	o := &w.OSS.Object
	o.Key, o.Size, o.DeltaSize, o.ETag = r.Key, r.Size, r.DeltaSize, r.ETag
	o.ObjectMeta.MimeType = r.MimeType
	w.OSS.OSSSchemaVersion, w.OSS.RuleID = r.SchemaVersion, r.RuleID
	w.RequestParameters.SourceIPAddress = r.SourceIP
	w.ResponseElements.RequestID = r.OSSRequestID
	w.UserIdentity.PrincipalID = r.PrincipalID
	return w
}

func (w ossWireRecord) record() (OSSRecord, error) {
	r := OSSRecord{
		EventName: w.EventName, EventSource: w.EventSource, EventVersion: w.EventVersion,
		Region: w.Region, Bucket: w.OSS.Bucket.Name, BucketARN: w.OSS.Bucket.ARN,
		BucketOwner: w.OSS.Bucket.OwnerIdentity, VirtualBucket: w.OSS.Bucket.VirtualBucket,
		Key: w.OSS.Object.Key, Size: w.OSS.Object.Size, DeltaSize: w.OSS.Object.DeltaSize,
		ETag: w.OSS.Object.ETag, MimeType: w.OSS.Object.ObjectMeta.MimeType,
		SchemaVersion: w.OSS.OSSSchemaVersion, RuleID: w.OSS.RuleID,
		SourceIP:     w.RequestParameters.SourceIPAddress,
		OSSRequestID: w.ResponseElements.RequestID,
		PrincipalID:  w.UserIdentity.PrincipalID,
	}
	if w.EventTime != "" {
		t, err := time.Parse(time.RFC3339Nano, w.EventTime)
		if err != nil {
			return OSSRecord{}, fmt.Errorf("eventTime %q: not an RFC 3339 time", w.EventTime)
		}
		r.EventTime = t
	}
	return r, nil
}
