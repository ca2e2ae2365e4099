package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bulwark-security/bulwark/internal/store"
)

// FuzzRequestBodies posts arbitrary bodies to the routes that parse JSON:
// each answers with a client error or success, never a panic or a 500.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"inventory":{"schema":1,"image":{"digest":"sha256:abc"},"packages":[{"ecosystem":"deb","name":"zlib1g","version":"1:1.2.13.dfsg-1"}]}}`,
		`{"sbom":{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]},"digest":"sha256:abc"}`,
		`{"sbom":{"spdxVersion":"SPDX-2.3"}}`,
		`{"reporter":"w","workloads":[{"imageDigest":"sha256:abc","pod":"p"}]}`,
		`{"vulnID":"CVE-2024-3094","reason":"x","expires":"2030-01-01T00:00:00Z"}`,
		`[{"time":"2026-01-02T03:04:05Z","type":"exec","verdict":"deny","imageDigest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","parents":[{"pid":1}]}]`,
		`{"inventory":null}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	fx := newFixture(f)
	routes := []string{"/api/v1/inventories", "/api/v1/workloads", "/api/v1/accepted-risks", "/api/v1/runtime/events"}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, route := range routes {
			req := httptest.NewRequest(http.MethodPost, route, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+fx.tokens[store.ScopeAdmin])
			rec := httptest.NewRecorder()
			fx.srv.Handler().ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Errorf("POST %s %q: %d %s", route, body, rec.Code, rec.Body)
			}
		}
	})
}
