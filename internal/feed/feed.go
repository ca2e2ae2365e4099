// Package feed defines the vulnerability-feed contract and the pipeline
// that fetches feeds with fingerprints, parses them into advisories and
// hands them to the database builder.
package feed

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/bulwark-security/bulwark/internal/model"
)

// ErrUnchanged is returned by Fetch when the upstream data has the same
// fingerprint as the previous fetch: nothing to download or parse.
var ErrUnchanged = errors.New("feed unchanged")

// Feed is one vulnerability data source.
type Feed interface {
	// Name is stable and used in the CLI (--source), the DB status and
	// every stored record: "debian", "alpine", "ghsa-npm", "go", "nvd", …
	Name() string
	// Version of the parser; part of the stored fingerprint so a parser
	// change forces a re-parse.
	Version() int
	// Fetch downloads the feed from src unless its fingerprint equals
	// prev, in which case it returns ErrUnchanged. The returned Data is
	// read by Parse and then closed.
	Fetch(ctx context.Context, src Source, prev string) (*Data, error)
	// Parse turns fetched data into advisories, emitting each through
	// emit. A malformed record is an error naming the file and record.
	Parse(ctx context.Context, data *Data, emit func(Record) error) error
}

// Record is what a feed emits: a vulnerability (possibly partial: only
// the fields this source knows) and how it affects packages.
type Record struct {
	Vulnerability model.Vulnerability
	Affected      []model.Affected
}

// Data is fetched feed content.
type Data struct {
	// Fingerprint identifies the content (ETag, Last-Modified or a hash).
	Fingerprint string
	// Files are the fetched files; each is opened by Open.
	Files []string
	Open  func(name string) (io.ReadCloser, error)
	Close func() error
}

// Source says where a feed is fetched from.
type Source struct {
	// Mirror, when set, is a feed bundle or mirror: "file:///dir" or an
	// http(s) URL laid out as a feed bundle (one folder per source; see
	// docs/feed-bundle.md). When empty the feed's upstream URL is used.
	Mirror string
	// HTTP fetches remote URLs; nil means http.DefaultClient.
	HTTP HTTPDoer
}

// HTTPDoer is the part of *http.Client feeds use.
type HTTPDoer interface {
	Do(req *http.Request) (*http.Response, error)
}
