package dingevents_test

import (
	"strings"
	"testing"

	"github.com/xietong/xietong/localdev/dingfake"
	"github.com/xietong/xietong/localdev/ots"
	"github.com/xietong/xietong/shared/tables"
)

// TestDocumentedEnvelope pushes events in the documents' shape (camelCase
// userId and deptId, an eventId): they are applied like legacy pushes and
// deduplicated by their eventId; a fresh push of the same change (a new
// eventId) is applied again and writes nothing.
func TestDocumentedEnvelope(t *testing.T) {
	s := newStack(t, ots.Config{})
	s.fake.SetEnvelope(dingfake.EnvelopeDocumented)
	seedUser(t, s, "u-doc", nil)
	fields := map[string]any{"UserId": []string{"u-doc"}}
	s.push(univ, "user_add_org", fields)
	mustUser(t, s, univ, "u-doc")

	ids := 0
	for _, r := range s.rows(tables.Dedupe.Name, univ) {
		if id, _ := r.Key[len(r.Key)-1].(string); strings.HasPrefix(id, "id:") {
			ids++
		}
	}
	if ids != 1 {
		t.Errorf("%d dedupe rows keyed by eventId, want 1", ids)
	}
	before := s.snapshot(univ, directoryTables...)
	s.push(univ, "user_add_org", fields)
	if got := s.snapshot(univ, directoryTables...); got != before {
		t.Errorf("a second push of the same change wrote:\nbefore:\n%s\nafter:\n%s", before,
			got)
	}
}
