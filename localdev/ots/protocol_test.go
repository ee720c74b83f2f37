package ots_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore"
	"github.com/aliyun/aliyun-tablestore-go-sdk/tablestore/otsprotocol"
	"github.com/golang/protobuf/proto"

	"github.com/xietong/xietong/localdev/ots/otstest"
)

// rawCall sends a hand-signed request and decodes the error body, if any.
func rawCall(t *testing.T, env *otstest.Env, action string, body []byte) (int, *otsprotocol.Error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.Endpoint+"/"+action, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	h := map[string]string{
		"x-ots-date":         time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"x-ots-apiversion":   "2015-12-31",
		"x-ots-accesskeyid":  env.AccessKeyID,
		"x-ots-instancename": env.Instance,
		"x-ots-contentmd5":   base64.StdEncoding.EncodeToString(sum[:]),
	}
	var names []string
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	canon := "/" + action + "\nPOST\n\n"
	for _, n := range names {
		canon += n + ":" + h[n] + "\n"
		req.Header.Set(n, h[n])
	}
	mac := hmac.New(sha1.New, []byte(env.AccessKeySecret))
	mac.Write([]byte(canon))
	req.Header.Set("x-ots-signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, nil
	}
	var e otsprotocol.Error
	if err := proto.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: error body is not otsprotocol.Error: %v", action, err)
	}
	return resp.StatusCode, &e
}

func putBody(t *testing.T, row []byte) []byte {
	t.Helper()
	b, err := proto.Marshal(&otsprotocol.PutRowRequest{TableName: proto.String("t"), Row: row,
		Condition: &otsprotocol.Condition{
			RowExistence: otsprotocol.RowExistenceExpectation_IGNORE.Enum()}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBadRequestsChangeNothing(t *testing.T) {
	env := otstest.Start(t)
	createTable(t, env, "t", nil)
	put(t, env, "t", key("r", 1), map[string]any{"a": "orig"})
	good := &tablestore.PutRowChange{TableName: "t", PrimaryKey: key("r", 1)}
	good.AddColumn("a", "changed")
	row := good.Serialize()
	if code, e := rawCall(t, env, "PutRow", putBody(t, row)); e != nil {
		t.Fatalf("raw signed PutRow: %d %v", code, e)
	}
	put(t, env, "t", key("r", 1), map[string]any{"a": "orig"})

	corrupt := append([]byte(nil), row...)
	corrupt[len(corrupt)-1] ^= 0xFF
	cellCorrupt := append([]byte(nil), row...)
	cellCorrupt[bytes.LastIndex(cellCorrupt, []byte("changed"))] = 'C'
	tests := []struct {
		name   string
		call   func() (int, string)
		status int
		code   string
	}{
		{"bad signature", func() (int, string) {
			c := tablestore.NewClient(env.Endpoint, env.Instance, env.AccessKeyID, "wrong")
			return sdkErr(tryPut(c, "t", key("r", 1), map[string]any{"a": "x"},
				ignore, nil))
		}, 403, "OTSAuthFailed"},
		{"unknown access key", func() (int, string) {
			c := tablestore.NewClient(env.Endpoint, env.Instance, "nobody", env.AccessKeySecret)
			return sdkErr(tryPut(c, "t", key("r", 1), map[string]any{"a": "x"},
				ignore, nil))
		}, 403, "OTSAuthFailed"},
		{"unknown instance", func() (int, string) {
			c := tablestore.NewClient(env.Endpoint, "other", env.AccessKeyID, env.AccessKeySecret)
			return sdkErr(tryPut(c, "t", key("r", 1), map[string]any{"a": "x"},
				ignore, nil))
		}, 403, "OTSAuthFailed"},
		{"malformed protobuf", func() (int, string) {
			return rawErr(rawCall(t, env, "PutRow", []byte{0x0a, 0xff, 0x01}))
		}, 400, "OTSParameterInvalid"},
		{"row checksum", func() (int, string) {
			return rawErr(rawCall(t, env, "PutRow", putBody(t, corrupt)))
		}, 400, "OTSParameterInvalid"},
		{"cell checksum", func() (int, string) {
			return rawErr(rawCall(t, env, "PutRow", putBody(t, cellCorrupt)))
		}, 400, "OTSParameterInvalid"},
		{"unknown action", func() (int, string) {
			return rawErr(rawCall(t, env, "Frobnicate", nil))
		}, 400, "OTSParameterInvalid"},
		{"search unsupported", func() (int, string) {
			return rawErr(rawCall(t, env, "Search", nil))
		}, 400, "OTSUnsupportOperation"},
	}
	for _, tt := range tests {
		status, code := tt.call()
		if status != tt.status || code != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, status, code, tt.status, tt.code)
		}
		if got := get(t, env, "t", key("r", 1))["a"]; got != "orig" {
			t.Errorf("%s: row changed to %v", tt.name, got)
		}
	}
}

func sdkErr(err error) (int, string) {
	if oe, ok := err.(*tablestore.OtsError); ok {
		return oe.HttpStatusCode, oe.Code
	}
	return 0, otsCode(err)
}

func rawErr(status int, e *otsprotocol.Error) (int, string) {
	if e == nil {
		return status, ""
	}
	if !strings.HasPrefix(e.GetCode(), "OTS") {
		return status, "bad code " + e.GetCode()
	}
	return status, e.GetCode()
}
