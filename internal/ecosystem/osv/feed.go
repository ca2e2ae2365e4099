// Package osv is the feed of GitHub-reviewed security advisories for the
// language ecosystems (npm, PyPI, Maven, Go, crates.io, RubyGems, NuGet,
// Packagist), read in the OSV format.
//
// Upstream it reads osv.dev's per-ecosystem exports and keeps the GHSA
// records; in a feed bundle it reads ghsa/<ecosystem>.jsonl.
package osv

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/bulwark-security/bulwark/internal/feed"
	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/osv"
)

// osvBucket is osv.dev's public export: one all.zip per ecosystem.
const osvBucket = "https://osv-vulnerabilities.storage.googleapis.com/"

// ecosystems maps OSV ecosystem names to Bulwark's; the bundle file of
// each is ghsa/<bundle name>.jsonl.
var ecosystems = []struct {
	osv    string
	eco    model.Ecosystem
	bundle string
}{
	{"npm", model.EcosystemNPM, "npm"},
	{"PyPI", model.EcosystemPyPI, "pypi"},
	{"Maven", model.EcosystemMaven, "maven"},
	{"Go", model.EcosystemGo, "go"},
	{"crates.io", model.EcosystemCargo, "crates.io"},
	{"RubyGems", model.EcosystemGem, "rubygems"},
	{"NuGet", model.EcosystemNuGet, "nuget"},
	{"Packagist", model.EcosystemComposer, "packagist"},
}

// Ecosystem maps an OSV ecosystem name to Bulwark's ecosystem and
// namespace (the ecosystem itself for language packages).
func Ecosystem(osvEco string) (model.Ecosystem, string, bool) {
	for _, e := range ecosystems {
		if e.osv == osvEco {
			return e.eco, string(e.eco), true
		}
	}
	return "", "", false
}

// GHSA is the GitHub advisory feed, named "ghsa".
type GHSA struct{}

var _ feed.Feed = (*GHSA)(nil)

// Name implements feed.Feed.
func (*GHSA) Name() string { return "ghsa" }

// Version implements feed.Feed.
func (*GHSA) Version() int { return 1 }

// Layout is where the feed's files are, in a bundle and upstream.
func (*GHSA) Layout() feed.Layout {
	l := feed.Layout{
		Folder: "ghsa",
		Include: func(rel string) bool {
			return !strings.Contains(rel, "/") && strings.HasSuffix(rel, ".jsonl")
		},
	}
	for _, e := range ecosystems {
		l.Upstream = append(l.Upstream, feed.Remote{URL: osvBucket + e.osv + "/all.zip", Name: e.bundle + ".zip"})
	}
	return l
}

// Fetch implements feed.Feed.
func (g *GHSA) Fetch(ctx context.Context, src feed.Source, prev string) (*feed.Data, error) {
	return feed.Fetch(ctx, src, prev, g.Layout())
}

// Parse implements feed.Feed.
func (g *GHSA) Parse(ctx context.Context, data *feed.Data, emit func(feed.Record) error) error {
	for _, name := range data.Files {
		// osv.dev's exports also hold PYSEC, RUSTSEC, GO and malicious-
		// package records; this feed is GitHub's reviewed advisories.
		upstream := path.Ext(name) == ".zip"
		err := feed.EachOSV(ctx, data, name, func(where string, e *osv.Entry) error {
			if upstream && !strings.HasPrefix(e.ID, "GHSA-") {
				return nil
			}
			rec := feed.FromOSV(e, g.Name(), Ecosystem)
			if len(rec.Affected) == 0 {
				return nil
			}
			if err := emit(rec); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ghsa: %w", err)
		}
	}
	return nil
}
