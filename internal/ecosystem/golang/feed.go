package golang

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
)

// vulnDBZip is the Go vulnerability database's bulk download: every OSV
// record under ID/, plus index files.
const vulnDBZip = "https://vuln.go.dev/vulndb.zip"

// Feed is the Go vulnerability database (vuln.go.dev), named "go": Go
// modules, the standard library ("stdlib") and the go command
// ("toolchain"), with the affected packages and symbols that reachability
// analysis needs.
type Feed struct{}

var _ feed.Feed = (*Feed)(nil)

// Name implements feed.Feed.
func (*Feed) Name() string { return "go" }

// Version implements feed.Feed.
func (*Feed) Version() int { return 1 }

// Layout is where the feed's files are: go-vulndb/osv/*.json in a bundle
// (the layout of the golang/vulndb repository's data/osv), the zip
// upstream.
func (*Feed) Layout() feed.Layout {
	return feed.Layout{
		Folder: "go-vulndb",
		Include: func(rel string) bool {
			return strings.HasPrefix(rel, "osv/") && strings.HasSuffix(rel, ".json")
		},
		Upstream: []feed.Remote{{URL: vulnDBZip, Name: "vulndb.zip"}},
	}
}

// Fetch implements feed.Feed.
func (f *Feed) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	return feed.Fetch(ctx, src, prev, f.Layout())
}

// OSVEcosystem maps the OSV ecosystem "Go" to the golang namespace.
func OSVEcosystem(e string) (model.Ecosystem, string, bool) {
	if e != "Go" {
		return "", "", false
	}
	return model.EcosystemGo, string(model.EcosystemGo), true
}

// Parse implements feed.Feed. Versions keep the OSV form without the "v"
// prefix ("1.21.5", "0.17.0"), as the Go database publishes them.
func (f *Feed) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	for _, name := range data.Files {
		zipped := path.Ext(name) == ".zip"
		err := feed.EachOSV(ctx, data, name, func(where string, e *osv.Entry) error {
			rec := feed.FromOSV(e, f.Name(), OSVEcosystem)
			if len(rec.Affected) == 0 {
				return nil
			}
			if err := emit(rec); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			return nil
		}, func(where string) bool {
			// The zip also holds index/*.json, which are not records.
			return !zipped || strings.Contains(where, "!ID/")
		})
		if err != nil {
			return fmt.Errorf("go vulndb: %w", err)
		}
	}
	return nil
}
