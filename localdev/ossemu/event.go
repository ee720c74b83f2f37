package ossemu

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net"
	"strings"
)

// Event reports one object created or deleted.
type Event struct {
	Bucket string
	Key    string
	// EventName is the OSS event without the "oss:" prefix, for example
	// ObjectCreated:PutObject, ObjectCreated:PostObject,
	// ObjectCreated:CopyObject, ObjectCreated:CompleteMultipartUpload,
	// ObjectRemoved:DeleteObject or ObjectRemoved:DeleteObjects.
	EventName string
	// Payload is the FC3 OSS trigger event, {"events":[...]} with one record,
	// as Function Compute delivers it to a function.
	Payload []byte
}

// The JSON shape of an FC3 OSS trigger event.
type (
	eventDoc struct {
		Events []eventRecord `json:"events"`
	}
	eventRecord struct {
		EventName         string         `json:"eventName"`
		EventSource       string         `json:"eventSource"`
		EventTime         string         `json:"eventTime"`
		EventVersion      string         `json:"eventVersion"`
		OSS               eventOSS       `json:"oss"`
		Region            string         `json:"region"`
		RequestParameters eventRequest   `json:"requestParameters"`
		ResponseElements  eventResponse  `json:"responseElements"`
		UserIdentity      eventUserIdent `json:"userIdentity"`
	}
	eventOSS struct {
		Bucket           eventBucket `json:"bucket"`
		Object           eventObject `json:"object"`
		OSSSchemaVersion string      `json:"ossSchemaVersion"`
		RuleID           string      `json:"ruleId"`
	}
	eventBucket struct {
		ARN           string `json:"arn"`
		Name          string `json:"name"`
		OwnerIdentity string `json:"ownerIdentity"`
		VirtualBucket string `json:"virtualBucket"`
	}
	eventObject struct {
		DeltaSize  int64           `json:"deltaSize"`
		ETag       string          `json:"eTag"`
		Key        string          `json:"key"`
		ObjectMeta eventObjectMeta `json:"objectMeta"`
		Size       int64           `json:"size"`
	}
	eventObjectMeta struct {
		MimeType string `json:"mimeType"`
	}
	eventRequest struct {
		SourceIPAddress string `json:"sourceIPAddress"`
	}
	eventResponse struct {
		RequestID string `json:"requestId"`
	}
	eventUserIdent struct {
		PrincipalID string `json:"principalId"`
	}
)

// emit reports a change to m through Config.OnEvent.
func (s *Server) emit(rq *request, name string, m *objectMeta) {
	if s.onEvent == nil {
		return
	}
	delta := m.Size
	if strings.HasPrefix(name, "ObjectRemoved:") {
		delta = -m.Size
	}
	ip, _, err := net.SplitHostPort(rq.r.RemoteAddr)
	if err != nil {
		ip = rq.r.RemoteAddr
	}
	rule := sha1.Sum([]byte("ossemu:" + rq.bucket.name))
	rec := eventRecord{
		EventName:    name,
		EventSource:  "acs:oss",
		EventTime:    isoTime(rq.now),
		EventVersion: "1.0",
		OSS: eventOSS{
			Bucket: eventBucket{
				ARN:           "acs:oss:" + s.region + ":" + ownerID + ":" + rq.bucket.name,
				Name:          rq.bucket.name,
				OwnerIdentity: ownerID,
			},
			Object: eventObject{
				DeltaSize:  delta,
				ETag:       m.ETag,
				Key:        m.Key,
				ObjectMeta: eventObjectMeta{MimeType: m.ContentType},
				Size:       m.Size,
			},
			OSSSchemaVersion: "1.0",
			RuleID:           hex.EncodeToString(rule[:]),
		},
		Region:            s.region,
		RequestParameters: eventRequest{SourceIPAddress: ip},
		ResponseElements:  eventResponse{RequestID: rq.id},
		UserIdentity:      eventUserIdent{PrincipalID: ownerID},
	}
	payload, err := json.Marshal(eventDoc{Events: []eventRecord{rec}})
	if err != nil {
		return
	}
	s.onEvent(Event{Bucket: rq.bucket.name, Key: m.Key, EventName: name, Payload: payload})
}
