// Package feedtest holds helpers for testing feeds against their real
// upstream URLs without leaving the machine.
package feedtest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
)

// Redirect is a feed.HTTPDoer that sends every request, whatever its
// upstream host, to a local test server, keeping the path and query. Feeds
// are thereby tested through the same code path they use upstream.
type Redirect struct{ Server *httptest.Server }

// Do rewrites the request's scheme and host to the test server's.
func (r Redirect) Do(req *http.Request) (*http.Response, error) {
	u, err := url.Parse(r.Server.URL)
	if err != nil {
		return nil, err
	}
	req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	return r.Server.Client().Do(req)
}
