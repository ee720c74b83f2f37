// Package blobtest is the conformance suite of package blob: Run checks a
// Store against any OSS service, localdev's emulator or the real thing.
// Post and Put upload with a grant the way a browser does, for this suite
// and for end-to-end tests of the functions that hand out grants.
package blobtest

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"

	"github.com/xietong/xietong/shared/blob"
)

// Upload is one file a client sends with a grant.
type Upload struct {
	Filename    string
	ContentType string // the file's type; sent as the Content-Type field and part header
	Body        io.Reader
	// Fields overrides grant fields by name (to tamper with them in tests);
	// an empty value removes the field.
	Fields map[string]string
}

// Result is the service's answer to an upload.
type Result struct {
	Status int
	Body   []byte
}

// Post sends u as a browser form upload (multipart/form-data PostObject)
// with grant g, streaming the file as the last field. A refusal comes back
// as an error from blob.ResponseError, so errors.Is works with blob's
// sentinels; the Result is filled in either way.
func Post(ctx context.Context, g blob.Grant, u Upload) (Result, error) {
	fields := map[string]string{}
	for k, v := range g.Fields {
		fields[k] = v
	}
	if u.ContentType != "" {
		fields["Content-Type"] = u.ContentType
	}
	for k, v := range u.Fields {
		if v == "" {
			delete(fields, k)
		} else {
			fields[k] = v
		}
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(writeForm(mw, fields, u)) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, pr)
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return do(req, "post", g.Key)
}

// writeForm writes the fields in a stable order, then the file.
func writeForm(mw *multipart.Writer, fields map[string]string, u Upload) error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := mw.WriteField(k, fields[k]); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, u.Filename))
	if u.ContentType != "" {
		h.Set("Content-Type", u.ContentType)
	}
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, u.Body); err != nil {
		return err
	}
	return mw.Close()
}

// Put uploads body with the presigned PUT of grant g for contentType, with
// the headers the grant demands. size is the body length.
func Put(ctx context.Context, g blob.Grant, contentType string, body io.Reader, size int64) (
	Result, error) {
	u, ok := g.PutURLs[contentType]
	if !ok {
		for _, other := range g.PutURLs {
			u = other // a URL signed for another type: the service must refuse it
			break
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, body)
	if err != nil {
		return Result{}, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", contentType)
	for k, v := range g.PutHeaders {
		req.Header.Set(k, v)
	}
	return do(req, "put", g.Key)
}

// Get fetches a presigned URL.
func Get(ctx context.Context, url string) (Result, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{}, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Result{}, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	res := Result{Status: resp.StatusCode, Body: body}
	if err != nil {
		return res, resp.Header, err
	}
	return res, resp.Header, blob.ResponseError("get", url, resp.StatusCode, body)
}

func do(req *http.Request, op, key string) (Result, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	res := Result{Status: resp.StatusCode, Body: body}
	if err != nil {
		return res, err
	}
	return res, blob.ResponseError(op, key, resp.StatusCode, body)
}
