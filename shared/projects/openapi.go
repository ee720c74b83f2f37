package projects

import _ "embed"

//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the OpenAPI 3 document of the API that Handler serves. A
// test checks that the two agree route for route and that real answers
// carry the fields the document requires.
func OpenAPI() []byte { return append([]byte(nil), openapiDoc...) }
