package contracts

import (
	"fmt"
	"net/http"

	"github.com/xietong/xietong/shared/blob"
	"github.com/xietong/xietong/shared/httpapi"
	"github.com/xietong/xietong/shared/runtime"
)

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

// Handler returns the HTTP API, mounted at /api/contracts. {corp} is the
// organization that owns the project; every request carries a session
// (Authorization: Bearer). Errors are runtime.ErrorBody JSON.
//
//	POST /api/contracts/{corp}                              create (Idempotency-Key honoured)
//	GET  /api/contracts/{corp}?projectId=P                  list a project's contracts
//	GET  /api/contracts/{corp}/{id}                         get
//	POST /api/contracts/{corp}/{id}/status                  {"status","ver"}: move the status
//	POST /api/contracts/{corp}/{id}/uploads                 {"filename","contentType"}:
//	                                                        upload grant
//	GET  /api/contracts/{corp}/{id}/uploads/{upload}        what became of an upload
//	GET  /api/contracts/{corp}/{id}/versions                list versions
//	GET  /api/contracts/{corp}/{id}/versions/{n}/download   download grant for version n
//
// Moving a contract to under_approval starts its DingTalk OA approval
// (Config.Approvers; approval.go) and records the instance on the contract;
// the outcome arrives through the dingtalk-callback function (Applier).
// Moving to signed needs that approval approved.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h func(http.ResponseWriter, *http.Request, caller) error) {
		mux.Handle(pattern, s.endpoint(h))
	}
	route("POST /api/contracts/{corp}", s.create)
	route("GET /api/contracts/{corp}", s.list)
	route("GET /api/contracts/{corp}/{id}", s.get)
	route("POST /api/contracts/{corp}/{id}/status", s.setStatus)
	route("POST /api/contracts/{corp}/{id}/uploads", s.grantUpload)
	route("GET /api/contracts/{corp}/{id}/uploads/{upload}", s.uploadStatus)
	route("GET /api/contracts/{corp}/{id}/versions", s.versions)
	route("GET /api/contracts/{corp}/{id}/versions/{n}/download", s.download)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteError(w, http.StatusNotFound, "no_route",
			fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path), nil)
	})
	return mux
}

// FieldError names an input field and the rule it breaks.
type FieldError = httpapi.FieldError

// endpoint authenticates, runs h and turns its error into the JSON answer.
func (s *Service) endpoint(h func(http.ResponseWriter, *http.Request,
	caller) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			httpapi.WriteErr(w, r, err, "no such contract")
		}
	})
}

// GrantResponse answers an upload request: the upload to watch and the grant
// to upload with (a form for PostObject, or presigned PUT URLs).
type GrantResponse struct {
	Upload *Upload    `json:"upload"`
	Grant  blob.Grant `json:"grant"`
}

// DownloadResponse answers a download request.
type DownloadResponse struct {
	Version *Version `json:"version"`
	URL     string   `json:"url"`
	Expires string   `json:"expires"`
}
