package tasksapi

import _ "embed"

//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the OpenAPI 3 document of the API that Handler serves. A
// test checks that the two agree route for route, that the request and
// response schemas name the fields of the Go types, and that real answers
// match their schemas.
func OpenAPI() []byte { return append([]byte(nil), openapiDoc...) }
