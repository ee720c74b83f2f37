package contracts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

func TestInvalidInputChangesNothing(t *testing.T) {
	st := newStack(t, Config{})
	c := st.newContract("lead")
	good := `{"projectId":"P1","title":"T","parties":[{"corp":"dinguni","name":"U"}],` +
		`"amountFen":1,"currency":"CNY"}`
	path := "/api/contracts/" + uni
	tests := []struct {
		name, who, method, path, body string
		want                          int
		code, mention                 string
	}{
		{"unknown field", "lead", "POST", path, strings.Replace(good, `"title"`, `"titel"`, 1),
			400, "invalid_input", "titel"},
		{"not JSON", "lead", "POST", path, "{", 400, "invalid_json", ""},
		{"two objects", "lead", "POST", path, good + good, 400, "invalid_json", "after"},
		{"negative amount", "lead", "POST", path, strings.Replace(good, `"amountFen":1`,
			`"amountFen":-5`, 1), 400, "invalid_input", "amountFen"},
		{"fractional amount", "lead", "POST", path, strings.Replace(good, `"amountFen":1`,
			`"amountFen":1.5`, 1), 400, "invalid_input", "amountFen"},
		{"bad currency", "lead", "POST", path, strings.Replace(good, "CNY", "yuan", 1),
			400, "invalid_input", "currency"},
		{"no parties", "lead", "POST", path, strings.Replace(good,
			`[{"corp":"dinguni","name":"U"}]`, `[]`, 1), 400, "invalid_input", "parties"},
		{"unknown milestone", "lead", "POST", path, strings.Replace(good, `"currency"`,
			`"milestoneIds":["M9"],"currency"`, 1), 400, "invalid_input", "milestoneIds[0]"},
		{"member may not create", "member", "POST", path, good, 403, "forbidden", ""},
		{"not a member", "outsider", "POST", path, good, 403, "forbidden", ""},
		{"no session", "", "POST", path, good, 401, "unauthenticated", ""},
		{"bad corp", "lead", "POST", "/api/contracts/bad:corp", good, 400, "invalid_input", "corp"},
		{"unknown contract", "lead", "GET", path + "/cnope", "", 404, "contract_not_found", ""},
		{"bad content type", "lead", "POST", path + "/" + c.ID + "/uploads",
			`{"filename":"a.exe","contentType":"application/x-msdownload"}`, 400,
			"invalid_input", "contentType"},
		{"no filename", "lead", "POST", path + "/" + c.ID + "/uploads",
			`{"filename":"","contentType":"application/pdf"}`, 400, "invalid_input", "filename"},
		{"no such version", "lead", "GET", path + "/" + c.ID + "/versions/7/download", "", 404,
			"version_not_found", ""},
		{"bad version number", "lead", "GET", path + "/" + c.ID + "/versions/x/download", "", 400,
			"invalid_input", ""},
		{"sign without a version", "lead", "POST", path + "/" + c.ID + "/status",
			`{"status":"under_approval","ver":1}`, 422, "no_version", ""},
		{"skip a status", "lead", "POST", path + "/" + c.ID + "/status",
			`{"status":"signed","ver":1}`, 422, "transition_not_allowed", "draft"},
		{"stale ver", "lead", "POST", path + "/" + c.ID + "/status",
			`{"status":"closed","ver":9}`, 409, "stale_version", ""},
		{"unknown status", "lead", "POST", path + "/" + c.ID + "/status",
			`{"status":"done","ver":1}`, 400, "invalid_input", "status"},
		{"no route", "lead", "DELETE", path + "/" + c.ID, "", 404, "no_route", ""},
	}
	for _, tt := range tests {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		r := st.call(tt.who, tt.method, tt.path, body)
		if r.Status != tt.want || r.code() != tt.code ||
			!strings.Contains(string(r.Body), tt.mention) {
			t.Errorf("%s: %d %s, want %d %s mentioning %q", tt.name, r.Status, r.Body, tt.want,
				tt.code, tt.mention)
		}
	}
	var list struct{ Contracts []*Contract }
	st.mustCall(200, "lead", "GET", path+"?projectId="+project, nil, &list)
	if len(list.Contracts) != 1 || list.Contracts[0].Ver != 1 || list.Contracts[0].Status != Draft {
		t.Errorf("contracts after bad requests = %s, want the one draft unchanged",
			js(list.Contracts))
	}
}

func TestStatusFlow(t *testing.T) {
	st := newOAStack(t)
	c := st.submit(st.readyContract())
	st.push("bpms_instance_change", st.decide(c.Approval.InstanceID, "agree"))
	cur := st.get(c)
	for _, next := range []Status{Signed, Closed} {
		st.mustCall(200, "lead", "POST", "/api/contracts/"+uni+"/"+c.ID+"/status",
			StatusRequest{next, cur.Ver}, cur)
		if cur.Status != next {
			t.Fatalf("status = %s, want %s", cur.Status, next)
		}
	}
	r := st.call("lead", "POST", "/api/contracts/"+uni+"/"+c.ID+"/uploads",
		UploadRequest{Filename: "c2.pdf", ContentType: TypePDF})
	if r.Status != 409 || r.code() != "contract_locked" {
		t.Errorf("grant on a closed contract = %d %s, want 409 contract_locked", r.Status, r.Body)
	}
}

func TestIdempotentCreate(t *testing.T) {
	st := newStack(t, Config{})
	body := CreateRequest{ProjectID: project, Title: "Once", Parties: []Party{{uni, "U"}},
		AmountFen: 100, Currency: "CNY"}
	var a, b Contract
	for _, out := range []*Contract{&a, &b} {
		r := st.callWith("lead", "POST", "/api/contracts/"+uni, body, "key-1")
		if r.Status != 201 {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		r.decode(t, out)
	}
	if a.ID != b.ID {
		t.Errorf("replayed create made %s and %s, want one contract", a.ID, b.ID)
	}
	body.Title = "Other"
	if r := st.callWith("lead", "POST", "/api/contracts/"+uni, body, "key-1"); r.Status != 422 {
		t.Errorf("key reused for another body = %d %s, want 422", r.Status, r.Body)
	}
}

func TestExpiredSession(t *testing.T) {
	st := newStack(t, Config{})
	old, _ := session.New([]byte("contracts test key, 32 bytes long!"),
		session.WithClock(func() time.Time { return time.Now().Add(-3 * time.Hour) }))
	tok, _, _ := old.Issue(uni, "lead1")
	r := st.callToken(tok, "GET", "/api/contracts/"+uni+"?projectId="+project)
	if r.Status != 401 || r.code() != "session_expired" {
		t.Errorf("expired session = %d %s, want 401 session_expired", r.Status, r.Body)
	}
}

// TestLeftUserRefused checks that a user who left the organization loses
// access to contracts at once, even with a session still valid.
func TestLeftUserRefused(t *testing.T) {
	st := newStack(t, Config{})
	path := "/api/contracts/" + uni + "?projectId=" + project
	if r := st.call("lead", "GET", path, nil); r.Status != 200 {
		t.Fatalf("list as lead = %d %s, want 200", r.Status, r.Body)
	}
	ctx := context.Background()
	key := tables.Key{tables.TenantKey(uni), people["lead"].user}
	row, err := st.db.Get(ctx, tables.User.Name, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.Update(ctx, tables.User.Name, key, row.Ver(),
		tables.Change{Set: tables.Cols{"status": "left"}}); err != nil {
		t.Fatal(err)
	}
	if r := st.call("lead", "GET", path, nil); r.Status != 403 || r.code() != "user_inactive" {
		t.Errorf("list after leaving = %d %s, want 403 user_inactive", r.Status, r.Body)
	}
}
