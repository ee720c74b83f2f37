package ossemu

import "strings"

// Trigger is the filter of an FC OSS trigger as s.yaml declares it: the
// bucket named by its sourceArn, triggerConfig.events and
// triggerConfig.filter.key.
type Trigger struct {
	Bucket string
	// Events are prefixed event names, for example "oss:ObjectCreated:*" or
	// "oss:ObjectRemoved:DeleteObject".
	Events []string
	Prefix string
	Suffix string
}

// Matches reports whether ev fires the trigger: same bucket, an event name
// the trigger lists (a "*" after the category matches any), and a key with
// the prefix and suffix.
func (tr Trigger) Matches(ev Event) bool {
	if tr.Bucket != ev.Bucket || !strings.HasPrefix(ev.Key, tr.Prefix) ||
		!strings.HasSuffix(ev.Key, tr.Suffix) {
		return false
	}
	for _, want := range tr.Events {
		want = strings.TrimPrefix(want, "oss:")
		if want == ev.EventName {
			return true
		}
		if cat, ok := strings.CutSuffix(want, ":*"); ok &&
			strings.HasPrefix(ev.EventName, cat+":") {
			return true
		}
	}
	return false
}

// BucketFromARN returns the bucket of an OSS sourceArn,
// acs:oss:<region>:<account>:<bucket>, or "" if arn is not one.
func BucketFromARN(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) != 5 || parts[0] != "acs" || parts[1] != "oss" {
		return ""
	}
	return parts[4]
}
