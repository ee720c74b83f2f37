package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xietong/xietong/shared/blob/blobtest"
	"github.com/xietong/xietong/shared/contracts"
	"github.com/xietong/xietong/shared/session"
	"github.com/xietong/xietong/shared/tables"
)

// TestContractUploadThroughLocalStack runs the contract flow against the real
// s.yaml: the contracts binary under the FC runtime emulator behind the gateway,
// a browser-style PostObject straight to the OSS emulator, and the OSS trigger
// that s.yaml declares delivering the object-created event to the binary.
func TestContractUploadThroughLocalStack(t *testing.T) {
	st := realStack(t)

	const corp, proj, lead = "dinguniv", "P1", "lead1"
	seedProject(t, st, corp, proj, lead)
	tok := stackToken(t, st, corp, lead)
	api := apiClient{t: t, base: st.gatewayURL + "/api/contracts/" + corp, token: tok}

	var c contracts.Contract
	api.call(201, "POST", "", contracts.CreateRequest{ProjectID: proj, Title: "ERP",
		Parties: []contracts.Party{{Corp: corp, Name: "University"}}, AmountFen: 100,
		Currency: "CNY"}, &c)
	file := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("contract "), 5000)...)
	for want := 1; want <= 2; want++ {
		var g contracts.GrantResponse
		api.call(201, "POST", "/"+c.ID+"/uploads",
			contracts.UploadRequest{Filename: "c.pdf", ContentType: "application/pdf"}, &g)
		if _, err := blobtest.Post(context.Background(), g.Grant, blobtest.Upload{
			Filename: "c.pdf", ContentType: "application/pdf",
			Body: bytes.NewReader(file)}); err != nil {
			t.Fatalf("PostObject %d: %v", want, err)
		}
		vs := api.waitVersions(c.ID, want)
		sum := sha256.Sum256(file)
		if got := vs[want-1]; got.Number != int64(want) ||
			got.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("version %d = %+v, want number %d with sha256 %x", want, got, want, sum)
		}
		file = append(file, '!') // the next upload differs
	}
	var dl contracts.DownloadResponse
	api.call(200, "GET", "/"+c.ID+"/versions/1/download", nil, &dl)
	resp, err := http.Get(dl.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got bytes.Buffer
	got.ReadFrom(resp.Body)
	want := file[:len(file)-2] // version 1 is the first upload
	if resp.StatusCode != 200 || !bytes.Equal(got.Bytes(), want) {
		t.Errorf("download v1 = %d, %d bytes; want 200 and the %d bytes of upload 1",
			resp.StatusCode, got.Len(), len(want))
	}
}

var (
	realOnce     sync.Once
	realInstance *stack
	realErr      error
)

// stackSigner returns a session signer with the stack's generated
// XT_SESSION_KEY, so tests can sign in without DingTalk.
func stackSigner(t testing.TB, st *stack) *session.Signer {
	t.Helper()
	key, err := session.ParseKey(st.secrets.Env[session.EnvKey])
	if err != nil {
		t.Fatal(err)
	}
	signer, err := session.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// stackToken returns a session token of corp:user that the stack's
// functions accept.
func stackToken(t testing.TB, st *stack, corp, user string) string {
	t.Helper()
	tok, _, err := stackSigner(t, st).Issue(corp, user)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// realStack runs the repository's own s.yaml (every function built from source)
// once per test binary; TestMain closes it.
func realStack(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("builds every function")
	}
	realOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			realErr = err
			return
		}
		dir, err := os.MkdirTemp("", "localdev-real")
		if err != nil {
			realErr = err
			return
		}
		realInstance, realErr = startStack(context.Background(), stackConfig{
			proj: project{root: root, sfile: filepath.Join(root, "s.yaml"), data: dir},
			addr: "127.0.0.1:0", maxInstances: 2, out: &syncBuffer{}, noTimers: true,
		})
	})
	if realErr != nil {
		t.Fatalf("start the real stack: %v", realErr)
	}
	return realInstance
}

// seedProject writes the rows sign-in and project management (#6) own: the
// project, the lead's membership and directory row; rows already there stay.
func seedProject(t *testing.T, st *stack, corp, proj, lead string) {
	t.Helper()
	db := stackStore(t, st)
	tid, uid := tables.TenantKey(corp), corp+":"+lead
	ctx := context.Background()
	for _, w := range []struct {
		table string
		key   tables.Key
		cols  tables.Cols
	}{
		{tables.Project.Name, tables.Key{tid, proj}, tables.Cols{"name": "Campus ERP"}},
		{tables.Member.Name, tables.Key{tid, proj, uid}, tables.Cols{"role": "lead",
			"status": "active", "uidh": tables.SaltedKey(uid)}},
		{tables.User.Name, tables.Key{tid, lead}, tables.Cols{"org_role": "staff",
			"status": "active", "data": "{}"}},
	} {
		_, err := db.Create(ctx, w.table, w.key, w.cols)
		if err != nil && !errors.Is(err, tables.ErrExists) {
			t.Fatalf("seed %s: %v", w.table, err)
		}
	}
}

// apiClient calls the contracts API through the gateway with a session.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (a apiClient) call(want int, method, path string, body, out any) {
	a.t.Helper()
	var rd bytes.Buffer
	if body != nil {
		json.NewEncoder(&rd).Encode(body)
	}
	req, _ := http.NewRequest(method, a.base+path, &rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	raw.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, raw.String(), want)
	}
	if out != nil {
		if err := json.Unmarshal(raw.Bytes(), out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, raw.String(), err)
		}
	}
}

// waitVersions polls until the contract has n versions: the OSS trigger runs
// asynchronously, as it does in the cloud.
func (a apiClient) waitVersions(id string, n int) []*contracts.Version {
	a.t.Helper()
	var vs struct{ Versions []*contracts.Version }
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		a.call(200, "GET", "/"+id+"/versions", nil, &vs)
		if len(vs.Versions) >= n {
			return vs.Versions
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("contract %s has %d versions after 30s, want %d", id, len(vs.Versions), n)
	return nil
}
